import { dirname } from 'node:path';

import type { VmInfo } from '../../api/vms';
import { findExecutable } from '../../platform/executables';
import { runProcess } from '../../platform/process';
import { sshArgv } from '../../vms/vm-request';
import type { CliCommand } from '../cli-context';
import { openVms, resolveVm } from '../vms';

/** `bootc-studio vm ssh VM [-- COMMAND…]`: OpenSSH into the VM with its own key and known_hosts. */
export const vmSshCommand: CliCommand = {
  name: 'vm ssh',
  summary: 'Open SSH into a running VM (or run COMMAND there): its own key, its pinned host key',
  usage: 'VM [-- COMMAND…]',
  positionals: [1, 1000],
  async run(ctx, _values, positionals) {
    const { vms } = openVms(ctx);
    const vm = await resolveVm(vms, positionals[0]);
    if (vm.state !== 'running' || !vm.sshPort) {
      ctx.io.stderr.write(`bootc-studio: VM ${vm.name} is ${vm.state}; start it: bootc-studio vm start ${vm.name}\n`);
      return 1;
    }
    return openSsh(vm, positionals.slice(1));
  },
};

/** Runs the OpenSSH client on this terminal; its exit status. */
export async function openSsh(vm: VmInfo, command: string[]): Promise<number> {
  const ssh = findExecutable('ssh');
  if (!ssh) {
    process.stderr.write('bootc-studio: the OpenSSH client (ssh) is not installed; install openssh-client\n');
    return 1;
  }
  // The key and the pinned host key are in the VM's folder.
  // QEMU gives the VM its own key at boot; elsewhere the image carries the user's keys.
  const [, ...args] = sshArgv(
    vm,
    { key: vm.sshKeyPath, dir: dirname(vm.sshKeyPath) },
    command,
    vm.hypervisor === 'qemu',
  );
  const result = await runProcess([ssh, ...args], { interactive: true });
  return result.code;
}
