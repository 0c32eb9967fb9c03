/**
 * Each disk build this process runs as a Podman Desktop task (the task widget, with osbuild's real
 * percentage, the current stage as its message, and a cancel button that cancels the build), and a
 * notification when it ends, with "Open folder" (and "Show log" when it did not succeed).
 * `progress.report({increment})` sets the task's percentage to `increment`; `message` replaces the
 * task's name.
 */

import type * as pd from '@podman-desktop/api';

import type { DiskBuildRecord } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import type { BuildChange, DiskBuildService } from '../builds/disk-build-service';

export interface BuildTaskHost {
  withProgress: typeof pd.window.withProgress;
  /** ProgressLocation.TASK_WIDGET, read when the first task starts (not at activation). */
  taskWidget(): pd.ProgressLocation;
  showInformationMessage(message: string, ...items: string[]): Promise<string | undefined>;
  showErrorMessage(message: string, ...items: string[]): Promise<string | undefined>;
  openFolder(path: string): Promise<unknown>;
  /** Opens the build's details page (its log). */
  showBuild(id: string): void;
}

export const OPEN_FOLDER = 'Open folder';
export const SHOW_LOG = 'Show log';

type Update = (record: DiskBuildRecord | undefined) => void;

export function followBuildsAsTasks(builds: DiskBuildService, host: BuildTaskHost): { dispose(): void } {
  const tasks = new Map<string, Update>();
  const subscription = builds.onDidChange((change: BuildChange) => {
    const update = tasks.get(change.id);
    if (update) {
      update(change.record);
      return;
    }
    if (!change.record || FINISHED_STATUSES.includes(change.record.status)) return;
    if (!builds.isRunningHere(change.id)) return;
    tasks.set(
      change.id,
      startTask(change.record, builds, host, () => tasks.delete(change.id)),
    );
  });
  return { dispose: () => subscription.dispose() };
}

function startTask(first: DiskBuildRecord, builds: DiskBuildService, host: BuildTaskHost, forget: () => void): Update {
  const title = `Building disk image ${first.request.image} (${first.request.types.join(', ')})`;
  let report: ((value: { message?: string; increment?: number }) => void) | undefined;
  let settle: ((record: DiskBuildRecord | undefined) => void) | undefined;
  let pending: DiskBuildRecord | undefined = first;
  let lastPercent: number | undefined;
  let lastMessage: string | undefined;
  let cancelledByToken = false;

  const onChange: Update = record => {
    if (!report || !settle) {
      pending = record;
      return;
    }
    if (!record || FINISHED_STATUSES.includes(record.status)) {
      settle(record);
      return;
    }
    const message = record.message ? `${title}: ${record.message}` : undefined;
    if (message !== lastMessage || (record.percent !== undefined && record.percent !== lastPercent)) {
      lastMessage = message;
      if (record.percent !== undefined) lastPercent = record.percent;
      report({ message, increment: record.percent });
    }
  };

  void host
    .withProgress({ location: host.taskWidget(), title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => {
        cancelledByToken = true;
        void builds.cancel(first.id).catch(() => undefined);
      });
      return new Promise<void>((resolve, reject) => {
        report = value => progress.report(value);
        let settled = false;
        settle = record => {
          if (settled) return;
          settled = true;
          forget();
          if (record) notify(host, record);
          if (!record || record.status === 'succeeded' || (record.status === 'cancelled' && cancelledByToken))
            resolve();
          else reject(new Error(record.error ?? record.status));
        };
        if (pending) onChange(pending);
      });
    })
    .catch(() => undefined);
  return onChange;
}

function notify(host: BuildTaskHost, record: DiskBuildRecord): void {
  const folder = record.request.outputDir;
  const image = record.request.image;
  const act = (choice: string | undefined) => {
    if (choice === OPEN_FOLDER) void host.openFolder(folder);
    else if (choice === SHOW_LOG) host.showBuild(record.id);
  };
  // A remote build's folder is on the engine's machine: nothing here can open it.
  const folderItems = record.remote ? [] : [OPEN_FOLDER];
  const where = record.remote ? `${folder} on ${record.engineName}` : folder;
  if (record.status === 'succeeded') {
    const files = record.artifacts.map(artifact => artifact.path.slice(folder.length + 1)).join(', ');
    void host
      .showInformationMessage(`Disk image of ${image} built in ${where}: ${files}`, ...folderItems)
      .then(act, () => undefined);
  } else if (record.status === 'failed' || record.status === 'lost') {
    void host
      .showErrorMessage(
        `The disk image build of ${image} ${record.status === 'lost' ? 'was lost' : 'failed'}: ${record.error ?? ''}`,
        SHOW_LOG,
        ...folderItems,
      )
      .then(act, () => undefined);
  }
}
