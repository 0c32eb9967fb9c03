/**
 * "Run as VM" for a bootc image, as one job of two steps (`vm-run`): the image's disk, found from an
 * earlier build of the same image ID and settings or built now (its build followed as the step's
 * progress), then a new VM of it, started. The Images page's row action and the image context
 * menu run it; `vm run IMAGE` in the CLI does the same steps in the terminal.
 */

import { ROUTES } from '../api/routes';
import type { BuilderChoice } from '../api/disk-build';
import type { Job } from '../api/jobs';
import type { VmInfo } from '../api/vms';
import type { DiskBuildService } from '../builds/disk-build-service';
import type { ContainerEngine } from '../engine/container-engine';
import type { JobRegistry } from '../jobs/job-registry';
import { findOrBuildImageDisk } from './vm-image-disk';
import type { VmService } from './vm-service';

export const VM_RUN_KIND = 'vm-run';

export interface ImageRunDeps {
  jobs: JobRegistry;
  engine: ContainerEngine;
  builds: DiskBuildService;
  vms: VmService;
  storeDir: string;
  /** The builder of the image's disk (the preference). */
  builder(): BuilderChoice;
}

const DISK = 'Disk image';
const VM = 'Virtual machine';

export function runImageAsVm(deps: ImageRunDeps, image: string, engineId?: string): Job {
  return deps.jobs.start<VmInfo | undefined>({
    kind: VM_RUN_KIND,
    title: `Running ${image} as a VM`,
    subject: image,
    detail: undefined,
    steps: [DISK, VM],
    run: async context => {
      context.step(DISK, 'running', 'Looking for a disk of this image ID');
      const disk = await findOrBuildImageDisk(deps, { image, engineId, builder: deps.builder() });
      if (disk.reused) {
        context.step(DISK, 'succeeded', `The disk of build ${disk.buildId} (same image ID and settings)`);
      } else {
        context.log(`Building a qcow2 of ${image} (build ${disk.buildId}); the next run of this image reuses it`);
        const follow = deps.builds.onDidChange(change => {
          if (change.id !== disk.buildId || !change.record) return;
          context.progress(
            change.record.percent === undefined ? undefined : change.record.percent * 0.8,
            change.record.message,
          );
        });
        const cancel = () => void deps.builds.cancel(disk.buildId).catch(() => undefined);
        context.signal.addEventListener('abort', cancel, { once: true });
        try {
          const record = await deps.builds.wait(disk.buildId);
          if (record.status !== 'succeeded')
            throw new Error(
              `the disk build ${record.status}: ${record.error ?? 'see its log on the Disk Images page'}`,
            );
        } finally {
          follow.dispose();
          context.signal.removeEventListener('abort', cancel);
        }
        context.step(DISK, 'succeeded', `Built by build ${disk.buildId}`);
      }
      context.step(VM, 'running', 'Booting');
      const vm = await deps.vms.create({ source: { buildId: disk.buildId, imageId: disk.imageId } });
      context.setDetail(vm);
      const start = deps.vms.start(vm.id);
      context.signal.addEventListener('abort', () => void deps.jobs.cancel(start.id), { once: true });
      const ended = await deps.jobs.wait(start.id);
      for (const warning of ended.warnings) context.warn(warning);
      if (ended.status !== 'succeeded') throw new Error(ended.error?.message ?? `the VM's start ${ended.status}`);
      const info = await deps.vms.get(vm.id);
      context.step(VM, 'succeeded', info.sshPort ? `SSH on 127.0.0.1:${info.sshPort}` : undefined);
      return {
        detail: info,
        summary: `${image} runs as VM ${info.name}`,
        actions: [{ kind: 'show-job', label: 'Open console', route: `${ROUTES.vmDetails}?vm=${info.id}` }],
      };
    },
    summarize: job =>
      job.status === 'failed' ? `Could not run ${image} as a VM: ${job.error?.message ?? ''}` : undefined,
  });
}
