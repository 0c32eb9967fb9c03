/**
 * One build, run by this process: from its config file to its final record. The service
 * (disk-build-service.ts) checks the request and creates the record; a BuildRun then writes the
 * config (hashed, 0600, private temp dir), runs the builder — a container (builder-container.ts) or
 * root's podman behind the hand-off (builder-handoff.ts), one BuilderProcess either way — with its
 * output through the pipeline (build-output.ts) into the build's own log and progress, records the
 * outcome, removes the container and, however it ends, the config's temp dir. Its lease and time
 * limit are build-lease.ts; the record's throttled writes and ending, build-record.ts.
 *
 * A run can also take over a build whose runner went away (`attach`): it replays the container's
 * log from its start through the parser (so the percentage is right again) and appends only the
 * lines the log does not have yet. `stop()` (cancel, time limit) kills the builder and lets the
 * normal ending record the reason; `detach()` stops following without touching the container (the
 * extension is going away; the build goes on and the next runner takes it over).
 */

import { readFile } from 'node:fs/promises';

import type { DiskBuildRequest } from '../api/disk-build';
import { builderKindOf } from '../api/disk-build';
import type { DiskBuildRecord } from '../api/disk-builds';
import { errorMessage } from '../api/errors';
import type { ContainerEngine } from '../engine/container-engine';
import { removePartialOutputs } from './artifact-removal';
import { chownArtifacts } from './artifacts';
import { makeConfigDir, removeConfigDir, writeBuildConfig } from './build-config-tempdir';
import { BuildLogWriter, countBuilderLines, logHeader } from './build-log';
import { createBuildOutput, type BuildOutput, type OutputEnd } from './build-output';
import { BuildLease } from './build-lease';
import {
  CANCELLED,
  copyRecord,
  endedRecord,
  endSummary,
  recordOutcome,
  RecordWriter,
  setError,
  type StopReason,
} from './build-record';
import type { BuildStore, RunnerLease } from './build-store';
import { BuilderContainer, createBuilderContainer, ensureBuilderImage, LostError } from './builder-container';
import { HANDOFF_DETACHED, HandoffBuilder } from './builder-handoff';
import { planBuild, type BuilderPlan } from './builder-plan';
import type { BuilderProcess } from './builder-process';
import { handoffNotice, ROOT_GRAPH_ROOT, type HandoffFacts } from './linux-handoff';
import type { AdminRunner } from '../platform/admin';

export interface RunnerDeps {
  engine: ContainerEngine;
  store: BuildStore;
  now(): number;
  /** How often the runner renews its lease and looks for a cancel request from another process. */
  heartbeatMs: number;
  /** Progress reaches the record file at most this often (the change events are not throttled). */
  progressWriteMs: number;
  /** After the builder exited, how long its log may take to end. */
  logDrainMs: number;
  /** SIGTERM, then SIGKILL after this many seconds. */
  stopTimeoutSeconds: number;
  /** Where the config file's private temp dir goes (default the OS temp dir). */
  configParentDir?: string;
  emit(record: DiskBuildRecord): void;
  warn(message: string): void;
  /** Runs the Linux hand-off script as root; required for builds with `EngineFacts.handoff`. */
  admin?: AdminRunner;
}

/** What start() learnt about the engine, for the plan. */
export interface EngineFacts {
  graphRoot: string;
  rootful: boolean;
  awsConfigDir?: string;
  /** The engine is a rootless podman on Linux: the builder runs on root's podman after the hand-off. */
  handoff?: HandoffFacts;
  /** The engine runs on another machine: the config is copied into the builder, the output stays there. */
  remote?: boolean;
}

export class BuildRun {
  readonly record: DiskBuildRecord;
  readonly done: Promise<DiskBuildRecord>;
  #resolve!: (record: DiskBuildRecord) => void;
  readonly #lease: BuildLease;
  #log: BuildLogWriter | undefined;
  #stopReason: StopReason | undefined;
  #detached = false;
  #handoffPid: number | undefined;
  /** The builder once it exists (a created container, a written hand-off script): what stop() kills. */
  #builder: BuilderProcess | undefined;
  /** Aborted on detach: following and waiting end (a stop lets the builder end by itself). */
  readonly #follow = new AbortController();
  #writer: RecordWriter;
  /** What the builder's output and the process said went wrong, for the failure message. */
  #failureReason: string | undefined;
  #tail: string[] = [];

