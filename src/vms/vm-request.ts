/**
 * A VM request checked field by field (each refusal names its field, for the forms and the CLI),
 * and the SSH command a user copies to reach a running VM.
 */

import { isAbsolute } from 'node:path';

import type { LaunchVmRequest } from '../api/vms';
import { VM_LIMITS } from '../api/vms';
import { ValidationError } from '../api/validation';
import { shellCommand } from '../platform/shell-quote';
import { isGuestUser } from './vm-credentials';
import type { StoredVm, VmPaths } from './vm-store';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The request with every given field checked; throws a ValidationError naming each bad field. */
export function checkLaunchRequest(request: LaunchVmRequest): LaunchVmRequest {
  const fields: Record<string, string> = {};
  const source = request.source as { buildId?: unknown; diskPath?: unknown } | undefined;
  if (!source || (typeof source.buildId !== 'string' && typeof source.diskPath !== 'string')) {
    fields.source = 'choose a finished build or a disk file';
  } else if (typeof source.diskPath === 'string' && !isAbsolute(source.diskPath)) {
    fields.source = `the disk path must be absolute: ${source.diskPath}`;
  }
  if (request.name !== undefined && !NAME.test(request.name)) {
    fields.name = 'a name is 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit';
  }
  const { memoryMiB, cpus } = request;
  if (
    memoryMiB !== undefined &&
    !(Number.isInteger(memoryMiB) && memoryMiB >= VM_LIMITS.memoryMiB.min && memoryMiB <= VM_LIMITS.memoryMiB.max)
  ) {
    fields.memoryMiB = `memory is a whole number of MiB from ${VM_LIMITS.memoryMiB.min} to ${VM_LIMITS.memoryMiB.max}`;
  }
  if (cpus !== undefined && !(Number.isInteger(cpus) && cpus >= VM_LIMITS.cpus.min && cpus <= VM_LIMITS.cpus.max)) {
    fields.cpus = `CPUs is a whole number from ${VM_LIMITS.cpus.min} to ${VM_LIMITS.cpus.max}`;
  }
  const { diskGiB } = request;
  if (
    diskGiB !== undefined &&
    !(Number.isInteger(diskGiB) && diskGiB >= VM_LIMITS.diskGiB.min && diskGiB <= VM_LIMITS.diskGiB.max)
  ) {
    fields.diskGiB = `the disk size is a whole number of GiB from ${VM_LIMITS.diskGiB.min} to ${VM_LIMITS.diskGiB.max}`;
  }
  if (request.sshUser !== undefined && !isGuestUser(request.sshUser)) {
    fields.sshUser = 'a user name is lower-case letters, digits, dots, dashes or underscores (at most 32)';
  }
  if (request.hypervisor !== undefined && !['qemu', 'fusion', 'hyperv'].includes(request.hypervisor)) {
    fields.hypervisor = 'the hypervisor is qemu, fusion or hyperv';
  }
  if (request.architecture !== undefined && !['amd64', 'arm64'].includes(request.architecture)) {
    fields.architecture = 'the architecture is amd64 or arm64';
  }
  const errors = Object.entries(fields).map(([field, message]) => ({ field, message }));
  if (errors.length > 0) throw new ValidationError(errors);
  return request;
}

type SshTarget = Pick<StoredVm, 'sshPort' | 'sshUser' | 'sshHost'>;

/** `ssh -i KEY -p PORT -o … USER@HOST`, quoted for a POSIX shell. */
export function sshCommandOf(vm: SshTarget, paths: Pick<VmPaths, 'key' | 'dir'>, withVmKey = true): string {
  return shellCommand(sshArgv(vm, paths, [], withVmKey));
}

/**
 * The OpenSSH client's argv for the VM: its own known_hosts, and its own key where the hypervisor
 * gave it at boot (elsewhere the user's keys, as the image was built with them).
 */
export function sshArgv(
  vm: SshTarget,
  paths: Pick<VmPaths, 'key' | 'dir'>,
  command: string[] = [],
  withVmKey = true,
): string[] {
  return [
    'ssh',
    ...(withVmKey ? ['-i', paths.key] : []),
    '-p',
    String(vm.sshPort),
    ...(withVmKey ? ['-o', 'IdentitiesOnly=yes'] : []),
    '-o',
    `UserKnownHostsFile=${paths.dir}/known_hosts`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    `${vm.sshUser}@${vm.sshHost ?? '127.0.0.1'}`,
    ...command,
  ];
}
