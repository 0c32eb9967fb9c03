import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import type { JobLogChunk, JobStatus } from '../../../src/api/jobs';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import {
  IMAGE_JOB_KINDS,
  ImageJobsFeed,
  JOBS_DEBOUNCE_MS,
  JobFeed,
  JobLogReader,
  JobsFeed,
  logGapText,
} from '../../../frontend/lib/jobs.svelte';
import { diskBuildJob, diskBuildRecord, fakeRpc, imageOperationJob } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const RUNNING = (logLines: number): { logLines: number; status: JobStatus } => ({ logLines, status: 'running' });
const ENDED = (logLines: number): { logLines: number; status: JobStatus } => ({ logLines, status: 'succeeded' });

const build = imageOperationJob({ id: 'op-1', kind: 'build', ref: 'quay.io/me/os:1' });
const push = imageOperationJob({ id: 'op-2', kind: 'push', ref: 'quay.io/me/os:1' });
const pull = imageOperationJob({ id: 'op-3', kind: 'pull', ref: 'quay.io/fedora/fedora-bootc:42' });
const disk = diskBuildJob(diskBuildRecord({ id: 'build-1' }));

beforeEach(() => fakeRpc.reset());

describe('JobsFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('pulls the jobs when it starts (the page mounts), and again after a jobsChanged push', async () => {
    fakeRpc.setJobs([build]);
    const feed = new JobsFeed();
    const stop = feed.start();
    await vi.waitFor(() => expect(feed.jobs).toEqual([build]));
    expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(1);

    fakeRpc.setJobs([push, build]);
    // A push is only a hint: its body is never taken for the data.
    fakeRpc.push(PUSH_CHANNELS.jobsChanged, [pull]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);
    expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(JOBS_DEBOUNCE_MS);
    expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(2);
    expect(feed.jobs).toEqual([push, build]);

    stop();
    expect(fakeRpc.listenerCount(PUSH_CHANNELS.jobsChanged)).toBe(0);
  });

  test('other pushes do not re-pull', async () => {
    const feed = new JobsFeed();
    feed.start();
    await vi.waitFor(() => expect(feed.jobs).toEqual([]));
    fakeRpc.push(PUSH_CHANNELS.imagesChanged);
    fakeRpc.push(PUSH_CHANNELS.enginesChanged);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(1);
  });

  test('one kind is asked of the backend; several are one list, filtered', async () => {
    fakeRpc.setJobs([disk, pull, push, build]);
    const builds = new JobsFeed(['disk-build']);
    await builds.load();
    expect(fakeRpc.api.listJobs).toHaveBeenLastCalledWith('disk-build');
    expect(builds.jobs).toEqual([disk]);

    const images = new ImageJobsFeed();
    await images.load();
    expect(fakeRpc.api.listJobs).toHaveBeenLastCalledWith();
    expect(images.jobs).toEqual([pull, push, build]);
    expect(images.operations).toBe(images.jobs);
    expect(IMAGE_JOB_KINDS).toEqual(['image-build', 'image-push', 'image-pull']);
  });

  test('finds jobs by id, kind and subject', async () => {
    fakeRpc.setJobs([pull, push, build]);
    const feed = new ImageJobsFeed();
    await feed.load();
    expect(feed.find('op-2')).toBe(push);
    expect(feed.find('op-9')).toBeUndefined();
    expect(feed.find(undefined)).toBeUndefined();
    expect(feed.bySubject('quay.io/me/os:1')).toEqual([push, build]);
    expect(feed.bySubject('quay.io/me/os:1', 'image-build')).toEqual([build]);
    expect(feed.ofKind('image-pull')).toEqual([pull]);
  });

  test('a failed pull is kept as the error; the jobs read before stay', async () => {
    fakeRpc.setJobs([build]);
    const feed = new JobsFeed();
    await feed.load();
    fakeRpc.api.listJobs.mockRejectedValueOnce(new Error('listJobs did not answer within 10 s'));
    await feed.load();
    expect(feed.error).toBe('listJobs did not answer within 10 s');
    expect(feed.jobs).toEqual([build]);
  });

  test('cancel asks the backend, then re-pulls at once; a refusal rejects', async () => {
    fakeRpc.setJobs([build]);
    fakeRpc.api.cancelJob.mockResolvedValueOnce();
    const feed = new JobsFeed();
    await feed.load();
    await feed.cancel('op-1');
    expect(fakeRpc.api.cancelJob).toHaveBeenCalledWith('op-1');
    await vi.waitFor(() => expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(2));

    fakeRpc.api.cancelJob.mockRejectedValueOnce(new Error('the job already ended'));
    await expect(feed.cancel('op-1')).rejects.toThrow('the job already ended');
  });
});