  constructor(
    private readonly deps: RunnerDeps,
    record: DiskBuildRecord,
    lease: Omit<RunnerLease, 'pid' | 'host' | 'heartbeat'>,
  ) {
    this.record = record;
    this.#lease = new BuildLease(deps, record.id, lease);
    this.#writer = new RecordWriter(deps.store, () => this.record, deps.progressWriteMs, deps.warn);
    this.done = new Promise(resolve => (this.#resolve = resolve));
  }

  get id(): string {
    return this.record.id;
  }

  /** A new build: everything from the config file on. Never rejects; the outcome is in the record. */
  async runNew(request: DiskBuildRequest, facts: EngineFacts, cacheVolumes: boolean): Promise<void> {
    try {
      await this.#begin();
      const remember = (dir: string) => this.#lease.rememberConfigDir(dir);
      const config = await writeBuildConfig(request.config, this.deps.configParentDir, remember);
      const handoff = facts.handoff;
      const plan = planBuild(request, {
        graphRoot: handoff ? ROOT_GRAPH_ROOT : facts.graphRoot,
        engineRootful: facts.rootful || !!handoff,
        buildId: this.id,
        ...(config ? { configPath: config.path } : {}),
        // An engine on another machine cannot see the config file: it is copied into the builder.
        ...(config && facts.remote ? { configCopiedIn: true } : {}),
        ...(facts.awsConfigDir ? { awsConfigDir: facts.awsConfigDir } : {}),
      });
      if (!cacheVolumes) plan.volumes = [];
      this.#log = new BuildLogWriter(this.record.logPath, true, error =>
        this.deps.warn(`Cannot write ${this.record.logPath}: ${errorMessage(error)}`),
      );
      this.#log.write(logHeader(this.record, plan, cacheVolumes));
      if (handoff) {
        const dir = config?.dir ?? (await makeConfigDir(this.deps.configParentDir, remember));
        return await this.#runHandoff(request, plan, handoff, dir);
      }
      await ensureBuilderImage(this.deps.engine, this.record.engineId, plan.builderImage, {
        pulling: async () => {
          this.record.message = `Pulling the builder ${plan.builderImage}`;
          this.#log?.note(`The builder ${plan.builderImage} is not on the engine: pulling it`);
          await this.#changed(false);
        },
        note: line => this.#log?.note(line),
        stopping: () => !!this.#stopReason,
      });
      if (this.#stopReason) return await this.#finish(undefined);

      // An engine on another machine cannot see the config file: it is copied into the builder.
      const copiedConfig = config && facts.remote ? await readFile(config.path, 'utf8') : undefined;
      const containerId = await createBuilderContainer(this.deps.engine, this.record.engineId, plan, {
        stopTimeoutSeconds: this.deps.stopTimeoutSeconds,
        ...(copiedConfig !== undefined ? { config: copiedConfig } : {}),
      });
      this.record.containerId = containerId;
      const builder = this.#container(containerId);
      await this.#changed(true);
      if (this.#stopReason) return await this.#finish(undefined);

      await this.deps.engine.startContainer(this.record.engineId, containerId);
      this.record.status = 'building';
      this.record.started = this.deps.now();
      this.record.message = 'Builder started';
      await this.#changed(true);
      this.#armDeadline();
      await this.#finish(await this.#runBuilder(builder, 0));
    } catch (error) {
      await this.#fail(error);
    }
  }

  /** The builder on root's podman, behind the hand-off script (one administrator prompt). */
  async #runHandoff(request: DiskBuildRequest, plan: BuilderPlan, handoff: HandoffFacts, dir: string): Promise<void> {
    const admin = this.deps.admin;
    if (!admin) throw new Error('this build needs administrator rights, and nothing here can ask for them');
    const purpose = handoffNotice(this.record.engineName, request.image);
    const builder = await HandoffBuilder.write(
      {
        admin,
        buildId: this.id,
        dir,
        purpose,
        warn: this.deps.warn,
        // Still preparing while the prompt waits (a terminal's progress bar would draw over sudo's
        // prompt); building, with the time limit running, from the script's first word.
        started: () => {
          this.record.status = 'building';
          this.record.started = this.deps.now();
          this.record.message = 'Handing the image to root’s podman';
          this.#armDeadline();
        },
      },
      { request, plan, handoff, stopTimeoutSeconds: this.deps.stopTimeoutSeconds },
    );
    this.#builder = builder;
    if (this.#stopReason || this.#detached) return await this.#finish(undefined);
    this.#log?.note(purpose);
    this.record.message = 'Waiting for administrator rights';
    await this.#changed(true);
    await this.#finish(await this.#runBuilder(builder, 0));
  }

  /** Takes over a build whose builder container exists (running or exited). Never rejects. */
  async attach(containerId: string, note: string): Promise<void> {
    try {
      await this.#begin();
      this.record.containerId = containerId;
      const builder = this.#container(containerId);
      const already = await countBuilderLines(this.record.logPath);
      this.#log = new BuildLogWriter(this.record.logPath, false, error =>
        this.deps.warn(`Cannot write ${this.record.logPath}: ${errorMessage(error)}`),
      );
      this.#log.note(note);
      if (this.record.status !== 'building') {
        this.record.status = 'building';
        this.record.started ??= this.deps.now();
      }
      await this.#changed(true);
      this.#armDeadline();
      await this.#finish(await this.#runBuilder(builder, already));
    } catch (error) {
      await this.#fail(error);
    }
  }

  /**
   * Cancel or time limit: kills the builder at once (no grace period: osbuild ignores SIGTERM and
   * would run on for the whole stop timeout), and its progress is no longer reported; the run then
   * ends with `reason`. The first reason wins.
   */
  stop(reason: StopReason): void {
    if (this.#stopReason || this.#detached) return;
    this.#stopReason = reason;
    this.#builder?.kill();
  }

  /**
   * Stops following without touching the builder: the build goes on, and its lease is released (or
   * handed to `handoffPid`, a process that takes it over). The config dir stays for the next runner.
   */
  async detach(handoffPid?: number): Promise<void> {
    if (this.#builder && !this.#builder.outlivesRunner) {
      // The builder runs under this process's admin invocation, which ends with it: stop it cleanly.
      this.stop({ status: 'failed', error: HANDOFF_DETACHED });
      await this.done;
      return;
    }
    if (this.#detached) return;
    this.#detached = true;
    this.#handoffPid = handoffPid;
    this.#lease.stopRenewing();
    this.#follow.abort();
    await this.done;
  }

  #container(containerId: string): BuilderContainer {
    const builder = new BuilderContainer(
      {
        engine: this.deps.engine,
        engineId: this.record.engineId,
        buildId: this.id,
        logDrainMs: this.deps.logDrainMs,
        warn: this.deps.warn,
        detach: this.#follow.signal,
      },
      containerId,
    );
    this.#builder = builder;
    return builder;
  }

  /** Runs the builder with its output into the pipeline: its exit code, undefined after a detach. */
  async #runBuilder(builder: BuilderProcess, skipLines: number): Promise<number | undefined> {
    const output = this.#outputPipeline(skipLines);
    let exitCode: number | undefined;
    let said: OutputEnd | undefined;
    try {
      exitCode = await builder.run(output);
    } finally {
      said = output.end();
    }
    this.#failureReason = builder.failureReason(exitCode, said);
    this.#tail = said.tail;
    return exitCode;
  }

  #outputPipeline(skipLines: number): BuildOutput {
    return createBuildOutput(
      {
        stopping: () => !!this.#stopReason,
        progress: (percent, message) => {
          this.record.percent = percent;
          this.record.message = message;
        },
        write: text => this.#log?.write(text),
        changed: () => void this.#changed(false),
      },
      skipLines,
    );
  }

  async #begin(): Promise<void> {
    await this.#lease.begin(() => this.stop(CANCELLED));
  }

