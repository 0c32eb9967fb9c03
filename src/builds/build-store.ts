/**
 * The build records: `<store>/builds/<id>/build.json`, one per build, each write to a temp file in
 * the same folder then renamed over the old one (a reader sees the old record or the new one, never
 * half of one). A record that cannot be read is reported with its id and skipped: one damaged file
 * never hides the others.
 *
 * Beside the record, `runner.json` says which process runs the build (pid, host, a heartbeat it
 * renews) and where its config file's private temp dir is, so that another process (the CLI while
 * Podman Desktop builds, or the extension after a restart) can tell a build that is being run from
 * one whose runner died, and clean up after the latter. It holds no secret.
 */

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import type { DiskBuildRecord, DiskBuildStatus } from '../api/disk-builds';
import { RecordStore, type Lease, type StoreProblem } from '../jobs/record-store';

const STATUSES: readonly DiskBuildStatus[] = [
  'queued',
  'preparing',
  'building',
  'succeeded',
  'failed',
  'cancelled',
  'lost',
];

/** Build ids: 12 lower-case hex digits, like podman's short ids. Nothing else reaches a path. */
const BUILD_ID = /^[0-9a-f]{12}$/;

export function newBuildId(): string {
  return randomBytes(6).toString('hex');
}

export function isBuildId(value: unknown): value is string {
  return typeof value === 'string' && BUILD_ID.test(value);
}

/** Who runs a build: renewed by its runner while it follows the builder. */
export interface RunnerLease extends Lease {
  /** The private temp dir of the build's config file, removed when the build ends (by whoever ends it). */
  configDir?: string;
  /** The build's time limit, so a runner that takes a build over applies the same one. */
  timeoutMs?: number;
}

export class BuildNotFoundError extends Error {
  constructor(id: string) {
    super(`no disk build ${JSON.stringify(id)}`);
    this.name = 'BuildNotFoundError';
  }
}

export class BuildStore {
  readonly buildsDir: string;
  readonly #records: RecordStore<DiskBuildRecord, RunnerLease>;

  constructor(readonly storeDir: string) {
    this.buildsDir = join(storeDir, 'builds');
    this.#records = new RecordStore<DiskBuildRecord, RunnerLease>({
      dir: this.buildsDir,
      file: 'build.json',
      isId: isBuildId,
      validate: recordProblem,
      notFound: id => new BuildNotFoundError(id),
      noun: 'build',
    });
  }

  dirOf(id: string): string {
    return this.#records.dirOf(id);
  }

  /** Writes a record atomically (temp file + rename), creating its folder (0700) when new. */
  write(record: DiskBuildRecord): Promise<void> {
    return this.#records.write(record.id, record);
  }

  read(id: string): Promise<DiskBuildRecord> {
    return this.#records.read(id);
  }

  /** Every readable record, newest first, and one problem per record that could not be read. */
  async list(): Promise<{ records: DiskBuildRecord[]; problems: StoreProblem[] }> {
    const { records, problems } = await this.#records.list();
    records.sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
    return { records, problems };
  }

  /** Removes the record, its lease and its folder. */
  remove(id: string): Promise<void> {
    return this.#records.remove(id);
  }

  readLease(id: string): Promise<RunnerLease | undefined> {
    return this.#records.readLease(id);
  }

  writeLease(id: string, lease: RunnerLease): Promise<void> {
    return this.#records.writeLease(id, lease);
  }

  removeLease(id: string): Promise<void> {
    return this.#records.removeLease(id);
  }

  /** Asks the process that runs a build to cancel it (it looks at each heartbeat). */
  requestCancel(id: string): Promise<void> {
    return this.#records.requestCancel(id);
  }

  cancelRequested(id: string): Promise<boolean> {
    return this.#records.cancelRequested(id);
  }

  removeCancelRequest(id: string): Promise<void> {
    return this.#records.removeCancelRequest(id);
  }
}

/** The record in `value` (a JSON object read from the folder `id`), or why it is not one. */
function recordProblem(id: string, value: unknown): DiskBuildRecord | string {
  const record = value as Partial<DiskBuildRecord>;
  if (record.id !== id) return `its id is ${JSON.stringify(record.id)}, not the folder's`;
  if (!STATUSES.includes(record.status as DiskBuildStatus)) return `unknown status ${JSON.stringify(record.status)}`;
  if (typeof record.created !== 'number') return 'no creation time';
  const request = record.request as unknown as Record<string, unknown> | undefined;
  if (typeof request !== 'object' || request === null || typeof request.image !== 'string') return 'no request';
  if (!Array.isArray(request.types) || typeof request.outputDir !== 'string') return 'an incomplete request';
  if (!Array.isArray(record.artifacts)) return 'no artifact list';
  if (typeof record.logPath !== 'string') return 'no log path';
  return record as DiskBuildRecord;
}
