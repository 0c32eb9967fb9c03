/**
 * The build store (one record per build, written atomically; damaged records reported and skipped)
 * and the log helpers (reads from an offset on whole characters, counting the builder's lines,
 * skipping the lines a log already has).
 */

import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import {
  BuildLogWriter,
  completeUtf8Length,
  countBuilderLines,
  LineSkipper,
  OUTPUT_MARKER,
  readLogFrom,
} from '../../../src/builds/build-log';
import { BuildNotFoundError, BuildStore, isBuildId, newBuildId } from '../../../src/builds/build-store';

let dir: string;
let store: BuildStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-store-'));
  store = new BuildStore(join(dir, 'store'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(id: string, created: number, overrides: Partial<DiskBuildRecord> = {}): DiskBuildRecord {
  return {
    id,
    request: {
      image: 'quay.io/fedora/fedora-bootc:42',
      outputDir: '/out',
      types: ['qcow2'],
      arch: 'amd64',
      builder: 'centos',
      config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
    },
    status: 'succeeded',
    created,
    engineId: 'podman:/run/podman/podman.sock',
    engineName: 'podman (rootful)',
    remote: false,
    builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
    artifacts: [],
    logPath: '/out/image-build.log',
    ...overrides,
  };
}

describe('BuildStore', () => {
  test('ids are 12 hex digits; anything else never reaches a path', async () => {
    expect(isBuildId(newBuildId())).toBe(true);
    expect(new Set(Array.from({ length: 50 }, newBuildId)).size).toBe(50);
    for (const bad of ['../etc', 'ABCDEF012345', 'abc', '0123456789abc', '0123456789a/']) {
      expect(() => store.dirOf(bad)).toThrow(BuildNotFoundError);
      await expect(store.read(bad)).rejects.toThrow(BuildNotFoundError);
    }
  });

  test('a record is written atomically to builds/<id>/build.json (0600 in a 0700 folder) and read back', async () => {
    const written = record('0123456789ab', 1);
    await store.write(written);
    await store.write({ ...written, status: 'failed', error: 'boom' });
    const folder = join(dir, 'store', 'builds', '0123456789ab');
    expect(readdirSync(folder)).toEqual(['build.json']);
    expect(statSync(join(folder, 'build.json')).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(await store.read('0123456789ab')).toEqual({ ...written, status: 'failed', error: 'boom' });
    await expect(store.read('aaaaaaaaaaaa')).rejects.toThrow('no disk build "aaaaaaaaaaaa"');
  });

  test('list: newest first; damaged records are reported by id and skipped, never fatal', async () => {
    await store.write(record('000000000001', 100));
    await store.write(record('000000000003', 300));
    await store.write(record('000000000002', 200));
    const builds = join(dir, 'store', 'builds');
    mkdirSync(join(builds, '00000000000a'));
    writeFileSync(join(builds, '00000000000a', 'build.json'), '{ not json');
    mkdirSync(join(builds, '00000000000b'));
    writeFileSync(join(builds, '00000000000b', 'build.json'), JSON.stringify(record('00000000000c', 5)));
    mkdirSync(join(builds, '00000000000d'));
    writeFileSync(
      join(builds, '00000000000d', 'build.json'),
      JSON.stringify({ ...record('00000000000d', 5), status: 'exploded' }),
    );
    mkdirSync(join(builds, '00000000000e')); // a record not written yet: not a problem
    mkdirSync(join(builds, 'not-a-build'));
    const { records, problems } = await store.list();
    expect(records.map(r => r.id)).toEqual(['000000000003', '000000000002', '000000000001']);
    expect(problems).toEqual([
      {
        id: '00000000000a',
        message: `not valid JSON (truncated?): set aside as ${join(builds, '00000000000a', 'build.json.damaged')}`,
      },
      { id: '00000000000b', message: 'its id is "00000000000c", not the folder\'s' },
      { id: '00000000000d', message: 'unknown status "exploded"' },
    ]);
    // Set aside: no longer read as a record.
    await expect(store.read('00000000000a')).rejects.toThrow(/no disk build "00000000000a"/);
  });

  test('an empty store lists nothing', async () => {
    expect(await store.list()).toEqual({ records: [], problems: [] });
  });

  test('leases and cancel requests live beside the record; remove takes the whole folder', async () => {
    await store.write(record('0123456789ab', 1));
    expect(await store.readLease('0123456789ab')).toBeUndefined();
    await store.writeLease('0123456789ab', { pid: 42, host: 'h', heartbeat: 7, configDir: '/tmp/x' });
    expect(await store.readLease('0123456789ab')).toEqual({ pid: 42, host: 'h', heartbeat: 7, configDir: '/tmp/x' });
    expect(await store.cancelRequested('0123456789ab')).toBe(false);
    await store.requestCancel('0123456789ab');
    expect(await store.cancelRequested('0123456789ab')).toBe(true);
    await store.removeCancelRequest('0123456789ab');
    await store.removeLease('0123456789ab');
    expect(readdirSync(store.dirOf('0123456789ab'))).toEqual(['build.json']);
    await store.remove('0123456789ab');
    expect(readdirSync(join(dir, 'store', 'builds'))).toEqual([]);
  });
});

describe('build log', () => {
  test('readLogFrom reads from an offset, at most maxBytes, ending on a whole character', async () => {
    const path = join(dir, 'log');
    writeFileSync(path, 'héllo wörld\n');
    expect(await readLogFrom(path, 0)).toEqual({ text: 'héllo wörld\n', next: 14 });
    // 'h' + the first byte of 'é': the cut character waits for the next read.
    expect(await readLogFrom(path, 0, 2)).toEqual({ text: 'h', next: 1 });
    expect(await readLogFrom(path, 1, 2)).toEqual({ text: 'é', next: 3 });
    expect(await readLogFrom(path, 14)).toEqual({ text: '', next: 14 });
    // A log rewritten by a newer build, shorter than the reader's offset: read on from its end.
    expect(await readLogFrom(path, 99)).toEqual({ text: '', next: 14 });
    expect(await readLogFrom(join(dir, 'missing'), 5)).toEqual({ text: '', next: 5 });
  });

  test('completeUtf8Length keeps cut multi-byte sequences for later', () => {
    const euro = Buffer.from('a€', 'utf8'); // 61 e2 82 ac
    expect(completeUtf8Length(euro)).toBe(4);
    expect(completeUtf8Length(euro.subarray(0, 3))).toBe(1);
    expect(completeUtf8Length(euro.subarray(0, 2))).toBe(1);
    expect(completeUtf8Length(Buffer.from('😀', 'utf8').subarray(0, 3))).toBe(0);
    expect(completeUtf8Length(Buffer.alloc(0))).toBe(0);
  });

  test('the writer appends in order, notes on their own lines; builder lines are counted after the marker', async () => {
    const path = join(dir, 'image-build.log');
    const log = new BuildLogWriter(path, true);
    log.write(`header\n${OUTPUT_MARKER}\n`);
    log.write('one\ntwo\n');
    log.note('a note');
    log.write('three\n');
    await log.close();
    expect(await countBuilderLines(path)).toBe(3);
    const again = new BuildLogWriter(path, false);
    again.write('four\n');
    await again.close();
    expect(await countBuilderLines(path)).toBe(4);
    expect(await countBuilderLines(join(dir, 'missing'))).toBe(0);
  });

  test('LineSkipper drops the lines a log already has, across chunk boundaries', () => {
    const skipper = new LineSkipper(2);
    expect(skipper.push('one\ntw')).toBe('');
    expect(skipper.push('o\nthree\n')).toBe('three\n');
    expect(skipper.push('four\n')).toBe('four\n');
    expect(new LineSkipper(0).push('x\n')).toBe('x\n');
  });
});
