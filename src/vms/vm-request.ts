/**
 * A VM request checked field by field (each refusal names its field, for the forms and the CLI),
 * and the SSH command a user copies to reach a running VM.
 */

import type { LaunchVmRequest } from '../api/vms';
import { launchRequestProblems } from '../api/vms';
import { ValidationError } from '../api/validation';
import { shellCommand } from '../platform/shell-quote';
import type { StoredVm, VmPaths } from './vm-store';

/** The request with every given field checked; throws a ValidationError naming each bad field. */
export function checkLaunchRequest(request: LaunchVmRequest): LaunchVmRequest {
  const errors = Object.entries(launchRequestProblems(request)).map(([field, message]) => ({ field, message }));
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
