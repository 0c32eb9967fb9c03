/**
 * A build's own log, `image-build-<id>.log` (one file per build, never shared): a header (the build, the exact command), a marker line, then the builder's
 * output — already redacted — with Bootc Studio's own notes on lines of their own, prefixed
 * `bootc-studio: `. Readers ask for the bytes from an offset on (tail + follow), never the whole file.
 *
 * The marker and the prefix let a runner that takes over a running build (after a restart) count
 * how many of the builder's lines are already in the file, so that replaying the container's log
 * from its start adds only the lines that are new.
 */

import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

import { builderImageOf } from '../api/disk-build';
import type { DiskBuildRecord } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { renderRunCommand, type BuilderPlan } from './builder-plan';

/** A finished build whose log file is gone: said, not shown as an empty log. */
export class LogMissingError extends Error {
  constructor(id: string, path: string) {
    super(`the log of build ${id} is gone: ${path} no longer exists`);
    this.name = 'LogMissingError';
  }
}

export const OUTPUT_MARKER = '--- builder output ---';
export const NOTE_PREFIX = 'bootc-studio: ';

/** At most this much text per read: the page and the CLI ask again from `next`. */
export const MAX_LOG_READ = 256 * 1024;

/**
 * The log from byte `from` on: at most `maxBytes`, ending on a whole UTF-8 character, and the offset
 * to ask from next. A missing file reads as empty; an offset past the end (the file was rewritten by
 * a newer build into the same folder) answers from the end.
 */
export async function readLogFrom(
  path: string,
  from: number,
  maxBytes = MAX_LOG_READ,
): Promise<{ text: string; next: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', next: from };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (from >= size) return { text: '', next: Math.min(from, size) };
    const length = Math.min(maxBytes, size - from);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, from);
    const whole = completeUtf8Length(buffer.subarray(0, bytesRead));
    return { text: buffer.subarray(0, whole).toString('utf8'), next: from + whole };
  } finally {
    await handle.close();
  }
}

/** How many leading bytes of `bytes` end on a character boundary (a cut sequence is left for the next read). */
export function completeUtf8Length(bytes: Uint8Array): number {
  const end = bytes.length;
  // Walk back over at most 3 continuation bytes to the lead byte of the last sequence.
  let lead = end - 1;
  while (lead >= 0 && lead > end - 4 && (bytes[lead] & 0xc0) === 0x80) lead--;
  if (lead < 0) return end;
  const byte = bytes[lead];
  const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return end - lead >= needed ? end : lead;
}

/** Appends to the log in order; writes never overlap, and a failed write does not stop later ones. */
export class BuildLogWriter {
  #chain: Promise<unknown> = Promise.resolve();
  #handle: Promise<FileHandle | undefined>;
  #failed = false;

  /** `fresh`: start a new file (a new build); otherwise append (a runner taking a build over). */
  constructor(
    readonly path: string,
    fresh: boolean,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.#handle = open(path, fresh ? 'w' : 'a', 0o644).catch((error: unknown) => {
      this.#fail(error);
      return undefined;
    });
  }

  write(text: string): void {
    if (!text) return;
    this.#chain = this.#chain.then(async () => {
      const handle = await this.#handle;
      if (!handle) return;
      await handle.write(text).catch((error: unknown) => this.#fail(error));
    });
  }

  /** A note of Bootc Studio's own, on a line of its own. */
  note(text: string): void {
    this.write(
      text
        .split('\n')
        .map(line => `${NOTE_PREFIX}${line}\n`)
        .join(''),
    );
  }

  /** Waits for every write, then closes the file. */
  async close(): Promise<void> {
    await this.#chain;
    const handle = await this.#handle;
    await handle?.close().catch(() => undefined);
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.onError(error);
  }
}

/** The builder's lines already in the log: complete lines after the marker that are not notes. */
export async function countBuilderLines(path: string): Promise<number> {
  let count = 0;
  let afterMarker = false;
  let line = '';
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
      const parts = (line + (chunk as string)).split('\n');
      line = parts.pop() ?? '';
      for (const part of parts) {
        if (!afterMarker) afterMarker = part === OUTPUT_MARKER;
        else if (!part.startsWith(NOTE_PREFIX)) count++;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  return count;
}

/** Passes text on after dropping its first `lines` lines (what the log already has). */
export class LineSkipper {
  constructor(private remaining: number) {}

  push(text: string): string {
    let rest = text;
    while (this.remaining > 0 && rest.length > 0) {
      const newline = rest.indexOf('\n');
      if (newline < 0) return '';
      rest = rest.slice(newline + 1);
      this.remaining--;
    }
    return rest;
  }
}

/** The log's header: the build, what it makes, where, and the exact command; then the marker. */
export function logHeader(record: DiskBuildRecord, plan: BuilderPlan, cacheVolumes: boolean): string {
  const request = record.request;
  return [
    `Bootc Studio disk build ${record.id}`,
    `Image:   ${request.image} on ${record.engineName}`,
    `Types:   ${request.types.join(', ')}`,
    `Arch:    ${request.arch}${request.rootfs ? `, root filesystem ${request.rootfs}` : ''}`,
    `Output:  ${request.outputDir}`,
    `Builder: ${builderImageOf(request.builder)}`,
    `Created: ${new Date(record.created).toISOString()}`,
    ...(cacheVolumes ? [] : ["Cache:   none (another build uses this builder's cache volumes right now)"]),
    'Command:',
    `  ${renderRunCommand(plan)}`,
    ...plan.warnings.map(warning => `Warning: ${warning}`),
    OUTPUT_MARKER,
    '',
  ].join('\n');
}

/**
 * A build's log from byte `from` on (see readLogFrom). A finished build whose log file is gone:
 * LogMissingError, not an empty log.
 */
export async function readBuildLog(
  record: Pick<DiskBuildRecord, 'id' | 'status' | 'logPath'>,
  from: number,
): Promise<{ text: string; next: number }> {
  const read = await readLogFrom(record.logPath, from);
  if (!read.text && from === 0 && FINISHED_STATUSES.includes(record.status)) {
    const exists = await stat(record.logPath).then(
      () => true,
      () => false,
    );
    if (!exists) throw new LogMissingError(record.id, record.logPath);
  }
  return read;
}
