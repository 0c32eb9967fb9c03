import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { errorMessage } from '../../src/api/errors';
import type { ImageOperation } from '../../src/api/image-operations';
import type { Job, JobKind, JobLogChunk, JobStatus } from '../../src/api/jobs';
import { isJobFinished } from '../../src/api/jobs';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import { api } from '../rpc';
import { PushFeed } from './push-feed.svelte';

/** How a job's status is named when its kind has no word of its own. */
export const JOB_STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  lost: 'Lost',
};

export const JOB_STATUS_COLOURS: Record<JobStatus, string> = {
  queued: 'text-[var(--pd-state-info)]',
  running: 'text-[var(--pd-state-info)]',
  succeeded: 'text-[var(--pd-state-success)]',
  failed: 'text-[var(--pd-state-error)]',
  cancelled: 'text-[var(--pd-state-warning)]',
  lost: 'text-[var(--pd-state-warning)]',
};

/** Re-reads after a burst of `jobsChanged` pushes, and at least this often while they keep coming. */
export const JOBS_DEBOUNCE_MS = 100;
export const JOBS_MAX_WAIT_MS = 500;

/** The kinds of job an image page shows, and the record each kind carries in `detail`. */
export const IMAGE_JOB_KINDS = ['image-build', 'image-push', 'image-pull'] as const;
export type ImageJob = Job<ImageOperation>;

/** How an image page names each kind of image job. */
export const IMAGE_JOB_NOUNS: Partial<Record<JobKind, string>> = {
  'image-build': 'Build',
  'image-push': 'Push',
  'image-pull': 'Pull',
};
export type DiskBuildJob = Job<DiskBuildRecord>;

/**
 * The backend's jobs of some kinds, as a page sees them. The backend keeps the records, so a page
 * that Podman Desktop destroyed and re-created finds its jobs again: it pulls the list when it
 * mounts and again whenever a `jobsChanged` push says something changed (a push is only a hint;
 * its body is never read). `Detail` is the record the kinds carry in `detail`.
 */
export class JobsFeed<Detail = unknown> extends PushFeed<Job<Detail>[]> {
  jobs: Job<Detail>[] | undefined = $state.raw();
  readonly #kinds: readonly JobKind[];

  /** `kinds`: the kinds the page shows (every kind when empty). */
  constructor(kinds: readonly JobKind[] = []) {
    super(PUSH_CHANNELS.jobsChanged, JOBS_DEBOUNCE_MS, JOBS_MAX_WAIT_MS);
    this.#kinds = kinds;
  }

  protected async fetch(): Promise<Job<Detail>[]> {
    // One kind is filtered by the backend; several are one list filtered here.
    const jobs = this.#kinds.length === 1 ? await api.listJobs(this.#kinds[0]) : await api.listJobs();
    return (jobs as Job<Detail>[]).filter(job => this.#kinds.length === 0 || this.#kinds.includes(job.kind));
  }

  protected accept(jobs: Job<Detail>[]): void {
    this.jobs = jobs;
  }

  find(id: string | undefined): Job<Detail> | undefined {
    return id === undefined ? undefined : this.jobs?.find(job => job.id === id);
  }

  /** The jobs that work on `subject` (an image reference, a build id), newest first; of one kind when given. */
  bySubject(subject: string, kind?: JobKind): Job<Detail>[] {
    return (this.jobs ?? []).filter(job => job.subject === subject && (kind === undefined || job.kind === kind));
  }

  ofKind(kind: JobKind): Job<Detail>[] {
    return (this.jobs ?? []).filter(job => job.kind === kind);
  }

  /** Asks the backend to stop a job, then re-reads at once; rejects with the backend's refusal. */
  async cancel(id: string): Promise<void> {
    await api.cancelJob(id);
    void this.load();
  }
}

/** The image builds, pushes and pulls; `operations` is the list under the name the image pages use. */
export class ImageJobsFeed extends JobsFeed<ImageOperation> {
  constructor() {
    super(IMAGE_JOB_KINDS);
  }

  get operations(): ImageJob[] | undefined {
    return this.jobs;
  }
}

/** One job, re-read on every `jobsChanged` push (a details page). */
export class JobFeed<Detail = unknown> extends PushFeed<Job<Detail>> {
  job: Job<Detail> | undefined = $state.raw();
  readonly #id: string;

  constructor(id: string) {
    super(PUSH_CHANNELS.jobsChanged, JOBS_DEBOUNCE_MS, JOBS_MAX_WAIT_MS);
    this.#id = id;
  }

