import { onCurrentEngine } from '../../builds/record-engine';
import { engineGoneMessage, findEngine } from '../../engine/engine-identity';
import type { CliCommand } from '../cli-context';
import { UsageError } from '../cli-context';
import { describeRecord } from '../disk-builds';
import { reconciledRecords } from './disk-ls';

/** `bootc-studio disk show ID`: one build's record (an id prefix that names one build is enough). */
export const diskShowCommand: CliCommand = {
  name: 'disk show',
  summary: 'Show one disk image build: status, request, artifacts with sizes, log path',
  usage: 'ID',
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    const given = positionals[0].trim().toLowerCase();
    if (!/^[0-9a-f]{1,12}$/.test(given)) throw new UsageError(`ID: not a build id: ${JSON.stringify(positionals[0])}`);
    const { records } = await reconciledRecords(ctx, given.length === 12 ? given : undefined);
    const matches = records.filter(record => record.id.startsWith(given));
    if (matches.length === 0) throw new UsageError(`ID: no disk build ${positionals[0]} (see bootc-studio disk ls)`);
    if (matches.length > 1)
      throw new UsageError(`ID: ${positionals[0]} names ${matches.length} builds; give more of the id`);
    // The engine as it is named now (a local podman's old socket-path id moves), or that it is gone.
    const engines = await ctx
      .engine()
      .then(engine => engine.listEngines())
      .catch(() => undefined);
    const record = engines ? onCurrentEngine(matches[0], engines) : matches[0];
    const gone = engines && !findEngine(engines, record.engineId) ? engineGoneMessage(record.engineId, engines) : '';
    ctx.io.stdout.write(ctx.json ? `${JSON.stringify(record, null, 2)}\n` : describeRecord(record));
    if (gone && !ctx.json) ctx.io.stdout.write(`Note:      ${gone}\n`);
    return 0;
  },
};
