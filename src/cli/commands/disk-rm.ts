import type { CliCommand } from '../cli-context';
import { openBuilds, resolveBuildId } from '../disk-builds';

/**
 * `bootc-studio disk rm ID [--keep-files]`: removes the record and, unless --keep-files, its files —
 * only those still the build's own; a file replaced since is left, and named with the reason.
 */
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
    const result = await builds.delete(id, values['keep-files'] === true);
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ id, deleted: true, ...result }, null, 2)}\n`);
    else {
      for (const path of result.removed) ctx.io.stdout.write(`Removed ${path}\n`);
      for (const kept of result.kept) ctx.io.stdout.write(`Left ${kept.path}: ${kept.reason}\n`);
      ctx.io.stdout.write(`Deleted ${id}\n`);
    }
    return 0;
  },
};