  protected async fetch(): Promise<Job<Detail>> {
    return (await api.getJob(this.#id)) as Job<Detail>;
  }

  protected accept(job: Job<Detail>): void {
    this.job = job;
  }

  async cancel(): Promise<void> {
    await api.cancelJob(this.#id);
    void this.load();
  }
}

export type ReadJobLog = (jobId: string, from: number) => Promise<JobLogChunk>;

/** How many lines the log view keeps (its terminal's scrollback); older ones scroll away as new ones come. */
export const LOG_KEPT_LINES = 10_000;

export interface JobLogReaderOptions {
  /** Open on the last `tail` lines (the whole log when not given). */
  tail?: number;
  /** How many lines the sink keeps: those written before the last `keep` count as not shown. */
  keep?: number;
}

/**
 * The log of one job, read by line cursor and written to a sink (the page's terminal). It opens at
 * the start, or on the last `tail` lines; then it reads only lines it has not read, as the job's
 * record says more exist; once the job ended and its last lines are read, it stops. Reads never
 * overlap: a hint that comes during a read is honoured once that read is done.
 */
export class JobLogReader {
  /** Lines before the first one read that were left out by choice (the tail). */
  start = $state(0);
  /** Lines the backend no longer kept when the reader asked for them (a capped log). */
  dropped = $state(0);
  /** Lines written to the sink so far. */
  written = $state(0);
  /** False once the backend said the job's log file is gone. */
  present = $state(true);
  /** True once the job ended and every line of it was read: nothing more will be read. */
  done = $state(false);
  error: string | undefined = $state();

  readonly #read: ReadJobLog;
  readonly #jobId: string;
  readonly #write: (lines: string[]) => void;
  readonly #tail: number | undefined;
  readonly #keep: number;
  #next: number | undefined;
  #wanted = 0;
  #finished = false;
  #reading: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(read: ReadJobLog, jobId: string, write: (lines: string[]) => void, options: JobLogReaderOptions = {}) {
    this.#read = read;
    this.#jobId = jobId;
    this.#write = write;
    this.#tail = options.tail;
    this.#keep = options.keep ?? Infinity;
  }

  /** Lines not shown before the first one the sink still keeps: left out by the tail, or scrolled away. */
  get skipped(): number {
    return this.start + Math.max(0, this.written - this.#keep);
  }

  /** The line index the next read starts from. */
  get next(): number {
    return this.#next ?? 0;
  }

  /** The job's record as last read: reads the lines it says exist and were not read yet. */
  follow(job: { logLines: number; status: JobStatus }): Promise<void> {
    if (this.#stopped || this.done) return Promise.resolve();
    if (this.#next === undefined) {
      this.#next = this.#tail === undefined ? 0 : Math.max(0, job.logLines - this.#tail);
      this.start = this.#next;
    }
    this.#wanted = Math.max(this.#wanted, job.logLines);
    this.#finished ||= isJobFinished(job.status);
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = this.#drain().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  stop(): void {
    this.#stopped = true;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      try {
        while (!this.#stopped && this.next < this.#wanted) {
          const from = this.next;
          const chunk = await this.#read(this.#jobId, from);
          if (this.#stopped) return;
          // The lines before `first` are gone: the answer starts there instead.
          if (chunk.first !== undefined && chunk.first > from) this.dropped += chunk.first - from;
          if (chunk.present === false) this.present = false;
          if (chunk.lines.length > 0) {
            this.#write(chunk.lines);
            this.written += chunk.lines.length;
          }
          // The backend's cursor wins, even a smaller one; when it did not move on, wait for the next hint.
          this.#next = chunk.next;
          if (chunk.next <= from || chunk.present === false) break;
        }
        this.error = undefined;
        if (this.#finished && (this.next >= this.#wanted || !this.present)) this.done = true;
      } catch (err: unknown) {
        if (this.#stopped) return;
        this.error = errorMessage(err);
        return;
      }
    } while (this.#again && !this.#stopped && !this.done);
  }
}

/** What the log view says of the lines it does not show: left out by the tail, and dropped by the backend. */
export function logGapText(skipped: number, dropped: number): string | undefined {
  const lines = (count: number, adjective: string): string =>
    count === 1 ? `1 ${adjective} line` : `${count} ${adjective} lines`;
  const parts = [
    dropped > 0 ? `${lines(dropped, 'older')} dropped` : '',
    skipped > 0 ? `${lines(skipped, 'earlier')} not shown` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
