/**
 * The one registry of long work. `start` hands out a job's id at once and runs its runner with an
 * AbortSignal and a context to report through (log, progress, steps, warnings, its kind's detail);
 * the job moves queued → running → succeeded | failed | cancelled. Jobs run here live in memory
 * (their log a capped ring) and the last `maxFinished` finished ones are kept; kinds that keep their
 * own records (disk builds) are attached as sources, so every door reads one list of jobs.
 *
 * A runner's secrets stay out of its job: what it reports passes through the `scrub` it was started
 * with (its registry password), on its way into the log, the messages, the warnings and the error.
 */

import { randomUUID } from 'node:crypto';

import type { Job, JobAction, JobKind, JobLogChunk, JobStep, JobStepStatus } from '../api/jobs';
import { errorInfoOf, errorMessage } from '../api/errors';
import { LogRing } from './job-log';
import type { JobChange, JobSource } from './job-source';
import { Listeners } from './listeners';
import { copyJob, isCancellation, JobCancelledError, JobNotFoundError, newestFirst } from './job-values';

/** What a runner reports through. Calls after its job ended are ignored (but `setDetail`). */
export interface JobContext<Detail = unknown> {
  readonly id: string;
  /** Aborted when the job is cancelled: the runner stops and throws (or returns). */
  readonly signal: AbortSignal;
  /** Appends to the log, one line per line of `text`. */
  log(text: string): void;
  /** The percentage (0–100) when known, and the current message; an undefined one is left as it was. */
  progress(percent?: number, message?: string): void;
  /** Sets a step's status (a step not named at the start is added); a running step's message is the job's. */
  step(name: string, status: JobStepStatus, message?: string): void;
  /** A warning, kept once, and logged. */
  warn(text: string): void;
  /** Replaces the kind's own record. */
  setDetail(detail: Detail): void;
}

/** How a runner's success ends its job; every part is optional. */
export interface JobEnd<Detail = unknown> {
  /** One line for the end notice. */
  summary?: string;
  actions?: JobAction[];
  percent?: number;
  /** The closing message. */
  message?: string;
  detail?: Detail;
}

export interface JobSpec<Detail = unknown> {
  kind: JobKind;
  title: string;
  subject: string;
  detail: Detail;
  /** The steps' names, all pending at the start. */
  steps?: string[];
  /** Warnings known before it runs. */
  warnings?: string[];
  /** Applied to every text the runner reports (and to its error): keeps its secrets out. */
  scrub?: (text: string) => string;
  run(context: JobContext<Detail>): Promise<JobEnd<Detail> | void>;
  /** The end notice's line, from the ended job (any outcome); undefined leaves the summary as it is. */
  summarize?(job: Job<Detail>): string | undefined;
}

export interface JobRegistryOptions {
  /** Log lines kept per job run here; older ones are dropped (their indexes stay valid). Default 10000. */
  maxLogLines?: number;
  /** Finished jobs run here that are kept; the oldest go first. Default 100. */
  maxFinished?: number;
  now?: () => number;
}

interface Entry {
  job: Job;
  seq: number;
  log: LogRing;
  abort: AbortController;
  scrub(text: string): string;
  done: Promise<Job>;
}

const FINISHED_STEP: Record<'succeeded' | 'failed' | 'cancelled', Partial<Record<JobStepStatus, JobStepStatus>>> = {
  succeeded: { running: 'succeeded', pending: 'skipped' },
  failed: { running: 'failed', pending: 'skipped' },
  cancelled: { running: 'cancelled', pending: 'skipped' },
};