describe('JobFeed', () => {
  test('pulls one job, and again after a jobsChanged push', async () => {
    fakeRpc.setJobs([disk]);
    const feed = new JobFeed('build-1');
    const stop = feed.start();
    await vi.waitFor(() => expect(feed.job).toEqual(disk));
    expect(fakeRpc.api.getJob).toHaveBeenCalledWith('build-1');

    const ended = diskBuildJob(diskBuildRecord({ id: 'build-1', status: 'succeeded' }));
    fakeRpc.setJobs([ended]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);
    await vi.waitFor(() => expect(feed.job?.status).toBe('succeeded'));
    stop();
  });

  test('cancel cancels this job and re-pulls it', async () => {
    fakeRpc.setJobs([disk]);
    fakeRpc.api.cancelJob.mockResolvedValue();
    const feed = new JobFeed('build-1');
    await feed.load();
    await feed.cancel();
    expect(fakeRpc.api.cancelJob).toHaveBeenCalledWith('build-1');
    await vi.waitFor(() => expect(fakeRpc.api.getJob).toHaveBeenCalledTimes(2));
  });
});

/** A log of `total` lines as the backend serves it, from a line index on. */
function fakeLog(total: number) {
  const all = Array.from({ length: total }, (_, i) => `line ${i}`);
  return vi.fn(async (_id: string, from: number): Promise<JobLogChunk> => ({ lines: all.slice(from), next: total }));
}

/** A reader whose sink collects what it is given. */
function readerOf(read: (id: string, from: number) => Promise<JobLogChunk>, tail?: number, keep?: number) {
  const written: string[] = [];
  const reader = new JobLogReader(read, 'job-1', lines => written.push(...lines), { tail, keep });
  return { reader, written };
}

