/**
 * Disk builds as jobs of kind `disk-build`: the job registry lists, reads, cancels and follows the
 * builds of the store through this source, beside the jobs it runs in memory. A build keeps its own
 * record (the service and its store); the job is made from it whenever it is read — its id and
 * subject are the build's id, its `detail` the whole record, its log the build's log file, read by
 * line.
 *
 * The service tells of every change of a build this process runs; a build another process runs (the
 * CLI while Podman Desktop shows it, or the other way round) is looked at every `pollMs` while
 * anyone listens, so its followers see it move too.
 *
 * The log of a build that ended a while ago no longer grows: its line count is taken once and kept
 * (for that record's log path, status and end), so listing a long history reads no logs.
 */

import type { DiskBuildRecord, DiskBuildStatus } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import type { Job, JobAction, JobLogChunk, JobStatus, JobStep } from '../api/jobs';
import { ROUTES } from '../api/routes';
import { canLaunchVm, launchVmRoute } from '../api/vms';
import { LogFileReader } from '../jobs/job-log';
import type { JobChange, JobSource } from '../jobs/job-source';
import { Listeners } from '../jobs/listeners';
import { BuildNotFoundError, isBuildId } from './build-store';
import type { DiskBuildService } from './disk-build-service';

export const DISK_BUILD_JOB_KIND = 'disk-build';

const STATUS: Record<DiskBuildStatus, JobStatus> = {
  queued: 'queued',
  preparing: 'running',
  building: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  lost: 'lost',
};

/** The two steps a build shows: getting the image and the builder ready, then the builder's run. */
export const DISK_BUILD_STEPS = ['Prepare', 'Build'] as const;

export interface DiskBuildJobsOptions {
  /** How often a build run by another process is looked at while anyone listens. Default 1000 ms. */
  pollMs?: number;
  now?: () => number;
}

/** How long after its end a build's log may still get lines (the runner closes it after the record). */
const SETTLED_MS = 60_000;

export class DiskBuildJobs implements JobSource {
  readonly kind = DISK_BUILD_JOB_KIND;
  readonly #service: DiskBuildService;
  readonly #logs = new LogFileReader();
  readonly #listeners = new Listeners<JobChange>();
  /** Builds run elsewhere that have not ended, and the last job told of each. */
  readonly #foreign = new Map<string, string>();
  readonly #pollMs: number;
  readonly #now: () => number;
  /** Line counts of the logs of builds that ended over SETTLED_MS before they were counted. */
  readonly #settledCounts = new Map<string, { key: string; lines: number }>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #subscription: { dispose(): void } | undefined;
  /** Changes are told in the order the service made them, though each reads its log's length. */
  #queue: Promise<void> = Promise.resolve();

