/**
 * Disk builds as Podman Desktop tasks, through the one job follower (the builds attached to the job
 * registry): one withProgress task per build this process runs, with the
 * real percentage as Podman Desktop reads it (`increment` is the percentage), cancellable from the
 * task widget, and a notification when it ends with "Open folder" (and "Show log" on failure).
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import { DiskBuildJobs } from '../../../src/builds/disk-build-jobs';
import { DiskBuildService } from '../../../src/builds/disk-build-service';
import { JobRegistry } from '../../../src/jobs/job-registry';
import { followJobsAsTasks } from '../../../src/pd/job-tasks';

const OPEN_FOLDER = 'Open folder';
const SHOW_LOG = 'Show log';
import type { FakeContainer } from '../support/fake-containers';
import { ENGINE, FakeEngine } from '../support/fake-engine';

class TaskEngine extends FakeEngine {
  remote = false;
  override async listEngines() {
    return [{ ...ENGINE, graphRoot: '/var/lib/containers/storage', rootful: true, remote: this.remote }];
  }
}

let dir: string;
let out: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-tasks-'));
  out = join(dir, 'out');
  mkdirSync(out);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(answer: string | undefined) {
  const engine = new TaskEngine();
  engine.images.set('quay.io/x/os:1', { arch: 'amd64', labels: {} });
  engine.images.set('localhost/builder:1', {});
  const builds = new DiskBuildService({
    engine,
    storeDir: join(dir, 'store'),
    progressWriteMs: 5,
    logDrainMs: 10,
    warn: () => undefined,
  });
  const reports: { message?: string; increment?: number }[] = [];
  const tasks: { title?: string; cancellable?: boolean; result: Promise<string>; cancel(): void }[] = [];
  const messages: { kind: string; message: string; items: string[] }[] = [];
  const host = {
    withProgress: vi.fn(
      (
        options: { title?: string; cancellable?: boolean },
        task: (
          progress: { report(value: { message?: string; increment?: number }): void },
          token: { onCancellationRequested(listener: () => void): { dispose(): void } },
        ) => Promise<unknown>,
      ) => {
        const listeners: (() => void)[] = [];
        const result = task(
          { report: value => reports.push(value) },
          { onCancellationRequested: listener => (listeners.push(listener), { dispose: () => undefined }) },
        );
        tasks.push({
          ...options,
          result: result.then(
            () => 'resolved',
            (error: Error) => `rejected: ${error.message}`,
          ),
          cancel: () => listeners.forEach(listener => listener()),
        });
        return result;
      },
    ) as never,
    taskWidget: () => 2 as never,
    showInformationMessage: vi.fn(async (message: string, ...items: string[]) => {
      messages.push({ kind: 'info', message, items });
      return answer;
    }),
    showErrorMessage: vi.fn(async (message: string, ...items: string[]) => {
      messages.push({ kind: 'error', message, items });
      return answer;
    }),
    showNotification: vi.fn((options: { title?: string; body?: string; type?: string }) => {
      messages.push({ kind: `notice ${options.type}`, message: options.title ?? '', items: [] });
    }),
    openFolder: vi.fn(async () => true),
    showRoute: vi.fn(),
  };
  const jobs = new JobRegistry();
  jobs.attach(new DiskBuildJobs(builds));
  const subscription = followJobsAsTasks(jobs, host);
  return { engine, builds, reports, tasks, messages, host, subscription };
}

const request = (overrides: { outputDir?: string } = {}) => ({
  image: 'quay.io/x/os:1',
  outputDir: out,
  ...overrides,
  types: ['qcow2'],
  arch: 'amd64',
  builder: { image: 'localhost/builder:1' },
  config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
});

describe('followJobsAsTasks: disk builds', () => {
  test('a task with the real percentage; success notifies with "Launch VM" and "Open folder", which opens it', async () => {
    const { engine, builds, reports, tasks, messages, host } = setup(OPEN_FOLDER);
    engine.onStart = (container: FakeContainer) => {
      container.write('[0 / 2] Pipeline build\n  [1 / 2] Stage org.osbuild.rpm\n');
      setTimeout(() => {
        mkdirSync(join(out, 'qcow2'));
        writeFileSync(join(out, 'qcow2/disk.qcow2'), 'x');
        container.write('Build complete!\n');
        container.exit(0);
      }, 30);
    };
    const id = await builds.start(request());
    await builds.wait(id);
    await vi.waitFor(() => expect(messages).toHaveLength(1));
    expect(tasks).toHaveLength(1);
    expect(tasks[0].title).toBe('Building disk image quay.io/x/os:1 (qcow2)');
    expect(tasks[0].cancellable).toBe(true);
    expect(await tasks[0].result).toBe('resolved');
    expect(reports.map(report => report.increment)).toContain(25);
    expect(reports.at(-1)?.message).toMatch(/^Building disk image quay\.io\/x\/os:1 \(qcow2\): /);
    expect(messages[0]).toEqual({
      kind: 'info',
      message: `Disk image of quay.io/x/os:1 built in ${out}: qcow2/disk.qcow2`,
      items: ['Launch VM', OPEN_FOLDER],
    });
    await vi.waitFor(() => expect(host.openFolder).toHaveBeenCalledWith(out));
  });

  test('success with a bootable disk: "Launch VM" opens the launch form for that build', async () => {
    const { engine, builds, messages, host } = setup('Launch VM');
    engine.onStart = (container: FakeContainer) => {
      mkdirSync(join(out, 'qcow2'), { recursive: true });
      writeFileSync(join(out, 'qcow2/disk.qcow2'), 'x');
      container.exit(0);
    };
    const id = await builds.start(request());
    await builds.wait(id);
    await vi.waitFor(() => expect(messages).toHaveLength(1));
    await vi.waitFor(() => expect(host.showRoute).toHaveBeenCalledWith(`/vms?launch=${id}`));
  });

  test('the task widget cancels the build; a failure notifies with "Show log"', async () => {
    const { engine, builds, tasks, messages, host } = setup(SHOW_LOG);
    engine.onStart = container => container.write('  [0 / 1] Stage org.osbuild.rpm\n');
    const id = await builds.start(request());
    await vi.waitFor(() => expect(tasks).toHaveLength(1));
    await vi.waitFor(async () => expect((await builds.get(id)).status).toBe('building'));
    tasks[0].cancel();
    expect((await builds.wait(id)).status).toBe('cancelled');
    expect(await tasks[0].result).toBe('resolved');
    expect(messages).toEqual([]);

    engine.onStart = container => container.exit(1);
    const failed = await builds.start(request());
    await builds.wait(failed);
    await vi.waitFor(() => expect(messages).toHaveLength(1));
    expect(await tasks[1].result).toMatch(/^rejected: the builder exited with code 1/);
    expect(messages[0].kind).toBe('error');
    expect(messages[0].items).toEqual([SHOW_LOG, OPEN_FOLDER]);
    await vi.waitFor(() => expect(host.showRoute).toHaveBeenCalledWith(`/disk-images/details?build=${failed}`));
  });

  test('a build on another machine: no "Open folder" — its folder is there', async () => {
    const { engine, builds, messages } = setup(undefined);
    engine.remote = true;
    engine.onStart = container => {
      container.write('Build complete!\n');
      container.exit(0);
    };
    await builds.wait(await builds.start(request({ outputDir: '/srv/out' })));
    engine.onStart = container => container.exit(1);
    await builds.wait(await builds.start(request({ outputDir: '/srv/out' })));
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    // Nothing to offer: a titled notice, no buttons.
    expect(messages[0]).toEqual({
      kind: 'notice info',
      message: `Disk image of quay.io/x/os:1 built in /srv/out on ${ENGINE.name}: qcow2/disk.qcow2`,
      items: [],
    });
    expect(messages[1].items).toEqual([SHOW_LOG]);
  });
});
