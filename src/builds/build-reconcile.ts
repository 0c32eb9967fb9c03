/**
 * Reconciliation of the build store with the engines, and the end of builds nobody runs: for each
 * record still preparing or building whose runner's lease went stale, the builder container (found
 * by its build-id label) still running is taken over (`adopt`; `observe` only enforces its time
 * limit), one that exited is taken over to record its outcome, and a missing one (or one never
 * started, or a hand-off build whose runner died) ends the build as `lost`. A builder container
 * left beside a build that ended (its runner died before removing it) is removed. Also: whether a lease
 * is alive, and waiting for another process to record a build's end.
 */

import { hostname } from 'node:os';
import { join } from 'node:path';

import { builderKindOf } from '../api/disk-build';
import type { DiskBuildRecord } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { errorMessage } from '../api/errors';
import type { ContainerEngine, EngineInfo } from '../engine/container-engine';
import { othersFiles, removeExcept } from './artifact-removal';
import { outputEntriesFor } from './artifacts';
import { removeConfigDir } from './build-config-tempdir';
import { BuildLogWriter } from './build-log';
import { copyRecord, endedRecord, endSummary, type BuildChange } from './build-record';
import { BuildRun, type RunnerDeps } from './build-runner';
import type { BuildStore, RunnerLease } from './build-store';
import { BUILD_ID_LABEL } from './builder-plan';
import { onCurrentEngine } from './record-engine';
import { processExists } from '../platform/process';
import { removeAbandonedLints } from '../images/image-lint';

export type ReconcileMode = 'adopt' | 'observe';

/** What the reconciler shares with the service that owns it. */
export interface ReconcileContext {
  store: BuildStore;
  engine: ContainerEngine;
  deps: RunnerDeps;
  /** The builds this process runs, by id. */
  runs: ReadonlyMap<string, BuildRun>;
  track(run: BuildRun): void;
  emit(change: BuildChange): void;
  now(): number;
  /** The time limit for a build taken over without one recorded in its lease. */
  timeoutMs(): number;
  warn(message: string): void;
  /** A lease not renewed for this long is free to take. */
  leaseStaleMs: number;
  disposed(): boolean;
}

const ACTIVE = (record: DiskBuildRecord) => !FINISHED_STATUSES.includes(record.status);

export class BuildReconciler {
  readonly #context: ReconcileContext;

  constructor(context: ReconcileContext) {
    this.#context = context;
  }

