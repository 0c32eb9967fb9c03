import type { CliCommand } from '../cli-context';
import { describeStatus, openDay2 } from '../day2';
import { openVms, resolveVm } from '../vms';

/** `bootc-studio vm status VM`: what the VM booted, what is staged, what it can roll back to. */
export const vmStatusCommand: CliCommand = {
  name: 'vm status',
  summary:
    'Show what manages a running VM (bootc, rpm-ostree or neither) and its image: booted, staged, rollback, what it tracks, layered packages',
  usage: 'VM',
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    const cli = openVms(ctx);
    const vm = await resolveVm(cli.vms, positionals[0]);
    const status = await openDay2(cli).status(vm.id);
    ctx.io.stdout.write(ctx.json ? `${JSON.stringify(status, null, 2)}\n` : describeStatus(status));
    return 0;
  },
};
