/**
 * What the `disk …` commands share: the build service over the CLI's engine and store (and its
 * builds as jobs, for the CLI's job follower), ids given in full or as a unique prefix, and the
 * human view of a record.
 */

import { formatAgo, formatBytes } from '../api/format';
import type { DiskBuildArtifact, DiskBuildRecord } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { DiskBuildJobs } from '../builds/disk-build-jobs';
import { DiskBuildService } from '../builds/disk-build-service';
import { JobRegistry } from '../jobs/job-registry';
import type { CliContext } from './cli-context';
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

/** The builds of the store as jobs, for the CLI's job follower. */
export function buildJobs(builds: DiskBuildService): JobRegistry {
  const jobs = new JobRegistry();
  jobs.attach(new DiskBuildJobs(builds));
  return jobs;
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
    `Created:   ${new Date(record.created).toISOString()} (${formatAgo(record.created)})`,
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
