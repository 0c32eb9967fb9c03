import { describe, expect, test } from 'vitest';

import type { ImageOperation } from '../../../src/api/image-operations';
import { EngineError } from '../../../src/engine/container-engine';
import type { OperationContext } from '../../../src/images/image-operations';
import { ImageOperations, percentOf } from '../../../src/images/image-operations';
import { scrubber } from '../../../src/jobs/job-values';

const start = { kind: 'push' as const, ref: 'quay.io/me/os:1', engineId: 'e', engineName: 'podman' };

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>(done => (resolve = done));
  return { promise, resolve };
}

describe('ImageOperations', () => {
  test('start returns a running record at once; the record follows what the runner reports; wait gives the end', async () => {
    const operations = new ImageOperations({ now: () => 1000 });
    const gate = deferred();
    const record = operations.start(start, async context => {
      context.log('first line');
      context.message('Pushing quay.io/me/os:1');
      context.layer({ id: 'aaa', status: 'Pushing', current: 50, total: 100 });
      context.layer({ id: 'bbb', status: 'Pushing', current: 0, total: 300 });
      await gate.promise;
      return { message: 'Pushed quay.io/me/os:1 (sha256:1)' };
    });
    expect(record).toMatchObject({
      status: 'running',
      kind: 'push',
      ref: 'quay.io/me/os:1',
      started: 1000,
      logLines: 0,
    });
    await new Promise(resolve => setImmediate(resolve));
    const running = operations.get(record.id)!;
    expect(running.message).toBe('Pushing quay.io/me/os:1');
    expect(running.percent).toBe(12); // 50 of 400 bytes
    expect(running.layers).toEqual([
      { id: 'aaa', status: 'Pushing', current: 50, total: 100 },
      { id: 'bbb', status: 'Pushing', current: 0, total: 300 },
    ]);
    gate.resolve();
    const done = await operations.wait(record.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      percent: 100,
      ended: 1000,
      message: 'Pushed quay.io/me/os:1 (sha256:1)',
    });
    expect(done.layers.every(layer => layer.current === layer.total)).toBe(true);
  });

  test('a failure is recorded with its message, and logged', async () => {
    const operations = new ImageOperations();
    const record = operations.start(start, async () => {
      throw new EngineError('Push of quay.io/me/os:1 failed: quay.io requires authentication');
    });
    const done = await operations.wait(record.id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('Push of quay.io/me/os:1 failed: quay.io requires authentication');
    expect(operations.readLog(record.id, 0).lines.at(-1)).toBe(`Failed: ${done.error}`);
  });

  test('cancel aborts the runner signal and ends the operation as cancelled; cancelling again says it had ended', async () => {
    const operations = new ImageOperations();
    let seen: AbortSignal | undefined;
    const record = operations.start(start, context => {
      seen = context.signal;
      return new Promise((_resolve, reject) =>
        context.signal.addEventListener('abort', () => reject(new Error('stopped by the user'))),
      );
    });
    await new Promise(resolve => setImmediate(resolve));
    expect(operations.cancel(record.id)).toBe(true);
    expect(seen?.aborted).toBe(true);
    const done = await operations.wait(record.id);
    expect(done.status).toBe('cancelled');
    expect(operations.cancel(record.id)).toBe(false);
    expect(() => operations.cancel('nope')).toThrow(/^operationId: /);
  });

  test('the log is capped: old lines go, indexes stay valid, readLog resumes where it left off', async () => {
    const operations = new ImageOperations({ maxLogLines: 3 });
    let context!: OperationContext;
    const gate = deferred();
    const record = operations.start(start, async c => {
      context = c;
      await gate.promise;
      return {};
    });
    await new Promise(resolve => setImmediate(resolve));
    for (const line of ['a', 'b', 'c\nd', 'e']) context.log(line);
    expect(operations.get(record.id)?.logLines).toBe(5);
    expect(operations.readLog(record.id, 0)).toEqual({ lines: ['c', 'd', 'e'], next: 5 });
    expect(operations.readLog(record.id, 4)).toEqual({ lines: ['e'], next: 5 });
    expect(operations.readLog(record.id, 5)).toEqual({ lines: [], next: 5 });
    gate.resolve();
    await operations.wait(record.id);
  });

  test('secrets are replaced wherever they would be recorded: log, message, warnings, error, layer status', async () => {
    const secret = 'hunter2-very-secret';
    const operations = new ImageOperations();
    const changes: ImageOperation[] = [];
    operations.onDidChange(change => changes.push(change));
    const record = operations.start({ ...start, secrets: [secret], warnings: [`w ${secret}`] }, async context => {
      context.log(`echo ${secret}`);
      context.message(`with ${secret}`);
      context.warn(`careful ${secret}`);
      context.layer({ id: 'x', status: `odd ${secret}` });
      throw new Error(`registry said ${secret}`);
    });
    const done = await operations.wait(record.id);
    const everything = JSON.stringify([done, changes, operations.readLog(record.id, 0), operations.list()]);
    expect(everything).not.toContain(secret);
    expect(done.error).toBe('registry said ***');
  });

  test('list is newest first; finished operations beyond the limit are dropped; change events fire per change', async () => {
    let now = 0;
    const operations = new ImageOperations({ maxFinished: 2, now: () => ++now });
    const events: string[] = [];
    const subscription = operations.onDidChange(change => events.push(`${change.id}:${change.status}`));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const record = operations.start({ ...start, ref: `r${i}` }, async () => ({}));
      ids.push(record.id);
      await operations.wait(record.id);
    }
    expect(operations.list().map(operation => operation.ref)).toEqual(['r2', 'r1']);
    expect(events).toContain(`${ids[0]}:running`);
    expect(events).toContain(`${ids[0]}:succeeded`);
    subscription.dispose();
    operations.start(start, async () => ({}));
    expect(events.length).toBe(6);
  });
});

test('percentOf counts done layers whole and ignores layers of unknown size', () => {
  expect(percentOf([])).toBeUndefined();
  expect(percentOf([{ id: 'a', status: 'Copying' }])).toBeUndefined();
  expect(
    percentOf([
      { id: 'a', status: 'Pushed', done: true, total: 100 },
      { id: 'b', status: 'Pushing', current: 50, total: 100 },
      { id: 'c', status: 'Waiting' },
    ]),
  ).toBe(75);
});

test('scrubber replaces longer secrets first and leaves text alone without secrets', () => {
  expect(scrubber(['ab', 'abc'])('xabcx ab')).toBe('x***x ***');
  expect(scrubber([''])('same')).toBe('same');
});
