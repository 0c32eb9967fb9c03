/**
 * The CLI's one follower of a job, of any kind: its log printed as it grows, its progress as a bar
 * redrawn in place on a terminal or as plain lines otherwise (every tenth of the way), and Ctrl-C
 * cancelling it (or, for a follower that only watches, ending the watch). With --json, stdout holds
 * only JSON lines, one per event — `{"type":"job","job":…}` when the job changed, `{"type":"log",
 * "lines":[…]}` for new log lines, and last `{"type":"end","job":…}` — and the human text goes to
 * stderr.
 */

import type { Job } from '../api/jobs';
import { isJobFinished } from '../api/jobs';
import type { JobRegistry } from '../jobs/job-registry';
import type { CliIo } from './cli-context';

/** How often the follower looks again when no change was told (a job run by another process). */
const POLL_MS = 250;

export interface FollowOptions {
  json: boolean;
  /** Ctrl-C: `cancel` the job (a second one quits at once), or `stop` following it (it goes on). */
  interrupt: 'cancel' | 'stop';
  /** What the first Ctrl-C says before cancelling. */
  cancelNote?: string;
  /** The job as this door shows it (e.g. an image job with its whole operation as detail). */
  present?(job: Job): Job;
}

/** Follows the job until it ended and its log was read to the end (or the watch was stopped); the last job seen. */
export async function followJob(jobs: JobRegistry, id: string, io: CliIo, options: FollowOptions): Promise<Job> {
  const present = options.present ?? ((job: Job) => job);
  const view = new JobView(io, options.json);
  let cursor = 0;
  let wake: (() => void) | undefined;
  let stopped = false;
  const subscription = jobs.onDidChange(change => {
    if (change.id === id) wake?.();
  });
  const stopListening = io.onInterrupt?.(() => {
    stopListening?.();
    if (options.interrupt === 'stop') {
      stopped = true;
    } else {
      io.stderr.write(`\n${options.cancelNote ?? 'Cancelling… (Ctrl-C again to quit at once)'}\n`);
      void jobs.cancel(id).catch(() => undefined);
    }
    wake?.();
  });
  try {
    for (;;) {
      const job = present(await jobs.get(id));
      view.job(job);
      const chunk = await jobs.readLog(id, cursor);
      if (chunk.first !== undefined && chunk.first > cursor)
        view.note(`… ${chunk.first - cursor} earlier lines dropped`);
      cursor = chunk.next;
      view.lines(chunk.lines);
      if (chunk.present === false && isJobFinished(job.status)) view.note('(the log file is gone)');
      const finished = isJobFinished(job.status) && (chunk.lines.length === 0 || chunk.present === false);
      if (finished || stopped) {
        view.end(job);
        return job;
      }
      if (chunk.lines.length > 0) continue;
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, POLL_MS);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    stopListening?.();
    subscription.dispose();
  }
}

/** What the terminal shows of a job: log lines, and the bar (TTY) or a plain line per tenth. */
class JobView {
  readonly #out: CliIo['stdout'];
  readonly #stdout: CliIo['stdout'];
  readonly #json: boolean;
  readonly #tty: boolean;
  #barShown = false;
  #lastBar = '';
  #lastTenth = -1;
  #lastJob = '';

  constructor(io: CliIo, json: boolean) {
    this.#json = json;
    this.#stdout = io.stdout;
    this.#out = json ? io.stderr : io.stdout;
    this.#tty = this.#out.isTTY === true;
  }

  job(job: Job): void {
    if (this.#json) {
      const key = JSON.stringify({ ...job, logLines: undefined });
      if (key !== this.#lastJob) this.#event({ type: 'job', job });
      this.#lastJob = key;
    }
    if (job.status !== 'running') return;
    if (this.#tty) this.#drawBar(job);
    else if (job.percent !== undefined && Math.floor(job.percent / 10) > this.#lastTenth) {
      this.#lastTenth = Math.floor(job.percent / 10);
      this.#out.write(`bootc-studio: ${job.percent}%${job.message ? ` ${job.message}` : ''}\n`);
    }
  }

  lines(lines: string[]): void {
    if (lines.length === 0) return;
    if (this.#json) this.#event({ type: 'log', lines });
    this.#clearBar();
    this.#out.write(`${lines.join('\n')}\n`);
  }

  note(text: string): void {
    this.#clearBar();
    this.#out.write(`bootc-studio: ${text}\n`);
  }

  end(job: Job): void {
    this.#clearBar();
    if (this.#json) this.#event({ type: 'end', job });
  }

  #event(event: { type: 'job' | 'end'; job: Job } | { type: 'log'; lines: string[] }): void {
    this.#stdout.write(`${JSON.stringify(event)}\n`);
  }

  #drawBar(job: Job): void {
    const bar = progressBar(job, Math.max(40, (this.#out.columns ?? 80) - 1));
    if (bar === this.#lastBar && this.#barShown) return;
    this.#out.write(`\r\x1b[2K${bar}`);
    this.#barShown = true;
    this.#lastBar = bar;
  }

  #clearBar(): void {
    if (!this.#barShown) return;
    this.#out.write('\r\x1b[2K');
    this.#barShown = false;
  }
}

/** `[=========>          ]  45% org.osbuild.rpm`; ` …` while the percentage is unknown. */
export function progressBar(job: Pick<Job, 'percent' | 'message'>, width: number): string {
  const percent = job.percent;
  const label = percent === undefined ? '   …' : ` ${String(Math.round(percent)).padStart(3)}%`;
  const message = job.message ? ` ${job.message}` : '';
  const room = Math.max(10, Math.min(40, width - label.length - 2 - Math.min(message.length, 30)));
  const filled = percent === undefined ? 0 : Math.round((percent / 100) * room);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(room - filled)}]`;
  return `${bar}${label}${message}`.slice(0, width);
}
