/**
 * Image builds, pushes and pulls as Podman Desktop tasks, through the one job follower: one
 * withProgress task each, reporting the percentage the way Podman Desktop reads it (`increment` is
 * the percentage itself), cancellable from the task widget, and a notification when it ends.
 */

import { describe, expect, test, vi } from 'vitest';

import { ImageOperations } from '../../../src/images/image-operations';
import type { OperationContext } from '../../../src/images/image-operations';
import { followJobsAsTasks } from '../../../src/pd/job-tasks';

function host() {
  const reports: { message?: string; increment?: number }[] = [];
  const notifications: unknown[] = [];
  const tasks: { title?: string; cancellable?: boolean; result?: Promise<unknown>; cancel(): void }[] = [];
  const withProgress = vi.fn(
    (
      options: { title?: string; cancellable?: boolean },
      task: (
        progress: { report(value: { message?: string; increment?: number }): void },
        token: { isCancellationRequested: boolean; onCancellationRequested(listener: () => void): { dispose(): void } },
      ) => Promise<unknown>,
    ) => {
      const listeners: (() => void)[] = [];
      const token = {
        isCancellationRequested: false,
        onCancellationRequested: (listener: () => void) => {
          listeners.push(listener);
          return { dispose: () => undefined };
        },
      };
      const result = task({ report: value => reports.push(value) }, token);
      tasks.push({
        ...options,
        result: result.then(
          () => 'resolved',
          (error: Error) => `rejected: ${error.message}`,
        ),
        cancel: () => {
          token.isCancellationRequested = true;
          listeners.forEach(listener => listener());
        },
      });
      return result;
    },
  );
  return {
    reports,
    notifications,
    tasks,
    host: {
      withProgress: withProgress as never,
      showNotification: (options: unknown) => notifications.push(options),
      showInformationMessage: async () => undefined,
      showErrorMessage: async () => undefined,
      openFolder: async () => undefined,
      showRoute: () => undefined,
      taskWidget: () => 2 as never,
    },
  };
}

describe('followJobsAsTasks: image jobs', () => {
  test('a push is a task with its real percentage; success notifies with the warnings', async () => {
    const operations = new ImageOperations();
    const h = host();
    followJobsAsTasks(operations.jobs, h.host);
    let context!: OperationContext;
    let finish!: () => void;
    const record = operations.start(
      { kind: 'push', ref: 'quay.io/me/os:1', engineId: 'e', engineName: 'podman', warnings: ['mind this'] },
      async c => {
        context = c;
        await new Promise<void>(resolve => (finish = resolve));
        return { message: 'Pushed quay.io/me/os:1' };
      },
    );
    await new Promise(resolve => setImmediate(resolve));
    expect(h.tasks[0]).toMatchObject({ title: 'Pushing quay.io/me/os:1', cancellable: true });
    context.layer({ id: 'a', status: 'Pushing', current: 25, total: 100 });
    context.layer({ id: 'a', status: 'Pushing', current: 60, total: 100 });
    expect(h.reports.map(report => report.increment)).toEqual([25, 60]);
    finish();
    await operations.wait(record.id);
    expect(await h.tasks[0].result).toBe('resolved');
    expect(h.notifications).toEqual([
      { title: 'Image pushed', body: 'Pushed quay.io/me/os:1\nmind this', type: 'warn' },
    ]);
  });

  test('the task widget’s cancel cancels the operation; a failure fails the task and notifies an error', async () => {
    const operations = new ImageOperations();
    const h = host();
    followJobsAsTasks(operations.jobs, h.host);
    const build = operations.start(
      { kind: 'build', ref: 'quay.io/me/os:1', engineId: 'e', engineName: 'podman' },
      context =>
        new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(new Error('stopped')))),
    );
    await new Promise(resolve => setImmediate(resolve));
    h.tasks[0].cancel();
    expect((await operations.wait(build.id)).status).toBe('cancelled');
    expect(await h.tasks[0].result).toBe('resolved');

    const failing = operations.start(
      { kind: 'pull', ref: 'quay.io/x:1', engineId: 'e', engineName: 'podman' },
      async () => {
        throw new Error('Pull of quay.io/x:1 failed: quay.io has no such image or tag (manifest unknown)');
      },
    );
    await operations.wait(failing.id);
    await new Promise(resolve => setImmediate(resolve));
    expect(await h.tasks[1].result).toBe(
      'rejected: Pull of quay.io/x:1 failed: quay.io has no such image or tag (manifest unknown)',
    );
    expect(h.notifications.at(-1)).toEqual({
      title: 'Image pull failed',
      // Said once: the message names the reference already.
      body: 'Pull of quay.io/x:1 failed: quay.io has no such image or tag (manifest unknown)',
      type: 'error',
    });
  });
});
