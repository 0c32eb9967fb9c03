/**
 * Every job this process runs, of any kind, as a Podman Desktop task: the task widget with the
 * job's real percentage and its current message, a cancel button that cancels the job, and one end
 * notice made of the job's own data — its summary, and its actions as the notice's buttons. Nothing
 * here knows a kind. `progress.report({increment})` sets the task's percentage to `increment` (it
 * is not added up); `message` replaces the task's name.
 */

import type * as pd from '@podman-desktop/api';

import type { Job, JobAction } from '../api/jobs';
import { isJobFinished } from '../api/jobs';
import type { JobRegistry } from '../jobs/job-registry';

export interface JobTaskHost {
  withProgress: typeof pd.window.withProgress;
  /** ProgressLocation.TASK_WIDGET, read when the first task starts (not at activation). */
  taskWidget(): pd.ProgressLocation;
  /** A titled notice without buttons. */
  showNotification(options: { title?: string; body?: string; type?: 'info' | 'warn' | 'error' }): unknown;
  showInformationMessage(message: string, ...items: string[]): Promise<string | undefined>;
  showErrorMessage(message: string, ...items: string[]): Promise<string | undefined>;
  openFolder(path: string): Promise<unknown>;
  /** Opens the webview on a route (a job's page, its log). */
  showRoute(route: string): void;
}

type Update = (job: Job | undefined) => void;

export function followJobsAsTasks(jobs: JobRegistry, host: JobTaskHost): { dispose(): void } {
  const tasks = new Map<string, Update>();
  const subscription = jobs.onDidChange(change => {
    const update = tasks.get(change.id);
    if (update) {
      update(change.job);
      return;
    }
    const job = change.job;
    if (!job || !job.runningHere || isJobFinished(job.status)) return;
    tasks.set(
      job.id,
      startTask(job, jobs, host, () => tasks.delete(job.id)),
    );
  });
  return { dispose: () => subscription.dispose() };
}

function startTask(first: Job, jobs: JobRegistry, host: JobTaskHost, forget: () => void): Update {
  const title = first.title;
  let report: ((value: { message?: string; increment?: number }) => void) | undefined;
  let settle: ((job: Job | undefined) => void) | undefined;
  let pending: Job | undefined = first;
  let lastPercent: number | undefined;
  let lastMessage: string | undefined;
  let cancelledByToken = false;

  const onChange: Update = job => {
    if (!report || !settle) {
      pending = job;
      return;
    }
    if (!job || isJobFinished(job.status)) {
      settle(job);
      return;
    }
    const message = job.message ? `${title}: ${job.message}` : undefined;
    if (message !== lastMessage || (job.percent !== undefined && job.percent !== lastPercent)) {
      lastMessage = message;
      if (job.percent !== undefined) lastPercent = job.percent;
      report({ message, increment: job.percent });
    }
  };

  void host
    .withProgress({ location: host.taskWidget(), title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => {
        cancelledByToken = true;
        void jobs.cancel(first.id).catch(() => undefined);
      });
      return new Promise<void>((resolve, reject) => {
        report = value => progress.report(value);
        let settled = false;
        settle = job => {
          if (settled) return;
          settled = true;
          forget();
          if (job) notify(host, job);
          if (!job || job.status === 'succeeded' || (job.status === 'cancelled' && cancelledByToken)) resolve();
          else reject(new Error(job.error?.message ?? job.status));
        };
        if (pending) onChange(pending);
      });
    })
    .catch(() => undefined);
  return onChange;
}

/**
 * The end notice: a job with actions asks with its summary and the actions' buttons; one without
 * is a titled notice, its summary the title and what it ended with (the result or the error, and
 * the warnings) the body. A cancelled job needs no notice: the user asked for it.
 */
function notify(host: JobTaskHost, job: Job): void {
  if (job.status === 'cancelled' || job.status === 'queued' || job.status === 'running') return;
  const failed = job.status !== 'succeeded';
  const summary = job.summary ?? `${job.title}: ${job.status}`;
  if (job.actions.length > 0) {
    const labels = job.actions.map(action => action.label);
    const ask = failed ? host.showErrorMessage(summary, ...labels) : host.showInformationMessage(summary, ...labels);
    void ask.then(
      choice =>
        act(
          host,
          job.actions.find(action => action.label === choice),
        ),
      () => undefined,
    );
    return;
  }
  if (failed) {
    const error = job.error?.message ?? '';
    // Said once: an engine's or a registry's message names the subject already.
    host.showNotification({
      title: summary,
      body: error.includes(job.subject) ? error : `${job.subject}: ${error}`,
      type: 'error',
    });
    return;
  }
  host.showNotification({
    title: summary,
    body: [job.message ?? job.subject, ...job.warnings].join('\n'),
    type: job.warnings.length > 0 ? 'warn' : 'info',
  });
}

function act(host: JobTaskHost, action: JobAction | undefined): void {
  if (action?.kind === 'open-folder') void host.openFolder(action.path);
  else if (action?.kind === 'show-job') host.showRoute(action.route);
}
