/**
 * The record store keeps the records it listed in memory, by the identity of their files: what
 * another process (the CLI) writes into the same store — a new record, a replaced one, one
 * rewritten in place at the same size, one removed, one damaged — is seen at the next list; and a
 * record handed out can be changed by its caller without changing the next list.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { RecordStore } from '../../../src/jobs/record-store';

interface Vm {
  id: string;
  name: string;
}

let dir: string;
let store: RecordStore<Vm>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'record-store-cache-'));
  store = newStore();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function newStore(): RecordStore<Vm> {
  return new RecordStore<Vm>({
    dir: join(dir, 'vms'),
    file: 'vm.json',
    isId: id => /^[a-z]{3}$/.test(id),
    validate: (id, value) => ((value as Vm).id === id ? (value as Vm) : 'not this folder’s'),
    notFound: id => new Error(`no vm ${id}`),
    noun: 'vm',
  });
}

/** Runs `script` in another node process, with the store's folder as `dir`. */
function inAnotherProcess(script: string): void {
  const result = spawnSync(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); const path = require('node:path'); const dir = ${JSON.stringify(join(dir, 'vms'))};\n${script}`,
    ],
    { encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

const names = async (): Promise<Record<string, string>> =>
  Object.fromEntries((await store.list()).records.map(vm => [vm.id, vm.name]));

describe('RecordStore: the records kept in memory', () => {
  test('another process’s new, replaced, rewritten, removed and damaged records are seen at the next list', async () => {
    for (const id of ['aaa', 'bbb', 'ccc', 'ddd', 'eee']) await store.write(id, { id, name: `${id}-1` });
    expect(await names()).toEqual({ aaa: 'aaa-1', bbb: 'bbb-1', ccc: 'ccc-1', ddd: 'ddd-1', eee: 'eee-1' });

    inAnotherProcess(`
      const write = (id, name) => {
        fs.mkdirSync(path.join(dir, id), { recursive: true });
        const temp = path.join(dir, id, '.vm.json.1.00000000.tmp');
        fs.writeFileSync(temp, JSON.stringify({ id, name }));
        fs.renameSync(temp, path.join(dir, id, 'vm.json'));
      };
      write('fff', 'fff-1');
      write('aaa', 'aaa-2');
      // In place, same length: only the file's times say it changed.
      fs.writeFileSync(path.join(dir, 'bbb', 'vm.json'), JSON.stringify({ id: 'bbb', name: 'bbb-2' }, null, 2) + '\\n');
      fs.rmSync(path.join(dir, 'ccc'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'ddd', 'vm.json'), '{"id": "ddd", "na');
    `);

    const { records, problems } = await store.list();
    expect(Object.fromEntries(records.map(vm => [vm.id, vm.name]))).toEqual({
      aaa: 'aaa-2',
      bbb: 'bbb-2',
      eee: 'eee-1',
      fff: 'fff-1',
    });
    expect(problems.map(problem => problem.id)).toEqual(['ddd']);
    expect(problems[0].message).toMatch(/set aside/);
  });

  test('a record written back by this process is the one listed next', async () => {
    await store.write('aaa', { id: 'aaa', name: 'one' });
    expect(await names()).toEqual({ aaa: 'one' });
    await store.write('aaa', { id: 'aaa', name: 'two' });
    expect(await names()).toEqual({ aaa: 'two' });
    await store.remove('aaa');
    expect(await names()).toEqual({});
  });

  test('a listed record is the caller’s own copy: changing it changes nothing kept', async () => {
    await store.write('aaa', { id: 'aaa', name: 'one' });
    (await store.list()).records[0].name = 'changed';
    (await store.list()).records[0].name = 'changed again';
    expect(await names()).toEqual({ aaa: 'one' });
  });

  test('a record whose file cannot be read any more is reported, not served from memory', async () => {
    await store.write('aaa', { id: 'aaa', name: 'one' });
    await names();
    inAnotherProcess(`
      fs.rmSync(path.join(dir, 'aaa', 'vm.json'));
      fs.mkdirSync(path.join(dir, 'aaa', 'vm.json'));
    `);
    const { records, problems } = await store.list();
    expect(records).toEqual([]);
    expect(problems).toEqual([{ id: 'aaa', message: expect.stringMatching(/^cannot read/) }]);
  });
});
