/**
 * Jobs: every long piece of work (an image build, push or pull, a disk-image build, and next a VM
 * start, an upgrade, the update loop) as one kind of record, with an id handed out at once. The
 * page, the CLI and Podman Desktop's task widget follow any job the same way; what differs per kind
 * is only the `detail` the kind's own pages read.
 */

import type { ErrorInfo } from './errors';

/** `lost`: a persisted job whose runner died without ending it. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'lost';

export const FINISHED_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'lost'];

export function isJobFinished(status: JobStatus): boolean {
  return FINISHED_JOB_STATUSES.includes(status);
}

export type JobStepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** One step of work of several steps (prepare → build; build → push → upgrade → reboot). */
export interface JobStep {
  name: string;
  status: JobStepStatus;
  message?: string;
}

/**
 * What a host may offer when a job ends (Podman Desktop's notification buttons, the page's links,
 * the CLI's hints). Data, so every host interprets the same few kinds.
 */
export type JobAction =
  | { kind: 'open-folder'; label: string; path: string }
  | { kind: 'show-job'; label: string; /** The webview route that shows the job (its log). */ route: string };

/** The kinds of today; a kind is a name, so adding one touches no follower. */
export type JobKind = 'image-build' | 'image-push' | 'image-pull' | 'disk-build' | (string & {});

export interface Job<Detail = unknown> {
  id: string;
  kind: JobKind;
  /** What a task list shows, e.g. `Building quay.io/me/os:1`. */
  title: string;
  /** What it works on: an image reference, a build id, a VM id. */
  subject: string;
  status: JobStatus;
  /** 0–100 when known. */
  percent?: number;
  /** The latest step or status line. */
  message?: string;
  steps: JobStep[];
  /** What the user should know that does not fail it. */
  warnings: string[];
  error?: ErrorInfo;
  /** Milliseconds since the epoch. */
  created: number;
  started?: number;
  ended?: number;
  /** How many log lines exist so far; read them with readJobLog. */
  logLines: number;
  /** True when this process runs it (its task widget, its Ctrl-C); false for a job run elsewhere. */
  runningHere: boolean;
  /** One line for the end notice, e.g. `Disk image of X built in /out: qcow2/disk.qcow2`. */
  summary?: string;
  /** What to offer once it ended. */
  actions: JobAction[];
  /** The kind's own record (the image operation, the disk build), as its pages read it. */
  detail: Detail;
}

/** A page of log lines: `next` is the cursor to ask from next (0-based line index over all lines). */
export interface JobLogChunk {
  lines: string[];
  next: number;
  /** Lines before this index are no longer kept (a capped log); a reader from before them skips ahead. */
  first?: number;
  /** False when the job's log file is gone. */
  present?: boolean;
}

/** What the webview may ask of jobs (joined into BootcStudioApi). */
export interface JobsApi {
  /** Every job this backend knows (running and recent, of every kind), newest first; `kind` filters. */
  listJobs(kind?: string): Promise<Job[]>;
  getJob(jobId: string): Promise<Job>;
  readJobLog(jobId: string, from: number): Promise<JobLogChunk>;
  /** Asks a running job to stop; resolves once asked (the job's record says when it ended). */
  cancelJob(jobId: string): Promise<void>;
}
