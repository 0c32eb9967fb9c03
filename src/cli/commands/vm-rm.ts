import type { CliCommand } from '../cli-context';
import { openVms, resolveVm } from '../vms';

/** `bootc-studio vm rm VM…`: stops each VM if it runs, then deletes it and its files (never the built disk). */
export const vmRmCommand: CliCommand = {
  name: 'vm rm',
  summary: 'Delete VMs: a running one is stopped first; the built disk is left as it is',
  usage: 'VM…',
  positionals: [1, 100],
  async run(ctx, _values, positionals) {
    const { vms } = openVms(ctx);
    const targets = [];
    for (const given of positionals) targets.push(await resolveVm(vms, given));
    for (const vm of targets) {
      if (vm.state === 'running' && !ctx.json) ctx.io.stderr.write(`Stopping ${vm.name}…\n`);
      await vms.remove(vm.id);
      if (!ctx.json) ctx.io.stdout.write(`Deleted ${vm.name} (${vm.id})\n`);
    }
    if (ctx.json)
      ctx.io.stdout.write(
        `${JSON.stringify(
          targets.map(vm => ({ id: vm.id, name: vm.name, deleted: true })),
          null,
          2,
        )}\n`,
      );
    return 0;
  },
};
