/**
 * A kind whose jobs live in records of their own (disk builds now, VMs next): the registry lists,
 * reads, cancels and follows them through this, beside the jobs it runs in memory, so every door
 * sees one list of jobs.
 */

import type { Job, JobKind, JobLogChunk } from '../api/jobs';

/** A job changed (`job` set) or went away (`job` undefined: deleted, or dropped from the list). */
export interface JobChange {
  id: string;
  kind: JobKind;
  job?: Job;
}

export interface JobSource {
  /** The kind of its jobs (a source serves one kind). */
  readonly kind: JobKind;
  /** Every job of the source, in any order (the registry sorts). */
  list(): Promise<Job[]>;
  /** The job, or undefined when the id is not one of the source's. */
  get(id: string): Promise<Job | undefined>;
  /** Undefined when the id is not one of the source's. */
  readLog(id: string, from: number): Promise<JobLogChunk | undefined>;
  /** Asks the job to stop; false when the id is not one of the source's. Resolves once asked. */
  cancel(id: string): Promise<boolean>;
  /** Resolves with the job once it ended; undefined when the id is not one of the source's. */
  wait?(id: string): Promise<Job | undefined>;
  onDidChange(listener: (change: JobChange) => void): { dispose(): void };
}