describe('JobLogReader', () => {
  test('reads only what it has not read, from the last next', async () => {
    const read = vi.fn(async (_id: string, from: number) => ({
      lines: [`line ${from}`, `line ${from + 1}`],
      next: from + 2,
    }));
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(2));
    await reader.follow(RUNNING(2));
    await reader.follow(RUNNING(4));
    expect(read.mock.calls).toEqual([
      ['job-1', 0],
      ['job-1', 2],
    ]);
    expect(written).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
    expect(reader.next).toBe(4);
    expect(reader.written).toBe(4);
  });

  test('the cursor follows a growing log: from 0 first, then only from where the last read ended', async () => {
    const lines: string[] = [];
    const read = vi.fn(async (_id: string, from: number) => ({ lines: lines.slice(from), next: lines.length }));
    const { reader, written } = readerOf(read);
    lines.push('one');
    await reader.follow(RUNNING(1));
    lines.push('two', 'three');
    await reader.follow(RUNNING(3));
    await reader.follow(RUNNING(3));
    expect(written).toEqual(['one', 'two', 'three']);
    expect(read.mock.calls.map(([, from]) => from)).toEqual([0, 1]);
    expect(reader.next).toBe(3);
  });

  test('an answer in chunks is read to the end the record names in one follow', async () => {
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const read = vi.fn(async (_id: string, from: number) => ({ lines: all.slice(from, from + 3), next: from + 3 }));
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(8));
    expect(written).toEqual(all);
    expect(read.mock.calls.map(([, from]) => from)).toEqual([0, 3, 6]);
  });

  test('a hint that arrives during a read is honoured once the read is done, never with two reads in flight', async () => {
    let release!: () => void;
    let inFlight = 0;
    let maxInFlight = 0;
    const read = vi.fn(async (_id: string, from: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (from === 0) await new Promise<void>(done => (release = done));
      inFlight--;
      return { lines: [`line ${from}`], next: from + 1 };
    });
    const { reader, written } = readerOf(read);
    const first = reader.follow(RUNNING(1));
    void reader.follow(RUNNING(2));
    void reader.follow(RUNNING(2));
    expect(read).toHaveBeenCalledTimes(1);
    release();
    await first;
    await vi.waitFor(() =>
      expect(read.mock.calls).toEqual([
        ['job-1', 0],
        ['job-1', 1],
      ]),
    );
    expect(written).toEqual(['line 0', 'line 1']);
    expect(maxInFlight).toBe(1);
  });

  test('opens on the last lines of a long log when given a tail', async () => {
    const read = fakeLog(8000);
    const { reader, written } = readerOf(read, 1000);
    await reader.follow(RUNNING(8000));
    expect(read).toHaveBeenCalledWith('job-1', 7000);
    expect(reader.start).toBe(7000);
    expect(reader.skipped).toBe(7000);
    expect(written).toHaveLength(1000);
    expect(written[0]).toBe('line 7000');
    expect(logGapText(reader.skipped, reader.dropped)).toBe('7000 earlier lines not shown');
  });

  test('without a tail it reads the whole log', async () => {
    const read = fakeLog(3000);
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(3000));
    expect(read).toHaveBeenCalledWith('job-1', 0);
    expect(written).toHaveLength(3000);
    expect(reader.skipped).toBe(0);
  });

  test('lines beyond what the view keeps count as not shown', async () => {
    const read = vi.fn(async (_id: string, from: number) => ({
      lines: Array.from({ length: 1000 }, (_, i) => `line ${from + i}`),
      next: from + 1000,
    }));
    const { reader } = readerOf(read, undefined, 5000);
    for (let i = 1; i <= 6; i++) await reader.follow(RUNNING(i * 1000));
    expect(reader.written).toBe(6000);
    expect(reader.skipped).toBe(1000);
  });

  test('lines the backend no longer keeps are counted as older lines dropped', async () => {
    // A capped log: lines 0–299 are gone; asked from 0, the backend answers from its first line.
    const all = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    const read = vi.fn(async (_id: string, from: number): Promise<JobLogChunk> => {
      const first = 300;
      const start = Math.max(from, first);
      return { lines: all.slice(start), next: all.length, first };
    });
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(500));
    expect(reader.dropped).toBe(300);
    expect(written[0]).toBe('line 300');
    expect(written).toHaveLength(200);
    expect(logGapText(reader.skipped, reader.dropped)).toBe('300 older lines dropped');
  });

  test('falling behind a capped log while following counts the lines it missed', async () => {
    const read = vi
      .fn<(id: string, from: number) => Promise<JobLogChunk>>()
      .mockResolvedValueOnce({ lines: ['line 0', 'line 1'], next: 2 })
      .mockResolvedValueOnce({ lines: ['line 10', 'line 11'], next: 12, first: 10 });
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(2));
    await reader.follow(RUNNING(12));
    expect(reader.dropped).toBe(8);
    expect(written).toEqual(['line 0', 'line 1', 'line 10', 'line 11']);
  });

  test('follows a running job, reads the last lines once it ended, and then stops', async () => {
    const lines = ['one'];
    const read = vi.fn(async (_id: string, from: number) => ({ lines: lines.slice(from), next: lines.length }));
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(1));
    expect(reader.done).toBe(false);
    lines.push('two', 'last');
    await reader.follow(ENDED(3));
    expect(written).toEqual(['one', 'two', 'last']);
    expect(reader.done).toBe(true);

    // However often the ended job's record is read again, nothing more is asked of the backend.
    await reader.follow(ENDED(3));
    await reader.follow(ENDED(5));
    expect(read).toHaveBeenCalledTimes(2);
  });

  test('an ended job with no log reads nothing', async () => {
    const read = fakeLog(0);
    const { reader } = readerOf(read);
    await reader.follow(ENDED(0));
    expect(read).not.toHaveBeenCalled();
    expect(reader.done).toBe(true);
  });

  test('a log file that is gone is said once, and not asked for again after the job ended', async () => {
    const read = vi.fn(async (_id: string, from: number) => ({ lines: [], next: from, present: false }));
    const { reader } = readerOf(read);
    await reader.follow(ENDED(40));
    expect(reader.present).toBe(false);
    expect(reader.done).toBe(true);
    await reader.follow(ENDED(40));
    expect(read).toHaveBeenCalledTimes(1);
  });

  test('a failed read is reported and retried on the next hint from the same index', async () => {
    const read = vi
      .fn<(id: string, from: number) => Promise<JobLogChunk>>()
      .mockRejectedValueOnce(new Error('readJobLog did not answer within 10 s'))
      .mockResolvedValueOnce({ lines: ['a'], next: 1 });
    const { reader, written } = readerOf(read);
    await reader.follow(RUNNING(1));
    expect(reader.error).toBe('readJobLog did not answer within 10 s');
    await reader.follow(RUNNING(1));
    expect(read.mock.calls).toEqual([
      ['job-1', 0],
      ['job-1', 0],
    ]);
    expect(written).toEqual(['a']);
    expect(reader.error).toBeUndefined();
  });

  test('a failed read of an ended job is retried too: it is not done until read', async () => {
    const read = vi
      .fn<(id: string, from: number) => Promise<JobLogChunk>>()
      .mockRejectedValueOnce(new Error('boom'))
      .mockResolvedValueOnce({ lines: ['a'], next: 1 });
    const { reader } = readerOf(read);
    await reader.follow(ENDED(1));
    expect(reader.done).toBe(false);
    await reader.follow(ENDED(1));
    expect(reader.done).toBe(true);
  });

  test('a smaller cursor from the backend is where the next read starts', async () => {
    const read = vi
      .fn<(id: string, from: number) => Promise<JobLogChunk>>()
      .mockResolvedValueOnce({ lines: ['a', 'b', 'c', 'd'], next: 4 })
      .mockResolvedValueOnce({ lines: [], next: 2 })
      .mockResolvedValue({ lines: ['c2', 'd2', 'e', 'f'], next: 6 });
    const { reader } = readerOf(read);
    await reader.follow(RUNNING(4));
    await reader.follow(RUNNING(6));
    await reader.follow(RUNNING(6));
    expect(read.mock.calls.map(([, from]) => from)).toEqual([0, 4, 2]);
    expect(reader.next).toBe(6);
  });

  test('a stopped reader reads and writes nothing more', async () => {
    const read = fakeLog(10);
    const { reader, written } = readerOf(read);
    reader.stop();
    await reader.follow(RUNNING(10));
    expect(read).not.toHaveBeenCalled();
    expect(written).toEqual([]);
  });

  test('a reader stopped during a read writes nothing of its answer', async () => {
    let release!: () => void;
    const read = vi.fn(async () => {
      await new Promise<void>(done => (release = done));
      return { lines: ['late'], next: 1 };
    });
    const { reader, written } = readerOf(read);
    const reading = reader.follow(RUNNING(1));
    await vi.waitFor(() => expect(release).toBeDefined());
    reader.stop();
    release();
    await reading;
    expect(written).toEqual([]);
  });
});

describe('logGapText', () => {
  test.each([
    [0, 0, undefined],
    [1, 0, '1 earlier line not shown'],
    [500, 0, '500 earlier lines not shown'],
    [0, 1, '1 older line dropped'],
    [0, 300, '300 older lines dropped'],
    [500, 100, '100 older lines dropped; 500 earlier lines not shown'],
  ])('%i left out, %i dropped: %s', (skipped, dropped, text) => {
    expect(logGapText(skipped, dropped)).toBe(text);
  });
});
