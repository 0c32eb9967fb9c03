/**
 * The record store of persisted job kinds, with a record type of its own: atomic writes, damaged
 * records reported by id and never hiding the others, not-found against damaged, the runner's
 * lease and the cancel request, and ids that never reach a path.
 */

import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { RecordStore, type Lease } from '../../../src/jobs/record-store';

interface Vm {
  id: string;
  name: string;
  size: number;
}

interface VmLease extends Lease {
  monitor?: string;
}

class VmNotFound extends Error {
  readonly code = 'not-found';
}

let dir: string;
let store: RecordStore<Vm, VmLease>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'record-store-'));
  store = new RecordStore<Vm, VmLease>({
    dir: join(dir, 'vms'),
    file: 'vm.json',
    isId: id => /^[a-z]{3}$/.test(id),
    validate: (id, value) => {
      const vm = value as Partial<Vm>;
      if (vm.id !== id) return 'not this folder’s';
      if (typeof vm.name !== 'string') return 'no name';
      return vm as Vm;
    },
    notFound: id => new VmNotFound(`no vm ${id}`),
    noun: 'vm',
  });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('RecordStore', () => {
  test('a write is atomic: the last of many concurrent writes is read whole, no temp file is left', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, size) => store.write('abc', { id: 'abc', name: 'x'.repeat(1000 * size), size })),
    );
    const read = await store.read('abc');
    expect(read.name).toHaveLength(1000 * read.size);
    expect(readdirSync(join(dir, 'vms', 'abc'))).toEqual(['vm.json']);
    expect(statSync(join(dir, 'vms', 'abc')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'vms', 'abc', 'vm.json')).mode & 0o777).toBe(0o600);
  });

  test('a damaged record is reported by id and why; the others are listed', async () => {
    await store.write('abc', { id: 'abc', name: 'one', size: 1 });
    await store.write('def', { id: 'def', name: 'two', size: 2 });
    mkdirSync(join(dir, 'vms', 'bad'));
    writeFileSync(join(dir, 'vms', 'bad', 'vm.json'), '{ not json');
    mkdirSync(join(dir, 'vms', 'oth'));
    writeFileSync(join(dir, 'vms', 'oth', 'vm.json'), JSON.stringify({ id: 'abc', name: 'copied' }));
    mkdirSync(join(dir, 'vms', 'new'));
    mkdirSync(join(dir, 'vms', 'NOT-AN-ID'));
    const { records, problems } = await store.list();
    expect(records.map(vm => vm.id).sort()).toEqual(['abc', 'def']);
    // A folder without its record yet (being created) is not a problem; nor is one that is no id.
    expect(problems).toEqual([
      { id: 'bad', message: `not valid JSON (truncated?): set aside as ${join(dir, 'vms', 'bad', 'vm.json.damaged')}` },
      { id: 'oth', message: 'not this folder’s' },
    ]);
    await expect(store.read('bad')).rejects.toThrow('no vm bad');
  });

  test('a record that is not JSON (truncated) is set aside as <file>.damaged, said at each list; the others load', async () => {
    await store.write('abc', { id: 'abc', name: 'one', size: 1 });
    await store.write('bad', { id: 'bad', name: 'two', size: 2 });
    writeFileSync(join(dir, 'vms', 'bad', 'vm.json'), '{"id": "bad", "na');
    const aside = join(dir, 'vms', 'bad', 'vm.json.damaged');
    const first = await store.list();
    expect(first.records.map(vm => vm.id)).toEqual(['abc']);
    expect(first.problems).toEqual([{ id: 'bad', message: `not valid JSON (truncated?): set aside as ${aside}` }]);
    expect(readdirSync(join(dir, 'vms', 'bad'))).toEqual(['vm.json.damaged']);
    const again = await store.list();
    expect(again.problems).toEqual(first.problems);
    await expect(store.read('bad')).rejects.toThrow('no vm bad');
  });

  test('the temp files of writers that died are removed at the first list; a live writer’s are kept', async () => {
    await store.write('abc', { id: 'abc', name: 'one', size: 1 });
    const folder = join(dir, 'vms', 'abc');
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    const dead = `.vm.json.${2 ** 22 + 1}.0123abcd.tmp`;
    const live = `.vm.json.${process.pid}.89abcdef.tmp`;
    writeFileSync(join(folder, dead), '{"id": "abc", "name": "half');
    writeFileSync(join(folder, live), '{"id": "abc"');
    await store.list();
    expect(readdirSync(folder).sort()).toEqual([live, 'vm.json'].sort());
  });

  test('an id that names no record, or is no id, is not found — and never reaches a path', async () => {
    await expect(store.read('zzz')).rejects.toBeInstanceOf(VmNotFound);
    await expect(store.read('../..')).rejects.toBeInstanceOf(VmNotFound);
    expect(() => store.dirOf('../../etc')).toThrow(VmNotFound);
    expect(await store.list()).toEqual({ records: [], problems: [] });
  });

  test('the runner’s lease and the cancel request live beside the record; remove takes the folder', async () => {
    await store.write('abc', { id: 'abc', name: 'one', size: 1 });
    expect(await store.readLease('abc')).toBeUndefined();
    await store.writeLease('abc', { pid: 42, host: 'here', heartbeat: 7, monitor: '/run/qmp.sock' });
    expect(await store.readLease('abc')).toEqual({ pid: 42, host: 'here', heartbeat: 7, monitor: '/run/qmp.sock' });
    writeFileSync(join(dir, 'vms', 'abc', 'runner.json'), JSON.stringify({ pid: 'x' }));
    expect(await store.readLease('abc')).toBeUndefined();
    await store.removeLease('abc');

    expect(await store.cancelRequested('abc')).toBe(false);
    await store.requestCancel('abc');
    expect(await store.cancelRequested('abc')).toBe(true);
    await store.removeCancelRequest('abc');
    expect(await store.cancelRequested('abc')).toBe(false);

    await store.remove('abc');
    expect(readdirSync(join(dir, 'vms'))).toEqual([]);
    await expect(store.read('abc')).rejects.toBeInstanceOf(VmNotFound);
  });
});
