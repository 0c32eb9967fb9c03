/**
 * A disk build's record as its runner keeps it: copies handed out, writes to the store throttled
 * while it changes, and how an ended build reads (its last log line, no stale step or percentage).
 */

import { join } from 'node:path';

import { redactDiskBuildRequest } from './request-redaction';

import { type DiskBuildRequest } from '../api/disk-build';
import type { DiskBuildRecord, DiskBuildStatus } from '../api/disk-builds';
import type { EngineInfo } from '../engine/container-engine';
import { errorMessage } from '../api/errors';
import { artifactsFor, logFileName, measureArtifacts } from './artifacts';
import type { BuildStore } from './build-store';

/** A record changed (`record` set) or was deleted (`record` undefined). */
export interface BuildChange {
  id: string;
  record?: DiskBuildRecord;
}

export interface StopReason {
  status: Extract<DiskBuildStatus, 'cancelled' | 'failed'>;
  /** Why; none for a cancel (the status says it all, and the page would show "Cancelled" twice). */
  error?: string;
}

/** The user's cancel: the status is the whole story. */
export const CANCELLED = { status: 'cancelled' } as const satisfies StopReason;

export function copyRecord(record: DiskBuildRecord): DiskBuildRecord {
  return structuredClone(record);
}

/** Writes the record at most once per interval while it changes, and at once on flush. */
export class RecordWriter {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dirty = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: BuildStore,
    private readonly record: () => DiskBuildRecord,
    private readonly intervalMs: number,
    private readonly warn: (message: string) => void,
  ) {}

  schedule(): void {
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty) void this.#write();
    }, this.intervalMs);
    this.#timer.unref?.();
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#write();
  }

  #write(): Promise<void> {
    this.#dirty = false;
    const snapshot = copyRecord(this.record());
    this.#chain = this.#chain.then(() =>
      this.store
        .write(snapshot)
        .catch((error: unknown) => this.warn(`Cannot write the record of ${snapshot.id}: ${errorMessage(error)}`)),
    );
    return this.#chain;
  }
}

/** `30 minutes`, `1 minute`, `90 seconds`. */
export function describeDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) {
    const minutes = ms / 60_000;
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  const seconds = Math.round(ms / 1000);
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

export function setError(record: DiskBuildRecord, error: string | undefined): void {
  if (error) record.error = error;
  else delete record.error;
}

/**
 * An ended build keeps no step that was under way ("Preparing", a stage): the status and the error
 * say how it ended. A cancelled one keeps no percentage either (no bar stuck at 99 %).
 */
export function endedRecord(record: DiskBuildRecord): void {
  if (record.status === 'succeeded') return;
  delete record.message;
  if (record.status === 'cancelled') delete record.percent;
}

/** The log's last line for a build that did not succeed: `Build <id> cancelled`, `Build <id> failed: why`. */
export function endSummary(record: Pick<DiskBuildRecord, 'id' | 'status' | 'error'>): string {
  return `Build ${record.id} ${record.status}${record.error ? `: ${record.error}` : ''}`;
}

/**
 * How a run ended, into the record (status, percent, message, error): the stop's reason when it was
 * stopped; else success when the builder exited 0 and wrote every artifact (their sizes and
 * identities recorded); else failure, in the builder's own words when known, else with its last line.
 */
export async function recordOutcome(
  record: DiskBuildRecord,
  exitCode: number | undefined,
  stop: StopReason | undefined,
  failure: { reason?: string; lastLine?: string },
): Promise<void> {
  const succeeded = () => {
    record.status = 'succeeded';
    record.percent = 100;
    record.message = 'Build complete';
  };
  if (stop) {
    record.status = stop.status;
    setError(record, stop.error);
  } else if (exitCode === 0 && record.remote) {
    // On the engine's machine: the builder's success is all this side can know of them.
    succeeded();
  } else if (exitCode === 0) {
    const missing = await measureArtifacts(record.artifacts);
    if (missing.length === 0) succeeded();
    else {
      record.status = 'failed';
      record.error = `the builder ended without writing ${missing.join(', ')}`;
    }
  } else {
    record.status = 'failed';
    record.error =
      failure.reason ??
      `the builder exited with code ${exitCode ?? 'unknown'}${failure.lastLine ? `: ${failure.lastLine}` : ''}`;
  }
}

/** A new build's first record (`preparing`): the request without its secrets, where its files and log go. */
export function newBuildRecord(
  id: string,
  request: DiskBuildRequest,
  build: { engine: EngineInfo; remote: boolean; handoff: boolean; builderImage: string; now: number; logDir: string },
): DiskBuildRecord {
  return {
    id,
    request: redactDiskBuildRequest(request),
    status: 'preparing',
    message: 'Preparing',
    created: build.now,
    engineId: build.engine.id,
    engineName: build.engine.name,
    remote: build.remote,
    ...(build.handoff ? { handoff: true } : {}),
    builderImage: build.builderImage,
    artifacts: artifactsFor(request.types).map(artifact => ({
      type: artifact.type,
      path: join(request.outputDir, ...artifact.path.split('/')),
    })),
    logPath: join(build.logDir, logFileName(id)),
  };
}
