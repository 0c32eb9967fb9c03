/**
 * Each image operation as a Podman Desktop task (the task widget, with its real percentage and a
 * cancel button that cancels the operation) and a notification when it ends. Podman Desktop's
 * `progress.report({increment})` sets the task's percentage to `increment` (it is not added up), and
 * `message` replaces the task's name.
 */

import type * as pd from '@podman-desktop/api';

import type { ImageOperation } from '../api/image-operations';
import type { ImageOperations } from '../images/image-operations';

export interface TaskHost {
  withProgress: typeof pd.window.withProgress;
  showNotification(options: { title?: string; body?: string; type?: 'info' | 'warn' | 'error' }): unknown;
  /** ProgressLocation.TASK_WIDGET, read when the first task starts (not at activation). */
  taskWidget(): pd.ProgressLocation;
}

const VERBS = { build: 'Building', push: 'Pushing', pull: 'Pulling' } as const;
const DONE = { build: 'Image built', push: 'Image pushed', pull: 'Image pulled' } as const;
const FAILED = { build: 'Image build failed', push: 'Image push failed', pull: 'Image pull failed' } as const;

export function followOperationsAsTasks(operations: ImageOperations, host: TaskHost): { dispose(): void } {
  const tasks = new Map<string, (operation: ImageOperation) => void>();
  const subscription = operations.onDidChange(operation => {
    const update = tasks.get(operation.id);
    if (update) {
      update(operation);
      return;
    }
    if (operation.status !== 'running') return;
    tasks.set(
      operation.id,
      startTask(operation, operations, host, () => tasks.delete(operation.id)),
    );
  });
  return { dispose: () => subscription.dispose() };
}

function startTask(
  first: ImageOperation,
  operations: ImageOperations,
  host: TaskHost,
  forget: () => void,
): (operation: ImageOperation) => void {
  const title = `${VERBS[first.kind]} ${first.ref}`;
  let report: ((value: { message?: string; increment?: number }) => void) | undefined;
  let settle: ((operation: ImageOperation) => void) | undefined;
  let lastPercent: number | undefined;
  let lastMessage: string | undefined;
  let cancelledByToken = false;
  let pending: ImageOperation | undefined;

  const onChange = (operation: ImageOperation) => {
    if (!report || !settle) {
      pending = operation;
      return;
    }
    if (operation.status !== 'running') {
      settle(operation);
      return;
    }
    const message = operation.message ? `${title}: ${operation.message}` : undefined;
    const percent = operation.percent;
    if (message !== lastMessage || (percent !== undefined && percent !== lastPercent)) {
      lastMessage = message;
      if (percent !== undefined) lastPercent = percent;
      report({ message, increment: percent });
    }
  };

  void host
    .withProgress({ location: host.taskWidget(), title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => {
        cancelledByToken = true;
        operations.cancel(first.id);
      });
      return new Promise<void>((resolve, reject) => {
        report = value => progress.report(value);
        settle = operation => {
          forget();
          notify(host, operation);
          if (operation.status === 'succeeded' || (operation.status === 'cancelled' && cancelledByToken)) resolve();
          else reject(new Error(operation.error ?? operation.status));
        };
        if (pending) onChange(pending);
      });
    })
    .catch(() => undefined);
  return onChange;
}

function notify(host: TaskHost, operation: ImageOperation): void {
  if (operation.status === 'succeeded') {
    host.showNotification({
      title: DONE[operation.kind],
      body: [operation.message ?? operation.ref, ...operation.warnings].join('\n'),
      type: operation.warnings.length > 0 ? 'warn' : 'info',
    });
  } else if (operation.status === 'failed') {
    host.showNotification({
      title: FAILED[operation.kind],
      // The engine's and the registry's messages name the reference already ("Pull of X failed: …").
      body: operation.error?.includes(operation.ref) ? operation.error : `${operation.ref}: ${operation.error ?? ''}`,
      type: 'error',
    });
  }
}
