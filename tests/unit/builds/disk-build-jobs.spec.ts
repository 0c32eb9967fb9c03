/**
 * Disk builds as jobs of the one registry: a build this process runs (its progress, steps, log by
 * line and cancel through the registry), and builds of the store it does not run — finished ones,
 * one another process runs (followed while anyone listens), a damaged id, a log that is gone.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import type { DiskBuildRequest } from '../../../src/api/disk-build';
import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import type { Job } from '../../../src/api/jobs';
import { DiskBuildJobs } from '../../../src/builds/disk-build-jobs';
import { DiskBuildService } from '../../../src/builds/disk-build-service';
import { JobRegistry } from '../../../src/jobs/job-registry';
import type { JobChange } from '../../../src/jobs/job-source';
import { BUILD_IMAGE, BUILDER_IMAGE, BuildEngine, buildServiceOptions } from '../support/build-engine';
import type { FakeContainer } from '../support/fake-containers';
import { ENGINE } from '../support/fake-engine';

const IMAGE = BUILD_IMAGE;
const BUILDER = BUILDER_IMAGE;

let dir: string;
let out: string;
let engine: BuildEngine;
let builds: DiskBuildService;
let jobs: JobRegistry;
let changes: JobChange[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'disk-build-jobs-'));
  out = join(dir, 'out');
  mkdirSync(out);
  mkdirSync(join(dir, 'tmp'));
  engine = new BuildEngine();
  builds = new DiskBuildService(buildServiceOptions(engine, dir));
  jobs = new JobRegistry();
  jobs.attach(new DiskBuildJobs(builds, { pollMs: 20 }));
  changes = [];
  jobs.onDidChange(change => changes.push(change));
});

afterEach(async () => {
  jobs.dispose();
  await builds.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function request(): DiskBuildRequest {
  return {
    image: IMAGE,
    outputDir: out,
    types: ['qcow2'],
    arch: 'amd64',
    builder: { image: BUILDER },
    config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
  };
}

function outputOf(container: FakeContainer): string {
  return container.spec.binds.find(bind => bind.split(':')[1] === '/output')?.split(':')[0] as string;
}

/** A stored record of a build this process does not run. */
function stored(id: string, overrides: Partial<DiskBuildRecord> = {}): DiskBuildRecord {
  return {
    id,
    request: { ...request(), builder: 'centos' },
    status: 'succeeded',
    created: 1_700_000_000_000,
    engineId: ENGINE.id,
    engineName: ENGINE.name,
    remote: false,
    builderImage: BUILDER,
    artifacts: [],
    logPath: join(out, `image-build-${id}.log`),
    ...overrides,
  };
}

describe('a disk build this process runs, as a job', () => {
  test('its id is the build id; its percent, steps and log by line follow the builder; it ends succeeded', async () => {
    let finish!: () => void;
    engine.onStart = container => {
      container.write('Generating manifest\n[0 / 2] Pipeline build\n  [1 / 4] Stage org.osbuild.rpm\n');
      finish = () => {
        mkdirSync(join(outputOf(container), 'qcow2'), { recursive: true });
        writeFileSync(join(outputOf(container), 'qcow2/disk.qcow2'), 'q'.repeat(100));
        container.write('Build complete!\n');
        container.exit(0);
      };
    };
    const id = await builds.start(request());

    await vi.waitFor(async () => expect((await jobs.get(id)).status).toBe('running'));
    await vi.waitFor(async () => expect((await jobs.get(id)).logLines).toBeGreaterThanOrEqual(3));
    const running = (await jobs.get(id)) as Job<DiskBuildRecord>;
    expect(running).toMatchObject({ kind: 'disk-build', subject: id, runningHere: true });
    expect(running.title).toBe(`Building disk image ${IMAGE} (qcow2)`);
    expect(running.detail.id).toBe(id);
    expect(running.steps.map(step => step.status)).toEqual(['succeeded', 'running']);
    expect(running.percent).toBeGreaterThan(0);

    const first = await jobs.readLog(id, 0);
    expect(first.lines.join('\n')).toContain('[0 / 2] Pipeline build');
    expect(first.next).toBe(running.logLines);
    expect((await jobs.readLog(id, first.next)).lines).toEqual([]);

    finish();
    const ended = await jobs.wait(id);
    expect(ended.status).toBe('succeeded');
    expect(ended.steps.map(step => step.status)).toEqual(['succeeded', 'succeeded']);
    expect(ended.summary).toBe(`Disk image of ${IMAGE} built in ${out}: qcow2/disk.qcow2`);
    // A qcow2 on this machine: the end offers to boot it.
    expect(ended.actions).toEqual([
      { kind: 'show-job', label: 'Launch VM', route: `/vms?launch=${id}` },
      { kind: 'open-folder', label: 'Open folder', path: out },
    ]);
    const after = await jobs.readLog(id, first.next);
    expect(after.lines.join('\n')).toContain('Build complete!');
    // Every change of the build was told as a change of its job, the last one the end.
    const own = changes.filter(change => change.id === id);
    expect(own.length).toBeGreaterThan(2);
    expect(own.at(-1)?.job?.status).toBe('succeeded');
  });

  test('cancelJob cancels the build: the job ends cancelled, the error says so', async () => {
    engine.onStart = container => container.write('[0 / 2] Pipeline build\n');
    const id = await builds.start(request());
    await vi.waitFor(async () => expect((await jobs.get(id)).status).toBe('running'));
    await jobs.cancel(id);
    const job = await jobs.get(id);
    expect(job.status).toBe('cancelled');
    expect(job.error?.code).toBe('cancelled');
    expect(job.steps.at(-1)?.status).toBe('cancelled');
    expect(job.actions.map(action => action.kind)).toEqual(['show-job', 'open-folder']);
  });
});

