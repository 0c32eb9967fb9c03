/**
 * What the `vm …` commands share: the VM service over the CLI's store (with its jobs, for the job
 * follower), VMs named by name, full id or unique id prefix, and the human view of a VM.
 */

import { formatAge, formatAgo } from '../api/format';
import { cloudInitText, type VmInfo } from '../api/vms';
import { BuildStore } from '../builds/build-store';
import { JobRegistry } from '../jobs/job-registry';
import { buildDiskFinder } from '../vms/vm-build-disk';
import { cloudInitProbe } from '../vms/vm-cloud-init';
import { VmService } from '../vms/vm-service';
import type { KeySshTarget } from '../ssh/ssh-session';
import type { CliContext } from './cli-context';
import { UsageError } from './cli-context';
import { cliSshTarget } from './vm-login';

export interface CliVms {
  vms: VmService;
  jobs: JobRegistry;
  /** How to log into the running VM: asks for its password on the terminal when only that gets in. */
  sshTarget(vm: VmInfo): Promise<KeySshTarget>;
}

/** The VM service over the CLI's store (`--store`); the engine only to look for cloud-init in an image. */
export function openVms(ctx: CliContext): CliVms {
  const jobs = new JobRegistry();
  const vms = new VmService({
    storeDir: ctx.storeDir,
    jobs,
    buildDisk: buildDiskFinder(new BuildStore(ctx.storeDir)),
    // Connects only when a VM of a build starts for the first time.
    cloudInitProbe: cloudInitProbe(() => ctx.engine(), new BuildStore(ctx.storeDir)),
  });
  return { vms, jobs, sshTarget: vm => cliSshTarget(vms, vm, ctx.io) };
}

/** A VM by name, full id, or an id prefix that names one VM. */
export async function resolveVm(vms: VmService, given: string): Promise<VmInfo> {
  const { vms: all } = await vms.list();
  const byName = all.find(vm => vm.name === given);
  if (byName) return byName;
  const wanted = given.trim().toLowerCase();
  const matches = /^[0-9a-f]{1,12}$/.test(wanted) ? all.filter(vm => vm.id.startsWith(wanted)) : [];
  if (matches.length === 1) return matches[0];
  if (matches.length === 0)
    throw new UsageError(`VM: no VM named or with the id ${JSON.stringify(given)} (see bootc-studio vm ls)`);
  throw new UsageError(`VM: ${given} names ${matches.length} VMs; give more of the id`);
}

export function sourceText(vm: VmInfo): string {
  if (vm.source.kind === 'build') return `${vm.source.imageRef ?? 'build'} (build ${vm.source.buildId})`;
  return vm.source.diskPath;
}

export function uptimeText(vm: VmInfo): string {
  return vm.uptimeMs !== undefined && vm.started ? formatAge(vm.started) : '';
}

export function describeVm(vm: VmInfo): string {
  const lines = [
    `ID:        ${vm.id}`,
    `Name:      ${vm.name}`,
    `State:     ${vm.state}${vm.state === 'running' && vm.started ? `, started ${formatAgo(vm.started)}` : ''}`,
    ...(vm.lastError ? [`Note:      ${vm.lastError}`] : []),
    `Source:    ${sourceText(vm)}`,
    vm.source.installer
      ? `Installer: ${vm.source.diskPath} (${vm.installed ? 'installed' : 'installs at the first start'} onto the VM's own ${vm.diskGiB} GiB disk)`
      : `Disk:      ${vm.source.diskPath} (never written: the VM writes to its own overlay)`,
    `Machine:   ${vm.hypervisor}, ${vm.architecture}, ${vm.cpus} CPUs, ${vm.memoryMiB} MiB${vm.acceleration ? `, ${vm.acceleration}` : ''}`,
    ...(vm.sshPort ? [`SSH:       ${vm.sshUser}@127.0.0.1:${vm.sshPort}`] : [`SSH user:  ${vm.sshUser}`]),
    ...(vm.sshCommand ? [`Command:   ${vm.sshCommand}`] : []),
    ...(vm.cloudInit ? [`Cloud-init: ${cloudInitText(vm)}`] : []),
    `Key:       ${vm.sshKeyPath}`,
    ...vm.warnings.map(warning => `Warning:   ${warning}`),
  ];
  return `${lines.join('\n')}\n`;
}
