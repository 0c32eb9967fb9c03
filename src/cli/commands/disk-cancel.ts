import type { CliCommand } from '../cli-context';
import { openBuilds, resolveBuildId } from '../disk-builds';

/** `bootc-studio disk cancel ID`: stops the builder, removes partial artifacts, records `cancelled`. */
export const diskCancelCommand: CliCommand = {
  name: 'disk cancel',
  summary: 'Cancel a running disk image build (its partial disk images are removed)',
  usage: 'ID',
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    const builds = await openBuilds(ctx);
    const id = await resolveBuildId(builds, positionals[0]);
    const before = await builds.get(id);
    const record = await builds.cancel(id);
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    else if (record.status === 'cancelled' && before.status !== 'cancelled') ctx.io.stdout.write(`Cancelled ${id}\n`);
    else ctx.io.stdout.write(`Build ${id} had already ended: ${record.status}\n`);
    return 0;
  },
};
