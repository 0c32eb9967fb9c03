/**
 * Job logs by line cursor: the capped ring of a job run in memory, and a persisted kind's log file
 * read as it grows (only new bytes read), re-read when it shrank or was replaced.
 */

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { LogFileReader, LogRing } from '../../../src/jobs/job-log';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'job-log-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LogRing', () => {
  test('one line per line of the text (\\n or \\r\\n); the oldest dropped past the cap, indexes kept', () => {
    const ring = new LogRing(3);
    ring.append('a\r\nb');
    expect(ring.read(0)).toEqual({ lines: ['a', 'b'], next: 2 });
    ring.append('c\nd\ne');
    expect(ring.total).toBe(5);
    expect(ring.read(0)).toEqual({ lines: ['c', 'd', 'e'], next: 5, first: 2 });
    expect(ring.read(3)).toEqual({ lines: ['d', 'e'], next: 5, first: 2 });
    expect(ring.read(9)).toEqual({ lines: [], next: 5, first: 2 });
  });
});

describe('LogFileReader', () => {
  test('a growing log: each whole line once, from the cursor; the last line counts once the writer ended', async () => {
    const path = join(dir, 'build.log');
    const reader = new LogFileReader();
    writeFileSync(path, 'one\ntwo\nthr');
    const first = await reader.read(path, 0, false);
    expect(first).toEqual({ lines: ['one', 'two'], next: 2 });
    appendFileSync(path, 'ee\nfour\r\n');
    const second = await reader.read(path, first.next, false);
    expect(second).toEqual({ lines: ['three', 'four'], next: 4 });
    appendFileSync(path, 'five');
    expect(await reader.read(path, second.next, false)).toEqual({ lines: [], next: 4 });
    expect(await reader.read(path, second.next, true)).toEqual({ lines: ['five'], next: 5 });
    expect(await reader.count(path)).toBe(5);
    // Any cursor, in any order, reads the same lines.
    expect(await reader.read(path, 1, true)).toEqual({ lines: ['two', 'three', 'four', 'five'], next: 5 });
  });

  test('a log replaced by a shorter one is read from its start again', async () => {
    const path = join(dir, 'build.log');
    const reader = new LogFileReader();
    writeFileSync(path, 'a\nb\nc\nd\n');
    expect((await reader.read(path, 0, true)).next).toBe(4);
    writeFileSync(path, 'x\n');
    expect(await reader.read(path, 0, true)).toEqual({ lines: ['x'], next: 1 });
    expect(await reader.count(path)).toBe(1);
  });

  test('a reader far behind catches up over several reads of at most `max` lines', async () => {
    const path = join(dir, 'build.log');
    const reader = new LogFileReader();
    writeFileSync(path, Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
    const first = await reader.read(path, 0, true, 4);
    expect(first).toEqual({ lines: ['line 0', 'line 1', 'line 2', 'line 3'], next: 4 });
    const second = await reader.read(path, first.next, true, 4);
    expect(second.lines).toEqual(['line 4', 'line 5', 'line 6', 'line 7']);
    expect(await reader.read(path, second.next, true, 4)).toEqual({ lines: ['line 8', 'line 9'], next: 10 });
  });

  test('a log that is gone: not present, nothing read, counted as empty', async () => {
    const reader = new LogFileReader();
    expect(await reader.read(join(dir, 'gone.log'), 3, true)).toEqual({ lines: [], next: 3, present: false });
    expect(await reader.count(join(dir, 'gone.log'))).toBe(0);
  });
});
