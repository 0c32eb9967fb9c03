/**
 * What the VM tests share: a VM service on a test store (its waits sized for an emulated guest), a
 * VM of the tiny test disk started on it, and every VM removed at the end (QEMU stopped first).
 */

import type { VmInfo } from '../../../src/api/vms';
import { BuildStore } from '../../../src/builds/build-store';
import type { JobRegistry } from '../../../src/jobs/job-registry';
import { buildDiskFinder } from '../../../src/vms/vm-build-disk';
import { VmService } from '../../../src/vms/vm-service';

export function testVmService(store: string, jobs: JobRegistry): VmService {
  return new VmService({
    storeDir: store,
    jobs,
    buildDisk: buildDiskFinder(new BuildStore(store)),
    sshTimeoutMs: 120_000,
    powerdownTimeoutMs: 30_000,
  });
}

/** A small VM of the build `buildId` (the test disk), started; throws when the start failed. */
export async function startTestDiskVm(vms: VmService, jobs: JobRegistry, buildId: string): Promise<VmInfo> {
  const vm = await vms.create({ source: { buildId }, cpus: 1, memoryMiB: 384 });
  const started = await jobs.wait(vms.start(vm.id).id);
  if (started.status !== 'succeeded') throw new Error(`the test VM did not start: ${started.error?.message}`);
  return vms.get(vm.id);
}

/** Removes every VM of the service (a running one is stopped first), then lets it go. */
export async function removeAllVms(vms: VmService | undefined): Promise<void> {
  if (!vms) return;
  const { vms: all } = await vms.list();
  await Promise.all(all.map(vm => vms.remove(vm.id).catch(() => undefined)));
  vms.dispose();
}