  #armDeadline(): void {
    this.#lease.armDeadline(this.record.started ?? this.deps.now(), error => this.stop({ status: 'failed', error }));
  }

  /** Records the outcome and cleans up. `exitCode` undefined: stopped before the builder ran, or detached. */
  async #finish(exitCode: number | undefined): Promise<void> {
    if (this.#detached) return this.#release();
    const record = this.record;
    // Another process may have asked to cancel and stopped the builder before a heartbeat saw it.
    if (!this.#stopReason && (await this.deps.store.cancelRequested(this.id).catch(() => false))) {
      this.#stopReason = CANCELLED;
    }
    await recordOutcome(record, exitCode, this.#stopReason, {
      reason: this.#failureReason,
      lastLine: this.#tail.at(-1),
    });
    if (record.status !== 'succeeded') {
      await this.#removePartialArtifacts();
      record.artifacts = [];
    } else if (!record.remote && record.request.chown && builderKindOf(record.request.builder) === 'image-builder') {
      await chownArtifacts(record.request, record.request.chown, line => this.#log?.note(line));
    }
    await this.#end(true);
  }

  async #fail(error: unknown): Promise<void> {
    if (this.#detached) return this.#release();
    const lost = error instanceof LostError;
    this.record.status = this.#stopReason?.status ?? (lost ? 'lost' : 'failed');
    setError(this.record, this.#stopReason ? this.#stopReason.error : errorMessage(error));
    await this.#removePartialArtifacts();
    this.record.artifacts = [];
    await this.#end(!lost);
  }

  /** Records the end; the final record before the container goes (a kill between: reconcile removes it). */
  async #end(removeContainer: boolean): Promise<void> {
    const record = this.record;
    record.ended = this.deps.now();
    endedRecord(record);
    const summary =
      record.status === 'succeeded'
        ? `Build ${record.id} succeeded: ${record.artifacts.map(artifact => `${artifact.path} (${artifact.size ?? '?'} bytes)`).join(', ')}`
        : endSummary(record);
    this.#log?.note(summary);
    await this.#removeConfigDir(); // before the record ends the build: nobody cleans up after a finished one
    // The final record first: a reader never sees a running build without its runner's lease.
    await this.#writer.flush();
    if (removeContainer && record.containerId && (await this.#removeContainer())) await this.#writer.flush();
    this.#lease.stopTimers();
    await this.#log?.close();
    await this.#lease.end();
    this.deps.emit(copyRecord(record));
    this.#resolve(copyRecord(record));
  }

  /** Detached: the builder goes on; the lease is handed over or released, the config dir stays. */
  async #release(): Promise<void> {
    this.#lease.stopTimers();
    await this.#log?.close();
    await this.#writer.flush();
    await this.#lease.release(this.#handoffPid);
    this.#resolve(copyRecord(this.record));
  }

  async #removeConfigDir(): Promise<void> {
    await removeConfigDir(this.#lease.configDir).catch((error: unknown) =>
      this.deps.warn(`Cannot remove the config dir of ${this.id}: ${errorMessage(error)}`),
    );
  }

  async #removeContainer(): Promise<boolean> /* removed */ {
    const id = this.record.containerId;
    if (!id) return false;
    try {
      await this.deps.engine.removeContainer(this.record.engineId, id);
      delete this.record.containerId;
      return true;
    } catch (error) {
      this.#log?.note(`could not remove the builder container ${id}: ${errorMessage(error)}`);
      return false;
    }
  }

  async #removePartialArtifacts(): Promise<void> {
    const { records } = await this.deps.store.list().catch(() => ({ records: [] as DiskBuildRecord[] }));
    await removePartialOutputs(this.record, records, line => this.#log?.note(line));
  }

  /** The record changed: an event now, the file now (`force`) or at the throttle's pace. */
  async #changed(force: boolean): Promise<void> {
    this.deps.emit(copyRecord(this.record));
    if (force) await this.#writer.flush();
    else this.#writer.schedule();
  }
}
