import { formatAgo } from '../../api/format';
import type { DiskBuildRecord } from '../../api/disk-builds';
import { errorMessage } from '../../api/errors';
import { BuildStore } from '../../builds/build-store';
import type { CliCommand, CliContext } from '../cli-context';
import { durationOf, filesNote, openBuilds, statusText } from '../disk-builds';
import { formatTable } from '../table';

/**
 * `bootc-studio disk ls`: every build of the store, newest first. Builds whose runner went away are
 * reconciled first (finished builders recorded, vanished ones marked lost); without a reachable
 * engine the records are listed as they are, with a warning.
 */
export const diskLsCommand: CliCommand = {
  name: 'disk ls',
  summary: 'List the disk image builds, newest first',
  positionals: [0, 0],
  async run(ctx) {
    const { records, problems } = await reconciledRecords(ctx);
    for (const problem of problems) {
      ctx.io.stderr.write(`bootc-studio: warning: skipped the record of build ${problem.id}: ${problem.message}\n`);
    }
    if (ctx.json) {
      ctx.io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      return 0;
    }
    if (records.length === 0) {
      ctx.io.stdout.write('No disk builds yet. Start one: bootc-studio disk build IMAGE --output DIR\n');
      return 0;
    }
    ctx.io.stdout.write(
      formatTable(['ID', 'STATUS', 'IMAGE', 'TYPES', 'ARCH', 'CREATED', 'DURATION', 'OUTPUT'], records.map(row)),
    );
    return 0;
  },
};

function row(record: DiskBuildRecord): string[] {
  return [
    record.id,
    filesNote(record) ? `${statusText(record)} (files: ${filesNote(record)})` : statusText(record),
    record.request.image,
    record.request.types.join(','),
    record.request.arch,
    formatAgo(record.created),
    durationOf(record),
    record.request.outputDir,
  ];
}

/** The store's records after an `observe` reconciliation; the bare store when the engine does not answer. */
export async function reconciledRecords(ctx: CliContext, onlyId?: string) {
  try {
    const builds = await openBuilds(ctx);
    await builds.reconcile('observe', onlyId);
    return await builds.listWithProblems();
  } catch (error) {
    ctx.io.stderr.write(
      `bootc-studio: warning: the engine does not answer (${errorMessage(error)}); builds are shown as last recorded\n`,
    );
    return new BuildStore(ctx.storeDir).list();
  }
}
