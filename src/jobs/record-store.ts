/**
 * Records of a persisted kind of job (disk builds now, VMs next): `<dir>/<id>/<file>`, one folder
 * per record, each write to a temp file in the same folder then renamed over the old one (a reader
 * sees the old record or the new one, never half of one). A record that cannot be read is reported
 * with its id and why, and skipped: one damaged file never hides the others; one that is not even
 * JSON (truncated) is set aside beside it as `<file>.damaged`. A full disk is said as such. The
 * temp files of writers killed before their rename are removed at the first list (the next start).
 *
 * Beside a record, `runner.json` says which process runs it (pid, host, a heartbeat it renews, and
 * what the kind adds), so another process can tell work that is being run from work whose runner
 * died; and a `cancel` file asks that runner to stop. Folders are 0700, files 0600.
 *
 * `list` keeps each record it parsed, with the identity of the file it came from (inode, size,
 * mtime, ctime): a record file whose identity is unchanged is not read again, so listing a long
 * history costs a stat per record. Every write (this process's or another's, the CLI's) renames a
 * new file into place, so it changes that identity and is read at the next list.
 */

import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { processExists } from '../platform/process';

/** Who runs a record's work: renewed by its runner while it works. */
export interface Lease {
  pid: number;
  host: string;
  /** Milliseconds since the epoch of the last renewal. */
  heartbeat: number;
}

/** A record that could not be read, and why. */
export interface StoreProblem {
  id: string;
  message: string;
}

export interface RecordStoreOptions<T> {
  /** The folder that holds one folder per record. */
  dir: string;
  /** The record's file name in its folder, e.g. `build.json`. */
  file: string;
  /** Whether `id` may name a record (nothing else ever reaches a path). */
  isId(id: string): boolean;
  /** The record in `value` (parsed JSON of the folder `id`), or why it is not one. */
  validate(id: string, value: unknown): T | string;
  /** The error for an id that names no record. */
  notFound(id: string): Error;
  /** What one record is called in a damaged record's error, e.g. `build`. */
  noun: string;
}

export class RecordStore<T, L extends Lease = Lease> {
  readonly dir: string;
  readonly #options: RecordStoreOptions<T>;
  /** Whether the temp files of writers that died were looked for (once per store object: at start). */
  #swept = false;
  /** The records `list` parsed, by id, with their file's identity when read. */
  readonly #parsed = new Map<string, { identity: string; record: T }>();

  constructor(options: RecordStoreOptions<T>) {
    this.dir = options.dir;
    this.#options = options;
  }