describe('builds of the store this process does not run', () => {
  test('are listed newest first with the image operations’ kinds filtered out; each record is the detail', async () => {
    await builds.store.write(stored('aaaaaaaaaaaa', { created: 1 }));
    await builds.store.write(stored('bbbbbbbbbbbb', { created: 2, status: 'failed', error: 'osbuild failed' }));
    writeFileSync(join(out, 'image-build-bbbbbbbbbbbb.log'), 'one\ntwo\nthree\n');

    const listed = await jobs.list('disk-build');
    expect(listed.map(job => job.id)).toEqual(['bbbbbbbbbbbb', 'aaaaaaaaaaaa']);
    expect(await jobs.list('image-build')).toEqual([]);
    const failed = listed[0] as Job<DiskBuildRecord>;
    expect(failed).toMatchObject({
      status: 'failed',
      runningHere: false,
      logLines: 3,
      error: { message: 'osbuild failed', code: 'build-failed' },
      summary: `The disk image build of ${IMAGE} failed: osbuild failed`,
    });
    expect(failed.detail.status).toBe('failed');
    expect(failed.actions[0]).toEqual({
      kind: 'show-job',
      label: 'Show log',
      route: '/disk-images/details?build=bbbbbbbbbbbb',
    });
  });

  test('the log is read by line cursor; a last line without a newline counts once the build ended', async () => {
    await builds.store.write(stored('cccccccccccc'));
    writeFileSync(join(out, 'image-build-cccccccccccc.log'), 'a\nb\nc');
    expect(await jobs.readLog('cccccccccccc', 0)).toEqual({ lines: ['a', 'b', 'c'], next: 3 });
    expect(await jobs.readLog('cccccccccccc', 2)).toEqual({ lines: ['c'], next: 3 });
    expect(await jobs.readLog('cccccccccccc', 3)).toEqual({ lines: [], next: 3 });
  });

  test('a log that is gone reads as not present; an unknown or malformed id is not found', async () => {
    await builds.store.write(stored('dddddddddddd'));
    expect(await jobs.readLog('dddddddddddd', 0)).toEqual({ lines: [], next: 0, present: false });
    await expect(jobs.get('eeeeeeeeeeee')).rejects.toMatchObject({ code: 'not-found' });
    await expect(jobs.get('../../etc')).rejects.toMatchObject({ code: 'not-found' });
    await expect(jobs.cancel('eeeeeeeeeeee')).rejects.toMatchObject({ code: 'not-found' });
  });

  test('a build another process runs is followed: its moves and its end are told as changes', async () => {
    const id = 'ffffffffffff';
    const log = join(out, `image-build-${id}.log`);
    await builds.store.write(stored(id, { status: 'building', percent: 10, started: 5 }));
    writeFileSync(log, 'first\n');
    const job = await jobs.get(id);
    expect(job).toMatchObject({ status: 'running', runningHere: false, logLines: 1, percent: 10 });

    writeFileSync(log, 'first\nsecond\n');
    await builds.store.write(stored(id, { status: 'building', percent: 60, started: 5 }));
    await vi.waitFor(() =>
      expect(changes.some(change => change.id === id && change.job?.percent === 60 && change.job.logLines === 2)).toBe(
        true,
      ),
    );
    await builds.store.write(stored(id, { status: 'succeeded', percent: 100, started: 5, ended: 9 }));
    await vi.waitFor(() =>
      expect(changes.some(change => change.id === id && change.job?.status === 'succeeded')).toBe(true),
    );
  });
});

describe('the log line counts of finished builds', () => {
  test('a build that ended over a minute ago is counted once; one that just ended, or whose record changed, again', async () => {
    const now = Date.now();
    const log = (id: string) => join(out, `image-build-${id}.log`);
    await builds.store.write(stored('ffffffffffff', { ended: now - 120_000 }));
    await builds.store.write(stored('abcabcabcabc', { ended: now - 1000 }));
    writeFileSync(log('ffffffffffff'), 'one\ntwo\n');
    writeFileSync(log('abcabcabcabc'), 'one\ntwo\n');
    const counts = async () => Object.fromEntries((await jobs.list('disk-build')).map(job => [job.id, job.logLines]));
    expect(await counts()).toEqual({ ffffffffffff: 2, abcabcabcabc: 2 });

    // A log that still grows after its record ended (the runner closes it last) is counted anew.
    writeFileSync(log('ffffffffffff'), 'one\ntwo\nthree\n');
    writeFileSync(log('abcabcabcabc'), 'one\ntwo\nthree\n');
    expect(await counts()).toEqual({ ffffffffffff: 2, abcabcabcabc: 3 });

    // Its record rewritten (a reconcile, another end): counted again; its log removed: none.
    await builds.store.write(stored('ffffffffffff', { ended: now - 100_000, status: 'lost' }));
    expect(await counts()).toEqual({ ffffffffffff: 3, abcabcabcabc: 3 });
    rmSync(log('ffffffffffff'));
    expect(await counts()).toEqual({ ffffffffffff: 0, abcabcabcabc: 3 });
  });
});
