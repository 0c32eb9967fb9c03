/**
 * The small values every job kind shares: errors as data, the scrubber that keeps a runner's
 * secrets out of its job, and copies of a job that a listener cannot change under the registry.
 */

import type { ErrorInfo } from '../api/errors';
import type { Job } from '../api/jobs';

/** No job of that id (in this process, nor in an attached source). */
export class JobNotFoundError extends Error {
  readonly code = 'not-found';
  constructor(id: string) {
    super(`jobId: no job ${JSON.stringify(id)}`);
    this.name = 'JobNotFoundError';
  }
}

/** Thrown by a runner that stopped because it was asked to (besides its signal having aborted). */
export class JobCancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'JobCancelledError';
  }
}

/**
 * Whether a runner's failure is a cancellation: its signal aborted, or it threw a cancellation of
 * its own (an engine's `CancelledError`, recognised by name so this room imports no engine).
 */
export function isCancellation(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'JobCancelledError' || name === 'CancelledError' || name === 'AbortError';
}

/** Replaces every occurrence of each secret with `***` (longer secrets first). */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  const words = [...new Set(secrets.filter(secret => typeof secret === 'string' && secret.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  if (words.length === 0) return text => text;
  return text => {
    let result = text;
    for (const word of words) result = result.split(word).join('***');
    return result;
  };
}

/** A copy of a job that shares nothing with the registry's own record. */
export function copyJob<Detail>(job: Job<Detail>): Job<Detail> {
  return {
    ...job,
    steps: job.steps.map(step => ({ ...step })),
    warnings: [...job.warnings],
    actions: job.actions.map(action => ({ ...action })),
    ...(job.error ? { error: copyError(job.error) } : {}),
    detail: structuredClone(job.detail),
  };
}

function copyError(error: ErrorInfo): ErrorInfo {
  return { ...error, ...(error.fields ? { fields: { ...error.fields } } : {}) };
}

/** Newest first: by creation time, then by the order the registry handed them out. */
export function newestFirst(a: { created: number }, b: { created: number }): number {
  return b.created - a.created;
}