  dirOf(id: string): string {
    if (!this.#options.isId(id)) throw this.#options.notFound(id);
    return join(this.dir, id);
  }

  /** Writes a record atomically (temp file + rename), creating its folder (0700) when new. */
  async write(id: string, record: T): Promise<void> {
    await this.#writeJson(id, this.#options.file, record);
  }

  async read(id: string): Promise<T> {
    const text = await readFile(join(this.dirOf(id), this.#options.file), 'utf8').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw this.#options.notFound(id);
      throw error;
    });
    const result = this.#parse(id, text);
    if (typeof result === 'string') throw new Error(`the record of ${this.#options.noun} ${id} is damaged: ${result}`);
    return result;
  }

  /** Every readable record, and one problem per record that could not be read (sorted by id). */
  async list(): Promise<{ records: T[]; problems: StoreProblem[] }> {
    const entries = await readdir(this.dir, { withFileTypes: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    const records: T[] = [];
    const problems: StoreProblem[] = [];
    if (!this.#swept) {
      this.#swept = true;
      await Promise.all(
        entries
          .filter(entry => entry.isDirectory() && this.#options.isId(entry.name))
          .map(entry => removeDeadTempFiles(join(this.dir, entry.name))),
      );
    }
    const ids = entries.filter(entry => entry.isDirectory() && this.#options.isId(entry.name)).map(entry => entry.name);
    const listed = new Set(ids);
    for (const id of this.#parsed.keys()) if (!listed.has(id)) this.#parsed.delete(id);
    await Promise.all(
      ids.map(async id => {
        const result = await this.#readListed(id);
        if (result.record !== undefined) records.push(result.record);
        else if (result.problem !== undefined) problems.push({ id, message: result.problem });
      }),
    );
    problems.sort((a, b) => a.id.localeCompare(b.id));
    return { records, problems };
  }

  /**
   * Runs `work` while holding the store's lock `name` (`<dir>/.<name>.lock`, an exclusive file with
   * the holder's pid), so that a check-then-write (a new record's unique name) is not raced by
   * another process on the same store, nor by this one. A lock whose process died is taken over.
   */
  async exclusive<R>(name: string, work: () => Promise<R>): Promise<R> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const lock = join(this.dir, `.${name}.lock`);
    for (let waited = 0; ; waited += LOCK_POLL_MS) {
      try {
        await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      // No pid yet: its holder is writing it (or died doing so: after a while, taken over too).
      const dead = holder > 0 ? holder !== process.pid && !processExists(holder) : waited > LOCK_STALE_MS;
      if (dead) await rm(lock, { force: true });
      else if (waited > LOCK_WAIT_MS) throw new Error(`the store ${this.dir} stays locked by process ${holder}`);
      else await new Promise(resolve => setTimeout(resolve, LOCK_POLL_MS));
    }
    try {
      return await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Removes the record, its lease and its folder. */
  async remove(id: string): Promise<void> {
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** The lease, or undefined when there is none or it is not one. */
  async readLease(id: string): Promise<L | undefined> {
    try {
      const value = JSON.parse(await readFile(join(this.dirOf(id), 'runner.json'), 'utf8')) as Partial<L>;
      if (typeof value.pid !== 'number' || typeof value.heartbeat !== 'number' || typeof value.host !== 'string') {
        return undefined;
      }
      return value as L;
    } catch {
      return undefined;
    }
  }

  async writeLease(id: string, lease: L): Promise<void> {
    await this.#writeJson(id, 'runner.json', lease);
  }

  async removeLease(id: string): Promise<void> {
    await rm(join(this.dirOf(id), 'runner.json'), { force: true });
  }

  /** Asks the process that runs the record's work to stop (it looks at each heartbeat). */
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

  /** The record of a listed folder: from memory while its file is the one read, else read now. */
  async #readListed(id: string): Promise<{ record?: T; problem?: string }> {
    const path = join(this.dir, id, this.#options.file);
    const known = this.#parsed.get(id);
    if (known) {
      const info = await stat(path).catch(() => undefined);
      if (info && identityOf(info) === known.identity && settled(info))
        return { record: structuredClone(known.record) };
      this.#parsed.delete(id);
    }
    // The identity is read from the open file, so the text and the identity kept are of one file.
    const read = await readWithIdentity(path).catch((error: unknown) => error as NodeJS.ErrnoException);
    if (read instanceof Error) {
      // A folder whose record is not written yet (work being created) is not a problem.
      if (read.code !== 'ENOENT') return { problem: `cannot read: ${read.message}` };
      if (await exists(this.#damagedPath(id))) return { problem: setAsideMessage(this.#damagedPath(id)) };
      return {};
    }
    const result = this.#parse(id, read.text);
    if (result === NOT_JSON) return { problem: await this.#setAside(id) };
    if (typeof result === 'string') return { problem: result };
    this.#parsed.set(id, { identity: read.identity, record: structuredClone(result) });
    return { record: result };
  }

  #parse(id: string, text: string): T | string {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return NOT_JSON;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
    return this.#options.validate(id, value);
  }

  #damagedPath(id: string): string {
    return join(this.dirOf(id), `${this.#options.file}.damaged`);
  }

  /**
   * A record that is not JSON (truncated: written by something that is not this store, or cut by a
   * power loss) is moved aside, kept for whoever wants to look, so that it is no longer read as a
   * record (nor written over). Why, for the warning.
   */
  async #setAside(id: string): Promise<string> {
    const aside = this.#damagedPath(id);
    try {
      await rename(join(this.dirOf(id), this.#options.file), aside);
      return setAsideMessage(aside);
    } catch {
      return NOT_JSON;
    }
  }

  async #writeJson(id: string, name: string, value: unknown): Promise<void> {
    const dir = this.dirOf(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
    try {
      await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temp, join(dir, name));
    } catch (error) {
      await rm(temp, { force: true });
      // A record's first write that failed leaves no empty folder behind (rmdir takes only an empty one).
      await rmdir(dir).catch(() => undefined);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new Error(
          `the disk that holds ${this.dir} is full (no space left on device): the ${this.#options.noun} record ${id} was not written; free some space there`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

const NOT_JSON = 'not valid JSON';
const LOCK_POLL_MS = 25;
const LOCK_STALE_MS = 5000;
const LOCK_WAIT_MS = 60_000;
const TEMP_SUFFIX = '.tmp';
/** `.<file>.<pid>.<8 hex>.tmp`: a write's temp file, and the process that wrote it. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temp files left in `dir` by writers that died before their rename (a crash, a kill):
 * they are never read as records, but would pile up. A live writer's file (this process's, or
 * one whose pid runs) is left alone.
 */
async function removeDeadTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(TEMP_FILE.exec(name)?.[1] ?? 0);
    if (pid <= 0 || pid === process.pid || processExists(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}

/**
 * Whether a file's identity can be trusted to change with its next write: file times come from a
 * coarse clock, so two writes within one tick can leave the same size and times (and a rename may
 * reuse the freed inode). A file written in the last seconds is read again.
 */
function settled(info: Stats): boolean {
  return Date.now() - Math.max(info.mtimeMs, info.ctimeMs) > SETTLED_MS;
}

/** How old a record file must be before its kept parse is used (see settled). */
const SETTLED_MS = 2000;

/** What changes whenever a record file is replaced (a rename brings a new inode) or rewritten. */
function identityOf(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

async function readWithIdentity(path: string): Promise<{ text: string; identity: string }> {
  const file = await open(path, 'r');
  try {
    const info = await file.stat();
    return { text: await file.readFile('utf8'), identity: identityOf(info) };
  } finally {
    await file.close();
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function setAsideMessage(aside: string): string {
  return `${NOT_JSON} (truncated?): set aside as ${aside}`;
}
