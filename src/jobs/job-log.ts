/**
 * A job's log, read by line cursor (0-based index over every line ever logged): a capped ring in
 * memory for the jobs this process runs, and a file read by lines for persisted kinds.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

import type { JobLogChunk } from '../api/jobs';

/** The last `max` lines of a log; the index of each line stays valid after older ones are dropped. */
export class LogRing {
  #lines: string[] = [];
  /** Index of #lines[0] among every line ever logged. */
  #start = 0;

  constructor(private readonly max: number) {}

  /** How many lines were ever logged. */
  get total(): number {
    return this.#start + this.#lines.length;
  }

  /** Appends `text`, one line per line of it (`\n` or `\r\n`). */
  append(text: string): void {
    for (const line of text.split(/\r?\n/)) this.#lines.push(line);
    const excess = this.#lines.length - this.max;
    if (excess > 0) {
      this.#lines.splice(0, excess);
      this.#start += excess;
    }
  }

  /** Lines from `from` on; `first` says where the kept lines begin once older ones were dropped. */
  read(from: number): JobLogChunk {
    const next = this.total;
    const start = Math.max(from, this.#start);
    const lines = start >= next ? [] : this.#lines.slice(start - this.#start);
    return { lines, next, ...(this.#start > 0 ? { first: this.#start } : {}) };
  }
}

/** Lines per read of a log file: a reader far behind catches up over several calls. */
export const MAX_LINES_PER_READ = 5000;

interface Checkpoint {
  line: number;
  offset: number;
  size: number;
  mtimeMs: number;
}

/** Checkpoints kept per file: a follower's and a counter's do not push each other out. */
const CHECKPOINTS_PER_FILE = 8;

/**
 * Reads log files by line cursor. It remembers where recent reads of each file ended (line and
 * byte offset), so a reader that follows a growing log reads only what is new; a file that shrank
 * or was replaced is read from its start again.
 */
export class LogFileReader {
  readonly #checkpoints = new Map<string, Checkpoint[]>();

  /**
   * Lines `from`… of the file at `path`. Only whole lines (ending in a newline) unless `complete`
   * (the writer has ended: a last line without one counts). `present: false` when the file is gone.
   */
  async read(path: string, from: number, complete: boolean, max = MAX_LINES_PER_READ): Promise<JobLogChunk> {
    const scan = await this.#scan(path, from, complete, max);
    if (!scan) return { lines: [], next: from, present: false };
    return { lines: scan.lines, next: Math.max(from, scan.line) };
  }

  /** How many lines the file has (a last line without a newline counts); 0 when it is gone. */
  async count(path: string): Promise<number> {
    return (await this.#scan(path, Number.POSITIVE_INFINITY, true, 0))?.line ?? 0;
  }

  async #scan(
    path: string,
    from: number,
    complete: boolean,
    max: number,
  ): Promise<{ lines: string[]; line: number } | undefined> {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      this.#checkpoints.delete(path);
      return undefined;
    }
    const valid = (this.#checkpoints.get(path) ?? []).filter(
      known => info.size > known.size || (info.size === known.size && info.mtimeMs === known.mtimeMs),
    );
    const begin = valid.filter(known => known.line <= from).sort((a, b) => b.line - a.line)[0] ?? {
      line: 0,
      offset: 0,
    };
    const lines: string[] = [];
    let line = begin.line;
    let offset = begin.offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    if (info.size > begin.offset) {
      const stream = createReadStream(path, { start: begin.offset, end: info.size - 1 });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          let at = 0;
          for (let newline = chunk.indexOf(10, at); newline !== -1; newline = chunk.indexOf(10, at)) {
            if (line >= from) {
              if (lines.length >= max) break;
              lines.push(textOf([...pending, chunk.subarray(at, newline)]));
            }
            pending = [];
            pendingBytes = 0;
            offset += newline + 1 - at;
            at = newline + 1;
            line++;
          }
          if (line >= from && lines.length >= max && chunk.indexOf(10, at) !== -1) break;
          if (at < chunk.length) {
            pending.push(chunk.subarray(at));
            pendingBytes += chunk.length - at;
          }
        }
      } finally {
        stream.destroy();
      }
    }
    const checkpoint = { line, offset, size: info.size, mtimeMs: info.mtimeMs };
    this.#checkpoints.set(
      path,
      [checkpoint, ...valid.filter(known => known.line !== line)].slice(0, CHECKPOINTS_PER_FILE),
    );
    // The writer has ended: its last line needs no newline. Never remembered (more may follow it).
    if (complete && pendingBytes > 0 && line >= from && lines.length < max) {
      lines.push(textOf(pending));
      line++;
    } else if (complete && pendingBytes > 0 && from === Number.POSITIVE_INFINITY) line++;
    return { lines, line };
  }
}

function textOf(parts: Buffer[]): string {
  const text = Buffer.concat(parts).toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