  /** See the service's header. Never rejects: an engine that does not answer leaves the records as they are. */
  async reconcile(mode: ReconcileMode = 'adopt', onlyId?: string): Promise<void> {
    if (this.#context.disposed()) return;
    let engines: EngineInfo[];
    try {
      engines = await this.#context.engine.listEngines();
    } catch {
      return;
    }
    const { records } = await this.#context.store.list().catch(() => ({ records: [] as DiskBuildRecord[] }));
    const finishing: Promise<unknown>[] = [];
    for (const stored of records) {
      if (onlyId !== undefined && stored.id !== onlyId) continue;
      if (!ACTIVE(stored) || this.#context.runs.has(stored.id) || this.#context.disposed()) continue;
      const record = onCurrentEngine(stored, engines);
      if (!engines.some(engine => engine.id === record.engineId)) continue;
      try {
        const lease = await this.#context.store.readLease(record.id);
        if (this.leaseAlive(lease)) continue;
        if (record.handoff) {
          // Its builder ran on root's podman under the runner's admin invocation, which ended with the runner.
          await this.endOrphan(record, lease, {
            status: 'lost',
            error:
              "the runner of this build went away, and its builder on root's podman was stopped with it: start the build again",
            removeArtifacts: false,
          });
          continue;
        }
        const containers = await this.#context.engine.listContainers(record.engineId, `${BUILD_ID_LABEL}=${record.id}`);
        const container = containers[0];
        if (!container) {
          await this.endOrphan(record, lease, {
            status: 'lost',
            error: 'the builder container is gone: the build was interrupted (engine restarted or container removed)',
            removeArtifacts: false,
          });
          continue;
        }
        if (container.state === 'created' || container.state === 'unknown') {
          await this.#context.engine.removeContainer(record.engineId, container.id).catch(() => undefined);
          await this.endOrphan(record, lease, {
            status: 'lost',
            error: 'the build was interrupted before its builder started',
            removeArtifacts: true,
          });
          continue;
        }
        const running = container.state === 'running' || container.state === 'paused';
        const timeoutMs = lease?.timeoutMs ?? this.#context.timeoutMs();
        if (running && mode === 'observe') {
          if (record.started !== undefined && this.#context.now() - record.started > timeoutMs) {
            await this.#context.engine
              .stopContainer(record.engineId, container.id, this.#context.deps.stopTimeoutSeconds)
              .catch(() => undefined);
          } else continue;
        }
        const run = new BuildRun(this.#context.deps, record, {
          timeoutMs,
          ...(lease?.configDir ? { configDir: lease.configDir } : {}),
        });
        this.#context.track(run);
        const note = running
          ? 'the runner of this build went away: re-attached to the running builder'
          : 'the runner of this build went away: recording the outcome of the builder';
        const attached = run.attach(container.id, note);
        if (!running || mode === 'observe') finishing.push(attached);
      } catch (error) {
        this.#context.warn(`Reconciling build ${record.id}: ${errorMessage(error)}`);
      }
    }
    await Promise.all(finishing);
    if (onlyId === undefined && !this.#context.disposed()) {
      await this.#removeLeftoverBuilders(records, engines);
      for (const engine of engines) await removeAbandonedLints(this.#context.engine, engine.id);
    }
  }

  /**
   * Builder containers of builds that ended: their runner was stopped between writing the final
   * record and removing the container. Only builds of this store (another store's builds on the
   * same engine are not ours to touch).
   */
  async #removeLeftoverBuilders(records: DiskBuildRecord[], engines: EngineInfo[]): Promise<void> {
    const ended = new Map(records.filter(record => !ACTIVE(record)).map(record => [record.id, record]));
    if (ended.size === 0) return;
    for (const engine of engines) {
      const containers = await this.#context.engine.listContainers(engine.id, BUILD_ID_LABEL).catch(() => []);
      for (const container of containers) {
        const record = ended.get(container.labels[BUILD_ID_LABEL] ?? '');
        if (!record || this.#context.runs.has(record.id)) continue;
        await this.#context.engine.stopContainer(engine.id, container.id, 0).catch(() => undefined);
        await this.#context.engine
          .removeContainer(engine.id, container.id)
          .catch((error: unknown) =>
            this.#context.warn(`Removing the builder container of build ${record.id}: ${errorMessage(error)}`),
          );
      }
    }
  }

  /** Someone else runs the build: a fresh heartbeat, and a process that exists (on this host). */
  leaseAlive(lease: RunnerLease | undefined): boolean {
    if (!lease || lease.pid <= 0) return false;
    if (this.#context.now() - lease.heartbeat > this.#context.leaseStaleMs) return false;
    if (lease.host !== hostname()) return true;
    // This process's own lease with no run behind it: left by a service instance that is gone.
    if (lease.pid === process.pid) return false;
    return processExists(lease.pid);
  }

  /** Ends a build nobody runs: its builder removed, the record final, the config dir deleted. */
  async endOrphan(
    record: DiskBuildRecord,
    lease: RunnerLease | undefined,
    end: { status: 'cancelled' | 'lost'; error?: string; removeArtifacts: boolean },
  ): Promise<DiskBuildRecord> {
    const id = record.id;
    await this.#context.store.writeLease(id, { pid: process.pid, host: hostname(), heartbeat: this.#context.now() });
    try {
      const containers = await this.#context.engine
        .listContainers(record.engineId, `${BUILD_ID_LABEL}=${id}`)
        .catch(() => []);
      const ids = new Set([...(record.containerId ? [record.containerId] : []), ...containers.map(c => c.id)]);
      for (const containerId of ids) {
        await this.#context.engine
          .stopContainer(
            record.engineId,
            containerId,
            end.status === 'cancelled' ? 0 : this.#context.deps.stopTimeoutSeconds,
          )
          .catch(() => undefined);
        await this.#context.engine.removeContainer(record.engineId, containerId).catch(() => undefined);
      }
      if (end.removeArtifacts && !record.remote) {
        const request = record.request;
        const keep = await othersFiles(record, (await this.#context.store.list()).records);
        for (const entry of outputEntriesFor(request.types, builderKindOf(request.builder) === 'bootc-image-builder')) {
          await removeExcept(join(request.outputDir, entry), keep).catch(() => undefined);
        }
      }
      await removeConfigDir(lease?.configDir).catch(() => undefined);
      const log = new BuildLogWriter(record.logPath, false);
      const final: DiskBuildRecord = {
        ...record,
        status: end.status,
        ...(end.error ? { error: end.error } : {}),
        ended: this.#context.now(),
        artifacts: end.removeArtifacts ? [] : record.artifacts,
      };
      delete final.containerId;
      endedRecord(final);
      log.note(endSummary(final));
      await log.close();
      await this.#context.store.write(final);
      await this.#context.store.removeCancelRequest(id);
      this.#context.emit({ id, record: copyRecord(final) });
      return final;
    } finally {
      await this.#context.store.removeLease(id).catch(() => undefined);
    }
  }

  async waitForEnd(id: string, limitMs: number): Promise<DiskBuildRecord> {
    const deadline = this.#context.now() + limitMs;
    for (;;) {
      const run = this.#context.runs.get(id);
      if (run) return run.done;
      const record = await this.#context.store.read(id);
      if (!ACTIVE(record)) return record;
      if (this.#context.now() > deadline) {
        throw new Error(`build ${id} was asked to cancel, but the process that runs it has not recorded it yet`);
      }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  }
}
