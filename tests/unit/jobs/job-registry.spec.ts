/**
 * The one registry of long work: a job's life (queued → running → an end), what its runner reports
 * (log, progress, steps, warnings, detail), cancellation, structured errors, secrets kept out, the
 * finished jobs kept, and sources of persisted kinds listed and followed beside its own.
 */

import { describe, expect, test, vi } from 'vitest';

import type { Job, JobLogChunk } from '../../../src/api/jobs';
import { ValidationError } from '../../../src/api/validation';
import { JobRegistry, type JobContext } from '../../../src/jobs/job-registry';
import type { JobChange, JobSource } from '../../../src/jobs/job-source';
import { scrubber } from '../../../src/jobs/job-values';

/** A runner that waits for the test: it reports through `context` and ends when `finish` is called. */
function held() {
  let context!: JobContext<{ n: number }>;
  let finish!: (value?: unknown) => void;
  let fail!: (error: unknown) => void;
  const run = (c: JobContext<{ n: number }>) => {
    context = c;
    return new Promise<void>((resolve, reject) => {
      finish = () => resolve();
      fail = reject;
      c.signal.addEventListener('abort', () => reject(new Error('stopped')));
    });
  };
  return { run, context: () => context, finish: () => finish(), fail: (error: unknown) => fail(error) };
}

const spec = (run: (context: JobContext<{ n: number }>) => Promise<void>, extra = {}) => ({
  kind: 'test-kind',
  title: 'Testing x',
  subject: 'x',
  detail: { n: 0 },
  run,
  ...extra,
});

async function settled(): Promise<void> {
  await new Promise(resolve => setImmediate(resolve));
}

