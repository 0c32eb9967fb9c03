import type { CliCommand } from '../cli-context';
import { openBuilds, resolveBuildId } from '../disk-builds';

/** `bootc-studio disk rm ID [--keep-files]`: removes the record and, unless --keep-files, its files. */
export const diskRmCommand: CliCommand = {
  name: 'disk rm',
  summary: 'Delete a disk image build: its record, disk images and log (a running build is cancelled first)',
  usage: 'ID',
  positionals: [1, 1],
  options: {
    'keep-files': { type: 'boolean', description: 'Keep the disk images and the log; remove only the record' },
  },
  async run(ctx, values, positionals) {
    const builds = await openBuilds(ctx);
    const id = await resolveBuildId(builds, positionals[0]);
    await builds.delete(id, values['keep-files'] === true);
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ id, deleted: true }, null, 2)}\n`);
    else ctx.io.stdout.write(`Deleted ${id}\n`);
    return 0;
  },
};
