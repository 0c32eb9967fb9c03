/**
 * What the `disk …` commands share: the build service over the CLI's engine and store, ids given in
 * full or as a unique prefix, the human view of a record, and following a build on the terminal
 * (its log as it grows, and a progress bar on a TTY or plain progress lines otherwise).
 */

import { formatAge, formatBytes } from '../api/format';
import type { DiskBuildArtifact, DiskBuildRecord } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { DiskBuildService } from '../builds/disk-build-service';
import type { CliContext, CliIo } from './cli-context';
import { UsageError } from './cli-context';

/** The build service over the CLI's engine (`--url`) and store (`--store`), problems on stderr. */
export async function openBuilds(ctx: CliContext): Promise<DiskBuildService> {
  return new DiskBuildService({
    engine: await ctx.engine(),
    storeDir: ctx.storeDir,
    warn: message => ctx.io.stderr.write(`bootc-studio: warning: ${message}\n`),
    ...(ctx.handoff ? { handoff: ctx.handoff } : {}),
  });
}

export function isFinished(record: DiskBuildRecord): boolean {
  return FINISHED_STATUSES.includes(record.status);
}

/** A full id, or a prefix that names exactly one build. */
export async function resolveBuildId(builds: DiskBuildService, given: string): Promise<string> {
  const wanted = given.trim().toLowerCase();
  if (!/^[0-9a-f]{1,12}$/.test(wanted)) throw new UsageError(`ID: not a build id: ${JSON.stringify(given)}`);
  const { records } = await builds.store.list();
  const matches = records.filter(record => record.id.startsWith(wanted));
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new UsageError(`ID: no disk build ${given} (see bootc-studio disk ls)`);
  throw new UsageError(`ID: ${given} names ${matches.length} builds; give more of the id`);
}

export function durationOf(record: DiskBuildRecord, now = Date.now()): string {
  const start = record.started ?? record.created;
  const end = record.ended ?? now;
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

export function statusText(record: DiskBuildRecord): string {
  if (!isFinished(record) && record.percent !== undefined) return `${record.status} ${record.percent}%`;
  return record.status;
}

export function describeRecord(record: DiskBuildRecord): string {
  const request = record.request;
  const lines = [
    `ID:        ${record.id}`,
    `Status:    ${statusText(record)}${record.message && !isFinished(record) ? ` — ${record.message}` : ''}`,
    ...(record.error ? [`Error:     ${record.error}`] : []),
    `Image:     ${request.image}`,
    `Engine:    ${record.engineName}${record.remote ? ' (remote: the output folder is on that machine)' : ''}${
      record.handoff ? " (the builder ran on root's podman: Linux hand-off)" : ''
    }`,
    `Types:     ${request.types.join(', ')}`,
    `Arch:      ${request.arch}`,
    ...(request.rootfs ? [`Root fs:   ${request.rootfs}`] : []),
    `Builder:   ${record.builderImage}`,
    `Output:    ${request.outputDir}`,
    `Log:       ${record.logPath}${record.logPresent === false ? ' (gone: removed outside Bootc Studio)' : ''}`,
    `Created:   ${new Date(record.created).toISOString()} (${formatAge(record.created)} ago)`,
    `Duration:  ${durationOf(record)}`,
  ];
  if (record.artifacts.length > 0) {
    lines.push('Artifacts:');
    for (const artifact of record.artifacts)
      lines.push(`  ${artifact.type.padEnd(8)} ${artifact.path}  ${artifactText(artifact)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `1.2 GiB`, or what happened to the file: `missing`, `replaced by build 1a2b3c4d5e6f`. */
export function artifactText(artifact: DiskBuildArtifact): string {
  if (artifact.state === 'missing') return 'missing (removed outside Bootc Studio)';
  if (artifact.state === 'replaced') {
    return artifact.replacedBy ? `replaced by build ${artifact.replacedBy}` : 'replaced (another file is there now)';
  }
  return artifact.size !== undefined ? formatBytes(artifact.size) : '';
}

/** `1 missing, 1 replaced` for a record whose files changed since it ended; empty when all are there. */
export function filesNote(record: DiskBuildRecord): string {
  const missing = record.artifacts.filter(artifact => artifact.state === 'missing').length;
  const replaced = record.artifacts.filter(artifact => artifact.state === 'replaced').length;
  return [missing ? `${missing} missing` : '', replaced ? `${replaced} replaced` : ''].filter(Boolean).join(', ');
}

const POLL_MS = 250;

/**
 * Follows a build on the terminal until it has ended and its log is read to the end. With --json the
 * log and the bar go to stderr (stdout holds only the final record). Resolves with the final record.
 */
export async function followBuild(
  builds: DiskBuildService,
  id: string,
  io: CliIo,
  options: { json: boolean; fromByte?: number; signal?: AbortSignal },
): Promise<DiskBuildRecord> {
  const out = options.json ? io.stderr : io.stdout;
  const tty = out.isTTY === true;
  let next = options.fromByte ?? 0;
  let barShown = false;
  let lastBar = '';
  let lastPlain = -1;
  const clearBar = () => {
    if (barShown) out.write('\r\x1b[2K');
    barShown = false;
  };
  let pendingLine = '';
  for (;;) {
    const record = await builds.get(id);
    const { text, next: after } = await builds.readLog(id, next);
    next = after;
    if (text) {
      clearBar();
      // Whole lines only, so the bar never lands in the middle of one.
      const joined = pendingLine + text;
      const cut = joined.lastIndexOf('\n') + 1;
      pendingLine = joined.slice(cut);
      if (cut > 0) out.write(joined.slice(0, cut));
    }
    const finished = isFinished(record);
    if (!finished && record.status === 'building') {
      if (tty) {
        const bar = progressBar(record, Math.max(40, (out.columns ?? 80) - 1));
        if (bar !== lastBar || !barShown) {
          out.write(`\r\x1b[2K${bar}`);
          barShown = true;
          lastBar = bar;
        }
      } else if (record.percent !== undefined && Math.floor(record.percent / 10) > Math.floor(lastPlain / 10)) {
        lastPlain = record.percent;
        out.write(`bootc-studio: ${record.percent}%${record.message ? ` ${record.message}` : ''}\n`);
      }
    }
    if (finished && !text) {
      clearBar();
      if (pendingLine) out.write(`${pendingLine}\n`);
      return record;
    }
    if (options.signal?.aborted) {
      clearBar();
      return record;
    }
    if (!text || finished) await delay(POLL_MS, options.signal);
  }
}

/** `[=========>          ]  45% org.osbuild.rpm` */
export function progressBar(record: DiskBuildRecord, width: number): string {
  const percent = record.percent;
  const label = percent === undefined ? '   …' : ` ${String(percent).padStart(3)}%`;
  const message = record.message ? ` ${record.message}` : '';
  const room = Math.max(10, Math.min(40, width - label.length - 2 - Math.min(message.length, 30)));
  const filled = percent === undefined ? 0 : Math.round((percent / 100) * room);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(room - filled)}]`;
  return `${bar}${label}${message}`.slice(0, width);
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
