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
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { DiskBuildRecord, DiskBuildStatus } from '../api/disk-builds';

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
export interface RunnerLease {
  pid: number;
  host: string;
  /** Milliseconds since the epoch of the last renewal. */
  heartbeat: number;
  /** The private temp dir of the build's config file, removed when the build ends (by whoever ends it). */
  configDir?: string;
  /** The build's time limit, so a runner that takes a build over applies the same one. */
  timeoutMs?: number;
}

export interface StoreProblem {
  id: string;
  message: string;
}

export class BuildNotFoundError extends Error {
  constructor(id: string) {
    super(`no disk build ${JSON.stringify(id)}`);
    this.name = 'BuildNotFoundError';
  }
}

export class BuildStore {
  readonly buildsDir: string;

  constructor(readonly storeDir: string) {
    this.buildsDir = join(storeDir, 'builds');
  }

  dirOf(id: string): string {
    if (!isBuildId(id)) throw new BuildNotFoundError(id);
    return join(this.buildsDir, id);
  }

  /** Writes a record atomically (temp file + rename), creating its folder (0700) when new. */
  async write(record: DiskBuildRecord): Promise<void> {
    await this.writeJson(record.id, 'build.json', record);
  }

  async read(id: string): Promise<DiskBuildRecord> {
    const text = await readFile(join(this.dirOf(id), 'build.json'), 'utf8').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BuildNotFoundError(id);
      throw error;
    });
    const problem = recordProblem(id, text);
    if (typeof problem === 'string') throw new Error(`the record of build ${id} is damaged: ${problem}`);
    return problem;
  }

  /** Every readable record, newest first, and one problem per record that could not be read. */
  async list(): Promise<{ records: DiskBuildRecord[]; problems: StoreProblem[] }> {
    const entries = await readdir(this.buildsDir, { withFileTypes: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    const records: DiskBuildRecord[] = [];
    const problems: StoreProblem[] = [];
    await Promise.all(
      entries
        .filter(entry => entry.isDirectory() && isBuildId(entry.name))
        .map(async entry => {
          const text = await readFile(join(this.buildsDir, entry.name, 'build.json'), 'utf8').catch(
            (error: unknown) => error as NodeJS.ErrnoException,
          );
          if (typeof text !== 'string') {
            // A folder whose record is not written yet (a build being created) is not a problem.
            if (text.code !== 'ENOENT') problems.push({ id: entry.name, message: `cannot read: ${text.message}` });
            return;
          }
          const result = recordProblem(entry.name, text);
          if (typeof result === 'string') problems.push({ id: entry.name, message: result });
          else records.push(result);
        }),
    );
    records.sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
    problems.sort((a, b) => a.id.localeCompare(b.id));
    return { records, problems };
  }

  /** Removes the record, its lease and its folder. */
  async remove(id: string): Promise<void> {
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  async readLease(id: string): Promise<RunnerLease | undefined> {
    try {
      const value = JSON.parse(await readFile(join(this.dirOf(id), 'runner.json'), 'utf8')) as Partial<RunnerLease>;
      if (typeof value.pid !== 'number' || typeof value.heartbeat !== 'number' || typeof value.host !== 'string') {
        return undefined;
      }
      return value as RunnerLease;
    } catch {
      return undefined;
    }
  }

  async writeLease(id: string, lease: RunnerLease): Promise<void> {
    await this.writeJson(id, 'runner.json', lease);
  }

  async removeLease(id: string): Promise<void> {
    await rm(join(this.dirOf(id), 'runner.json'), { force: true });
  }

  /** Asks the process that runs a build to cancel it (it looks at each heartbeat). */
  async requestCancel(id: string): Promise<void> {
    await writeFile(join(this.dirOf(id), 'cancel'), '', { mode: 0o600 });
  }

  async cancelRequested(id: string): Promise<boolean> {
    return access(join(this.dirOf(id), 'cancel')).then(
      () => true,
      () => false,
    );
  }

  async removeCancelRequest(id: string): Promise<void> {
    await rm(join(this.dirOf(id), 'cancel'), { force: true });
  }

  private async writeJson(id: string, name: string, value: unknown): Promise<void> {
    const dir = this.dirOf(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temp, join(dir, name));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/** The record in `text`, or why it is not one. */
function recordProblem(id: string, text: string): DiskBuildRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
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