describe('a job’s life', () => {
  test('the id is handed out at once; queued, then running, then succeeded with what the runner reported', async () => {
    const jobs = new JobRegistry();
    const changes: JobChange[] = [];
    jobs.onDidChange(change => changes.push(change));
    const runner = held();
    const first = jobs.start(spec(runner.run, { steps: ['Prepare', 'Build'] }));
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first).toMatchObject({ status: 'queued', runningHere: true, logLines: 0, title: 'Testing x' });
    expect(first.steps).toEqual([
      { name: 'Prepare', status: 'pending' },
      { name: 'Build', status: 'pending' },
    ]);
    await settled();
    expect((await jobs.get(first.id)).status).toBe('running');

    const context = runner.context();
    context.step('Prepare', 'running', 'pulling the builder');
    context.log('line 1\nline 2');
    context.progress(150, 'half way');
    context.warn('mind this');
    context.warn('mind this');
    context.setDetail({ n: 7 });
    const running = await jobs.get(first.id);
    expect(running).toMatchObject({
      status: 'running',
      percent: 100,
      message: 'half way',
      warnings: ['mind this'],
      logLines: 4,
      detail: { n: 7 },
    });
    expect(running.steps[0]).toEqual({ name: 'Prepare', status: 'running', message: 'pulling the builder' });
    context.progress(-5);
    expect((await jobs.get(first.id)).percent).toBe(0);

    runner.finish();
    const ended = await jobs.wait(first.id);
    expect(ended.status).toBe('succeeded');
    expect(ended.ended).toBeGreaterThanOrEqual(ended.started ?? 0);
    // The running step succeeded; the one never started is skipped.
    expect(ended.steps.map(step => step.status)).toEqual(['succeeded', 'skipped']);
    expect((await jobs.readLog(first.id, 0)).lines).toEqual([
      'line 1',
      'line 2',
      'Warning: mind this',
      'Warning: mind this',
    ]);
    expect(changes.filter(change => change.id === first.id).map(change => change.job?.status)).toContain('running');
    expect(changes.at(-1)?.job?.status).toBe('succeeded');

    // Reports after the end change nothing.
    context.log('late');
    context.progress(1, 'late');
    expect(await jobs.get(first.id)).toMatchObject({ logLines: 4, message: 'half way' });
  });

  test('the end: summary, actions, message and detail from the runner; summarize sees the ended job', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start({
      ...spec(async () => undefined),
      run: async () => ({
        message: 'all done',
        percent: 100,
        actions: [{ kind: 'open-folder' as const, label: 'Open folder', path: '/out' }],
        detail: { n: 9 },
      }),
      summarize: (ended: Job<{ n: number }>) => `${ended.status} with ${ended.detail.n}`,
    });
    const ended = await jobs.wait(job.id);
    expect(ended).toMatchObject({
      status: 'succeeded',
      message: 'all done',
      percent: 100,
      summary: 'succeeded with 9',
      actions: [{ kind: 'open-folder', label: 'Open folder', path: '/out' }],
      detail: { n: 9 },
    });
  });

  test('a step not declared at the start takes its place before the steps still pending', async () => {
    const jobs = new JobRegistry();
    const runner = held();
    const job = jobs.start(spec(runner.run, { steps: ['Prepare', 'Boot', 'Log in'] }));
    await settled();
    const context = runner.context();
    context.step('Prepare', 'succeeded');
    context.step('Install', 'running');
    expect((await jobs.get(job.id)).steps.map(step => [step.name, step.status])).toEqual([
      ['Prepare', 'succeeded'],
      ['Install', 'running'],
      ['Boot', 'pending'],
      ['Log in', 'pending'],
    ]);
    context.step('Boot', 'succeeded');
    context.step('Log in', 'succeeded');
    // With none pending, a new one goes last.
    context.step('Report', 'succeeded');
    runner.finish();
    expect((await jobs.wait(job.id)).steps.map(step => step.name)).toEqual([
      'Prepare',
      'Install',
      'Boot',
      'Log in',
      'Report',
    ]);
  });

  test('a failure is data: the message, a code, the fields a validation error names; the running step failed', async () => {
    const jobs = new JobRegistry();
    const runner = held();
    const job = jobs.start(spec(runner.run, { steps: ['Push', 'Upgrade'] }));
    await settled();
    runner.context().step('Push', 'running');
    runner.fail(new ValidationError([{ field: 'config.users.0.name', message: 'is required' }]));
    const ended = await jobs.wait(job.id);
    expect(ended.status).toBe('failed');
    expect(ended.error).toEqual({
      message: 'config.users.0.name: is required',
      code: 'invalid-input',
      fields: { 'config.users.0.name': 'is required' },
    });
    expect(ended.steps.map(step => step.status)).toEqual(['failed', 'skipped']);
    expect((await jobs.readLog(job.id, 0)).lines.at(-1)).toBe('Failed: config.users.0.name: is required');

    const coded = jobs.start({
      ...spec(async () => undefined),
      run: async () => {
        throw Object.assign(new Error('the engine stopped'), { code: 'engine-stopped' });
      },
    });
    expect((await jobs.wait(coded.id)).error).toEqual({ message: 'the engine stopped', code: 'engine-stopped' });
  });

  test('cancel while running aborts the runner’s signal: cancelled, code cancelled; cancel when ended is a no-op', async () => {
    const jobs = new JobRegistry();
    const runner = held();
    const job = jobs.start(spec(runner.run, { steps: ['Build'] }));
    await settled();
    runner.context().step('Build', 'running');
    await jobs.cancel(job.id);
    expect(runner.context().signal.aborted).toBe(true);
    const ended = await jobs.wait(job.id);
    expect(ended.status).toBe('cancelled');
    expect(ended.error?.code).toBe('cancelled');
    expect(ended.steps[0].status).toBe('cancelled');
    expect(jobs.abort(job.id)).toBe(false);
  });

  test('cancelled while queued: the runner never runs', async () => {
    const jobs = new JobRegistry();
    const run = vi.fn(async () => undefined);
    const job = jobs.start(spec(run));
    await jobs.cancel(job.id);
    expect((await jobs.wait(job.id)).status).toBe('cancelled');
    expect(run).not.toHaveBeenCalled();
  });

  test('an unknown id is not found, with its code, for every call', async () => {
    const jobs = new JobRegistry();
    await expect(jobs.get('nope')).rejects.toMatchObject({ code: 'not-found', message: 'jobId: no job "nope"' });
    await expect(jobs.readLog('nope', 0)).rejects.toMatchObject({ code: 'not-found' });
    await expect(jobs.cancel('nope')).rejects.toMatchObject({ code: 'not-found' });
    await expect(jobs.wait('nope')).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('secrets, copies and limits', () => {
  test('scrub keeps a secret out of the title, the log, the messages, the warnings and the error', async () => {
    const jobs = new JobRegistry();
    const secret = 'hunter2-secret';
    const runner = held();
    const job = jobs.start(spec(runner.run, { title: `Pushing with ${secret}`, scrub: scrubber([secret]) }));
    await settled();
    const context = runner.context();
    context.log(`login ${secret}`);
    context.progress(10, `using ${secret}`);
    context.warn(`${secret} is weak`);
    context.step(`step ${secret}`, 'running', `doing ${secret}`);
    runner.fail(new Error(`denied for ${secret}`));
    const ended = await jobs.wait(job.id);
    const everything = JSON.stringify([ended, await jobs.readLog(job.id, 0), await jobs.list()]);
    expect(everything).not.toContain(secret);
    expect(everything).toContain('***');
  });

  test('what the registry hands out is a copy: changing it changes nothing inside', async () => {
    const jobs = new JobRegistry();
    const runner = held();
    const job = jobs.start(spec(runner.run, { steps: ['A'], warnings: ['w'] }));
    job.steps[0].status = 'failed';
    job.warnings.push('more');
    (job.detail as { n: number }).n = 99;
    const read = await jobs.get(job.id);
    expect(read.steps[0].status).toBe('pending');
    expect(read.warnings).toEqual(['w']);
    expect(read.detail).toEqual({ n: 0 });
    runner.finish();
  });

  test('the log keeps its last maxLogLines lines; indexes stay valid and `first` says where it starts', async () => {
    const jobs = new JobRegistry({ maxLogLines: 3 });
    const job = jobs.start({
      ...spec(async () => undefined),
      run: async (context: JobContext<{ n: number }>) => {
        for (let i = 0; i < 5; i++) context.log(`line ${i}`);
      },
    });
    await jobs.wait(job.id);
    const all: JobLogChunk = await jobs.readLog(job.id, 0);
    expect(all).toEqual({ lines: ['line 2', 'line 3', 'line 4'], next: 5, first: 2 });
    expect(await jobs.readLog(job.id, 4)).toEqual({ lines: ['line 4'], next: 5, first: 2 });
    expect(await jobs.readLog(job.id, 5)).toEqual({ lines: [], next: 5, first: 2 });
  });

  test('only the last maxFinished finished jobs are kept; a dropped one is told as a removal', async () => {
    let now = 0;
    const jobs = new JobRegistry({ maxFinished: 2, now: () => ++now });
    const removed: string[] = [];
    jobs.onDidChange(change => {
      if (!change.job) removed.push(change.id);
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const job = jobs.start(spec(async () => undefined));
      ids.push(job.id);
      await jobs.wait(job.id);
    }
    expect((await jobs.list()).map(job => job.id)).toEqual([ids[2], ids[1]]);
    expect(removed).toEqual([ids[0]]);
    await expect(jobs.get(ids[0])).rejects.toMatchObject({ code: 'not-found' });
  });

  test('a listener that throws does not keep the others from hearing', async () => {
    const jobs = new JobRegistry();
    const heard: string[] = [];
    jobs.onDidChange(() => {
      throw new Error('a broken listener');
    });
    jobs.onDidChange(change => heard.push(change.id));
    const job = jobs.start(spec(async () => undefined));
    await jobs.wait(job.id);
    expect(heard).toContain(job.id);
  });
});

describe('sources of persisted kinds', () => {
  function source(jobsOf: Job[]) {
    const listeners = new Set<(change: JobChange) => void>();
    const cancel = vi.fn(async (id: string) => jobsOf.some(job => job.id === id));
    const stored: JobSource = {
      kind: 'stored-kind',
      list: async () => jobsOf,
      get: async id => jobsOf.find(job => job.id === id),
      readLog: async id => (jobsOf.some(job => job.id === id) ? { lines: ['from the file'], next: 1 } : undefined),
      cancel,
      onDidChange: listener => {
        listeners.add(listener);
        return { dispose: () => listeners.delete(listener) };
      },
    };
    return { stored, cancel, tell: (change: JobChange) => listeners.forEach(listener => listener(change)) };
  }

  const storedJob = (id: string, created: number): Job => ({
    id,
    kind: 'stored-kind',
    title: `Stored ${id}`,
    subject: id,
    status: 'running',
    steps: [],
    warnings: [],
    created,
    logLines: 1,
    runningHere: false,
    actions: [],
    detail: {},
  });

  test('its jobs are listed with the registry’s own, newest first, filtered by kind; calls go to it', async () => {
    let now = 1000;
    const jobs = new JobRegistry({ now: () => now });
    const { stored, cancel, tell } = source([storedJob('old', 1), storedJob('new', 5000)]);
    const attached = jobs.attach(stored);
    const own = jobs.start(spec(async () => undefined));
    now = 2000;
    await jobs.wait(own.id);

    expect((await jobs.list()).map(job => job.id)).toEqual(['new', own.id, 'old']);
    expect((await jobs.list('stored-kind')).map(job => job.id)).toEqual(['new', 'old']);
    expect((await jobs.list('test-kind')).map(job => job.id)).toEqual([own.id]);
    expect((await jobs.get('old')).title).toBe('Stored old');
    expect(await jobs.readLog('old', 0)).toEqual({ lines: ['from the file'], next: 1 });
    await jobs.cancel('new');
    expect(cancel).toHaveBeenCalledWith('new');

    const heard: JobChange[] = [];
    jobs.onDidChange(change => heard.push(change));
    tell({ id: 'new', kind: 'stored-kind', job: { ...storedJob('new', 5000), status: 'succeeded' } });
    expect(heard.map(change => [change.id, change.job?.status])).toEqual([['new', 'succeeded']]);

    attached.dispose();
    tell({ id: 'new', kind: 'stored-kind' });
    expect(heard).toHaveLength(1);
    expect((await jobs.list()).map(job => job.id)).toEqual([own.id]);
    await expect(jobs.get('old')).rejects.toMatchObject({ code: 'not-found' });
  });
});
