import type { VmInfo } from '../../api/vms';
import type { CliCommand } from '../cli-context';
import { formatTable } from '../table';
import { openVms, sourceText, uptimeText } from '../vms';

/** `bootc-studio vm ls`: every VM of the store, newest first, as it is now (a dead QEMU shows stopped). */
export const vmLsCommand: CliCommand = {
  name: 'vm ls',
  summary: 'List the virtual machines, newest first',
  positionals: [0, 0],
  async run(ctx) {
    const { vms } = openVms(ctx);
    const { vms: all, problems } = await vms.list();
    for (const problem of problems) {
      ctx.io.stderr.write(`bootc-studio: warning: skipped the record of VM ${problem.id}: ${problem.message}\n`);
    }
    if (ctx.json) {
      ctx.io.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return 0;
    }
    if (all.length === 0) {
      ctx.io.stdout.write('No VMs yet. Boot one: bootc-studio vm run IMAGE (or a disk build id, or a disk path)\n');
      return 0;
    }
    ctx.io.stdout.write(formatTable(['ID', 'NAME', 'STATE', 'SOURCE', 'SSH', 'UPTIME'], all.map(row)));
    return 0;
  },
};

function row(vm: VmInfo): string[] {
  return [
    vm.id,
    vm.name,
    vm.state,
    sourceText(vm),
    vm.state === 'running' && vm.sshPort ? `127.0.0.1:${vm.sshPort}` : '',
    uptimeText(vm),
  ];
}