export class JobRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #sources = new Map<JobSource, { dispose(): void }>();
  readonly #listeners = new Listeners<JobChange>();
  readonly #maxLogLines: number;
  readonly #maxFinished: number;
  readonly #now: () => number;
  #seq = 0;

  constructor(options: JobRegistryOptions = {}) {
    this.#maxLogLines = options.maxLogLines ?? 10_000;
    this.#maxFinished = options.maxFinished ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /** Starts `spec.run` and returns its job (queued) at once; the job follows what the runner reports. */
  start<Detail>(spec: JobSpec<Detail>): Job<Detail> {
    const scrub = spec.scrub ?? ((text: string) => text);
    const job: Job<Detail> = {
      id: randomUUID(),
      kind: spec.kind,
      title: scrub(spec.title),
      subject: spec.subject,
      status: 'queued',
      steps: (spec.steps ?? []).map(name => ({ name, status: 'pending' })),
      warnings: [...new Set((spec.warnings ?? []).map(scrub))],
      created: this.#now(),
      logLines: 0,
      runningHere: true,
      actions: [],
      detail: spec.detail,
    };
    const abort = new AbortController();
    let finish!: (job: Job) => void;
    const entry: Entry = {
      job,
      seq: ++this.#seq,
      log: new LogRing(this.#maxLogLines),
      abort,
      scrub,
      done: new Promise(resolve => (finish = resolve)),
    };
    this.#entries.set(job.id, entry);
    const active = () => job.status === 'running';
    const context: JobContext<Detail> = {
      id: job.id,
      signal: abort.signal,
      log: text => {
        if (!active()) return;
        this.#append(entry, text);
        this.#changed(entry);
      },
      progress: (percent, message) => {
        if (!active()) return;
        if (percent !== undefined && Number.isFinite(percent)) job.percent = Math.min(100, Math.max(0, percent));
        if (message !== undefined) job.message = scrub(message);
        this.#changed(entry);
      },
      step: (name, status, message) => {
        if (!active()) return;
        setStep(job.steps, scrub(name), status, message === undefined ? undefined : scrub(message));
        if (status === 'running') job.message = scrub(message ?? name);
        this.#changed(entry);
      },
      warn: text => {
        const clean = scrub(text);
        if (!job.warnings.includes(clean)) job.warnings.push(clean);
        this.#append(entry, `Warning: ${text}`);
        this.#changed(entry);
      },
      setDetail: detail => {
        job.detail = detail;
        this.#changed(entry);
      },
    };
    this.#changed(entry);
    this.#trim();

    void Promise.resolve()
      .then(() => {
        // Cancelled while queued: its runner never starts.
        if (abort.signal.aborted) throw new JobCancelledError();
        job.status = 'running';
        job.started = this.#now();
        this.#changed(entry);
        return spec.run(context);
      })
      .then(
        end => this.#succeeded(entry, end ?? {}),
        (error: unknown) => this.#failed(entry, error),
      )
      .finally(() => {
        job.ended = this.#now();
        const summary = spec.summarize?.(copyJob(job));
        if (summary !== undefined) job.summary = scrub(summary);
        this.#changed(entry);
        finish(copyJob(job));
        this.#trim();
      });
    return copyJob(job);
  }

  /** Every job (run here and of the attached sources), newest first; `kind` filters. */
  async list(kind?: JobKind): Promise<Job[]> {
    const sources = [...this.#sources.keys()].filter(source => kind === undefined || source.kind === kind);
    const listed = await Promise.all(sources.map(source => source.list()));
    return [...this.own(kind), ...listed.flat()].sort(newestFirst);
  }

  /** The jobs run here, newest first; `kind` filters. */
  own(kind?: JobKind): Job[] {
    return [...this.#entries.values()]
      .filter(entry => kind === undefined || entry.job.kind === kind)
      .sort((a, b) => newestFirst(a.job, b.job) || b.seq - a.seq)
      .map(entry => copyJob(entry.job));
  }

  /** One job run here, or undefined. */
  peek(id: string): Job | undefined {
    const entry = this.#entries.get(id);
    return entry ? copyJob(entry.job) : undefined;
  }

  async get(id: string): Promise<Job> {
    const own = this.peek(id);
    if (own) return own;
    for (const source of this.#sources.keys()) {
      const job = await source.get(id);
      if (job) return job;
    }
    throw new JobNotFoundError(id);
  }

  /** The log of a job run here from line `from` on, or undefined for an id not run here. */
  readOwnLog(id: string, from: number): JobLogChunk | undefined {
    return this.#entries.get(id)?.log.read(from);
  }

  async readLog(id: string, from: number): Promise<JobLogChunk> {
    const own = this.readOwnLog(id, from);
    if (own) return own;
    for (const source of this.#sources.keys()) {
      const chunk = await source.readLog(id, from);
      if (chunk) return chunk;
    }
    throw new JobNotFoundError(id);
  }

  /** Aborts a job run here; false when it had already ended. Throws for an id not run here. */
  abort(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) throw new JobNotFoundError(id);
    if (entry.job.status !== 'queued' && entry.job.status !== 'running') return false;
    entry.abort.abort();
    return true;
  }

  /** Asks a job to stop, wherever it runs; resolves once asked (its record says when it ended). */
  async cancel(id: string): Promise<void> {
    if (this.#entries.has(id)) {
      this.abort(id);
      return;
    }
    for (const source of this.#sources.keys()) if (await source.cancel(id)) return;
    throw new JobNotFoundError(id);
  }

  /** Resolves with the job once it ended. */
  async wait(id: string): Promise<Job> {
    const entry = this.#entries.get(id);
    if (entry) return entry.done;
    for (const source of this.#sources.keys()) {
      const job = await source.wait?.(id);
      if (job) return job;
    }
    throw new JobNotFoundError(id);
  }

  onDidChange(listener: (change: JobChange) => void): { dispose(): void } {
    return this.#listeners.add(listener);
  }

  /** Lists, reads and follows a source's jobs with the registry's own; dispose to detach it. */
  attach(source: JobSource): { dispose(): void } {
    if (!this.#sources.has(source))
      this.#sources.set(
        source,
        source.onDidChange(change => this.#emit(change)),
      );
    return {
      dispose: () => {
        this.#sources.get(source)?.dispose();
        this.#sources.delete(source);
      },
    };
  }

  /** Cancels whatever still runs here and stops emitting (deactivation). */
  dispose(): void {
    for (const entry of this.#entries.values()) entry.abort.abort();
    for (const subscription of this.#sources.values()) subscription.dispose();
    this.#sources.clear();
    this.#listeners.clear();
  }

  #succeeded(entry: Entry, end: JobEnd): void {
    const job = entry.job;
    job.status = 'succeeded';
    if (end.percent !== undefined) job.percent = end.percent;
    if (end.message !== undefined) job.message = entry.scrub(end.message);
    if (end.summary !== undefined) job.summary = entry.scrub(end.summary);
    if (end.actions) job.actions = end.actions.map(action => ({ ...action }));
    if (end.detail !== undefined) job.detail = end.detail;
    endSteps(job.steps, 'succeeded');
  }

  #failed(entry: Entry, error: unknown): void {
    const job = entry.job;
    const cancelled = isCancellation(error, entry.abort.signal);
    job.status = cancelled ? 'cancelled' : 'failed';
    job.error = cancelled
      ? { message: entry.scrub(errorMessage(error) || 'Cancelled'), code: 'cancelled' }
      : errorInfoOf(error, entry.scrub);
    endSteps(job.steps, job.status === 'cancelled' ? 'cancelled' : 'failed');
    this.#append(entry, `${cancelled ? 'Cancelled' : 'Failed'}: ${errorMessage(error)}`);
  }

  #append(entry: Entry, text: string): void {
    entry.log.append(entry.scrub(text));
    entry.job.logLines = entry.log.total;
  }

  #changed(entry: Entry): void {
    this.#emit({ id: entry.job.id, kind: entry.job.kind, job: copyJob(entry.job) });
  }

  #emit(change: JobChange): void {
    this.#listeners.emit(change);
  }

  /** Drops the oldest finished jobs beyond the limit. */
  #trim(): void {
    const finished = [...this.#entries.values()]
      .filter(entry => entry.job.ended !== undefined)
      .sort((a, b) => a.job.created - b.job.created || a.seq - b.seq);
    for (const entry of finished.slice(0, Math.max(0, finished.length - this.#maxFinished))) {
      this.#entries.delete(entry.job.id);
      this.#emit({ id: entry.job.id, kind: entry.job.kind });
    }
  }
}

/** Sets a step; one not declared at the start (e.g. an installer's run) goes before those still pending. */
function setStep(steps: JobStep[], name: string, status: JobStepStatus, message: string | undefined): void {
  let step = steps.find(candidate => candidate.name === name);
  if (!step) {
    step = { name, status };
    const pending = steps.findIndex(candidate => candidate.status === 'pending');
    steps.splice(pending < 0 ? steps.length : pending, 0, step);
  }
  step.status = status;
  if (message === undefined) delete step.message;
  else step.message = message;
}

function endSteps(steps: JobStep[], outcome: 'succeeded' | 'failed' | 'cancelled'): void {
  for (const step of steps) step.status = FINISHED_STEP[outcome][step.status] ?? step.status;
}