  constructor(service: DiskBuildService, options: DiskBuildJobsOptions = {}) {
    this.#service = service;
    this.#pollMs = options.pollMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  async list(): Promise<Job[]> {
    const records = await this.#service.list();
    const listed = new Set(records.map(record => record.id));
    for (const id of this.#settledCounts.keys()) if (!listed.has(id)) this.#settledCounts.delete(id);
    return Promise.all(records.map(record => this.#jobOf(record)));
  }

  async get(id: string): Promise<Job | undefined> {
    const record = await this.#record(id);
    return record && this.#jobOf(record);
  }

  async readLog(id: string, from: number): Promise<JobLogChunk | undefined> {
    const record = await this.#record(id);
    if (!record) return undefined;
    return this.#logs.read(record.logPath, from, FINISHED_STATUSES.includes(record.status));
  }

  async cancel(id: string): Promise<boolean> {
    if (!(await this.#record(id))) return false;
    await this.#service.cancel(id);
    return true;
  }

  async wait(id: string): Promise<Job | undefined> {
    if (!(await this.#record(id))) return undefined;
    return this.#jobOf(await this.#service.wait(id));
  }

  onDidChange(listener: (change: JobChange) => void): { dispose(): void } {
    const added = this.#listeners.add(listener);
    this.#subscription ??= this.#service.onDidChange(change => {
      this.#enqueue(async () => {
        const job = change.record ? await this.#jobOf(change.record) : undefined;
        this.#tell({ id: change.id, kind: this.kind, ...(job ? { job } : {}) });
      });
    });
    this.#timer ??= setInterval(() => this.#enqueue(() => this.#poll()), this.#pollMs);
    this.#timer.unref?.();
    return {
      dispose: () => {
        added.dispose();
        if (this.#listeners.size > 0) return;
        this.#subscription?.dispose();
        this.#subscription = undefined;
        clearInterval(this.#timer);
        this.#timer = undefined;
      },
    };
  }

  /** The build's record, or undefined when the id is not a build of the store. */
  async #record(id: string): Promise<DiskBuildRecord | undefined> {
    if (!isBuildId(id)) return undefined;
    try {
      return await this.#service.get(id);
    } catch (error: unknown) {
      if (error instanceof BuildNotFoundError) return undefined;
      throw error;
    }
  }

  async #jobOf(record: DiskBuildRecord): Promise<Job<DiskBuildRecord>> {
    const runningHere = this.#service.isRunningHere(record.id);
    const finished = FINISHED_STATUSES.includes(record.status);
    if (!runningHere && !finished) this.#foreign.set(record.id, this.#foreign.get(record.id) ?? '');
    return diskBuildJob(record, await this.#logLines(record, finished && !runningHere), runningHere);
  }

  /** The log's line count; kept for a build that ended over SETTLED_MS ago (its log is complete). */
  async #logLines(record: DiskBuildRecord, ended: boolean): Promise<number> {
    // Looked at by the service's list just now: a log that is gone has no lines.
    if (record.logPresent === false) return 0;
    const settled = ended && record.ended !== undefined && this.#now() - record.ended > SETTLED_MS;
    if (!settled) return this.#logs.count(record.logPath);
    const key = `${record.status}|${record.ended}|${record.logPath}`;
    const known = this.#settledCounts.get(record.id);
    if (known?.key === key) return known.lines;
    const lines = await this.#logs.count(record.logPath);
    this.#settledCounts.set(record.id, { key, lines });
    return lines;
  }

  /** Looks at the builds run elsewhere; tells of each that moved (and of each that ended, once). */
  async #poll(): Promise<void> {
    for (const [id, last] of [...this.#foreign]) {
      const record = await this.#record(id).catch(() => undefined);
      if (!record || FINISHED_STATUSES.includes(record.status) || this.#service.isRunningHere(id)) {
        this.#foreign.delete(id);
      }
      const job = record ? await this.#jobOf(record) : undefined;
      const text = JSON.stringify(job ?? null);
      if (text === last) continue;
      if (this.#foreign.has(id)) this.#foreign.set(id, text);
      this.#tell({ id, kind: this.kind, ...(job ? { job } : {}) });
    }
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch(() => undefined);
  }

  #tell(change: JobChange): void {
    this.#listeners.emit(change);
  }
}

/** The job a build's record stands for. */
export function diskBuildJob(record: DiskBuildRecord, logLines: number, runningHere: boolean): Job<DiskBuildRecord> {
  const { image, types } = record.request;
  const status = STATUS[record.status];
  return {
    id: record.id,
    kind: DISK_BUILD_JOB_KIND,
    title: `Building disk image ${image} (${types.join(', ')})`,
    subject: record.id,
    status,
    ...(record.percent !== undefined ? { percent: record.percent } : {}),
    ...(record.message !== undefined ? { message: record.message } : {}),
    steps: stepsOf(record.status),
    warnings: [],
    ...errorOf(record),
    created: record.created,
    ...(record.started !== undefined ? { started: record.started } : {}),
    ...(record.ended !== undefined ? { ended: record.ended } : {}),
    logLines,
    runningHere,
    ...(isJobEnd(status) ? { summary: summaryOf(record) } : {}),
    actions: actionsOf(record),
    detail: record,
  };
}

/** Why it did not succeed, as data: `build-failed`, `cancelled` or `lost`, and the record's words. */
function errorOf(record: DiskBuildRecord): Pick<Job, 'error'> {
  switch (record.status) {
    case 'failed':
      return { error: { message: record.error ?? 'The build failed', code: 'build-failed' } };
    case 'cancelled':
      return { error: { message: record.error ?? 'Cancelled', code: 'cancelled' } };
    case 'lost':
      return { error: { message: record.error ?? 'Lost', code: 'lost' } };
    default:
      return {};
  }
}

function isJobEnd(status: JobStatus): boolean {
  return status !== 'queued' && status !== 'running';
}

function stepsOf(status: DiskBuildStatus): JobStep[] {
  const [prepare, build] = DISK_BUILD_STEPS;
  switch (status) {
    case 'queued':
      return [
        { name: prepare, status: 'pending' },
        { name: build, status: 'pending' },
      ];
    case 'preparing':
      return [
        { name: prepare, status: 'running' },
        { name: build, status: 'pending' },
      ];
    case 'building':
      return [
        { name: prepare, status: 'succeeded' },
        { name: build, status: 'running' },
      ];
    case 'succeeded':
      return [
        { name: prepare, status: 'succeeded' },
        { name: build, status: 'succeeded' },
      ];
    default:
      // Where it stopped is not kept in the record: the build step carries the outcome.
      return [
        { name: prepare, status: 'succeeded' },
        { name: build, status: status === 'cancelled' ? 'cancelled' : 'failed' },
      ];
  }
}

/** One line for the end notice, naming the folder (and the engine's machine, for a remote build). */
function summaryOf(record: DiskBuildRecord): string {
  const { image, outputDir } = record.request;
  const where = record.remote ? `${outputDir} on ${record.engineName}` : outputDir;
  switch (record.status) {
    case 'succeeded': {
      const files = record.artifacts.map(artifact => artifact.path.slice(outputDir.length + 1)).join(', ');
      return `Disk image of ${image} built in ${where}: ${files}`;
    }
    case 'cancelled':
      return `The disk image build of ${image} was cancelled`;
    case 'lost':
      return `The disk image build of ${image} was lost: ${record.error ?? ''}`;
    default:
      return `The disk image build of ${image} failed: ${record.error ?? ''}`;
  }
}

function actionsOf(record: DiskBuildRecord): JobAction[] {
  const showLog: JobAction = {
    kind: 'show-job',
    label: 'Show log',
    route: `${ROUTES.diskImageDetails}?build=${encodeURIComponent(record.id)}`,
  };
  // A remote build's folder is on the engine's machine: nothing here can open it.
  const folder: JobAction[] = record.remote
    ? []
    : [{ kind: 'open-folder', label: 'Open folder', path: record.request.outputDir }];
  const launch: JobAction[] = canLaunchVm(record)
    ? [{ kind: 'show-job', label: 'Launch VM', route: launchVmRoute(record.id) }]
    : [];
  return record.status === 'succeeded' ? [...launch, ...folder] : [showLog, ...folder];
}
