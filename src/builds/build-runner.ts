/**
 * One build, run by this process: from its config file to its final record. The service
 * (disk-build-service.ts) checks the request and creates the record; a BuildRun then
 *
 *   writes the config (hashed, 0600, private temp dir) → makes sure the builder image is there →
 *   creates the builder container (not started) → starts it → follows its log through the redactor
 *   into the build's own log (image-build-<id>.log) and the progress parser → waits for its exit → records the outcome with the
 *   artifacts' sizes → removes the container — and, however it ends, deletes the config's temp dir.
 *
 * A run can also take over a build whose runner went away (`attach`): it replays the container's
 * log from its start through the parser (so the percentage is right again) and appends only the
 * lines the log does not have yet.
 *
 * Stopping: `stop()` (cancel, time limit) stops the container and lets the normal ending record the
 * reason; `detach()` stops following without touching the container (the extension is going away;
 * the build goes on and the next runner takes it over).
 */

import { hostname } from 'node:os';
import { chown, lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { DiskBuildRequest } from '../api/disk-build';
import { builderImageOf, builderKindOf } from '../api/disk-build';
import type { DiskBuildRecord, DiskBuildStatus } from '../api/disk-builds';
import { errorMessage } from '../api/errors';
import type { ContainerEngine } from '../engine/container-engine';
import { othersFiles, removeExcept } from './artifact-removal';
import { outputEntriesFor } from './artifacts';
import { makeConfigDir, removeConfigDir, writeBuildConfig } from './build-config-tempdir';
import { BuildLogWriter, countBuilderLines, LineSkipper, OUTPUT_MARKER } from './build-log';
import { BuildProgressParser } from './build-progress';
import type { BuildStore, RunnerLease } from './build-store';
import { CONFIG_TARGET, planBuild, renderRunCommand, type BuilderPlan } from './builder-plan';
import {
  CANCEL_FILE,
  HANDOFF_FAILURE_PREFIX,
  handoffNotice,
  handoffScript,
  ROOT_GRAPH_ROOT,
  type HandoffFacts,
} from './linux-handoff';
import type { AdminRunner } from '../platform/admin';
import { createLogRedactor } from './secret-masking';

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

export interface StopReason {
  status: Extract<DiskBuildStatus, 'cancelled' | 'failed'>;
  /** Why; none for a cancel (the status says it all, and the page would show "Cancelled" twice). */
  error?: string;
}

/** The user's cancel: the status is the whole story. */
export const CANCELLED = { status: 'cancelled' } as const satisfies StopReason;

const TAIL_LINES = 5;

export class BuildRun {
  readonly record: DiskBuildRecord;
  readonly done: Promise<DiskBuildRecord>;
  #resolve!: (record: DiskBuildRecord) => void;
  #lease: RunnerLease;
  #log: BuildLogWriter | undefined;
  #stopReason: StopReason | undefined;
  #detached = false;
  #handoffPid: number | undefined;
  /** A hand-off build: the private dir where the cancel file goes. */
  #handoffDir: string | undefined;
  /** Ends following and waiting: on detach only (a stop lets the container end by itself). */
  readonly #follow = new AbortController();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #writer: RecordWriter;
  /** What the parser and the log's last lines said, for the failure message. */
  #failureReason: string | undefined;
  #tail: string[] = [];

  constructor(
    private readonly deps: RunnerDeps,
    record: DiskBuildRecord,
    lease: Omit<RunnerLease, 'pid' | 'host' | 'heartbeat'>,
  ) {
    this.record = record;
    this.#lease = { ...lease, pid: process.pid, host: hostname(), heartbeat: deps.now() };
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
      const remember = async (dir: string) => {
        this.#lease.configDir = dir;
        await this.deps.store.writeLease(this.id, this.#lease);
      };
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
      await this.#ensureBuilder(plan.builderImage);
      if (this.#stopReason) return await this.#finish(undefined);

      const files =
        config && facts.remote
          ? [{ path: CONFIG_TARGET, content: await readFile(config.path, 'utf8'), mode: 0o600 }]
          : undefined;
      const containerId = await this.deps.engine.createContainer(this.record.engineId, {
        ...(files ? { files } : {}),
        ...(plan.containerName ? { name: plan.containerName } : {}),
        image: plan.builderImage,
        cmd: plan.argv,
        binds: plan.binds,
        volumes: plan.volumes,
        privileged: plan.privileged,
        securityOpt: plan.securityOpt,
        labels: plan.labels,
        stopTimeoutSeconds: this.deps.stopTimeoutSeconds,
      });
      this.record.containerId = containerId;
      await this.#changed(true);
      if (this.#stopReason) return await this.#finish(undefined);

      await this.deps.engine.startContainer(this.record.engineId, containerId);
      this.record.status = 'building';
      this.record.started = this.deps.now();
      this.record.message = 'Builder started';
      await this.#changed(true);
      this.#armDeadline();
      const exitCode = await this.#followBuilder(containerId, 0);
      await this.#finish(exitCode);
    } catch (error) {
      await this.#fail(error);
    }
  }

  /**
   * The builder on root's podman, through the hand-off script run as root (one prompt): its output
   * goes through the same log and progress pipeline, its exit code ends the build.
   */
  async #runHandoff(request: DiskBuildRequest, plan: BuilderPlan, handoff: HandoffFacts, dir: string): Promise<void> {
    const admin = this.deps.admin;
    if (!admin) throw new Error('this build needs administrator rights, and nothing here can ask for them');
    const scriptPath = join(dir, 'handoff.sh');
    const script = handoffScript({
      image: request.image,
      imageId: handoff.imageId,
      owner: handoff.owner,
      workDir: dir,
      archive: join(request.outputDir, `.bootc-studio-image-${this.id}.tar`),
      outputDir: request.outputDir,
      plan,
      stopTimeoutSeconds: this.deps.stopTimeoutSeconds,
      ...(request.chown ? { chownTo: request.chown } : {}),
    });
    await writeFile(scriptPath, script, { mode: 0o600, flag: 'wx' });
    this.#handoffDir = dir;
    if (this.#stopReason || this.#detached) return await this.#finish(undefined);
    const purpose = handoffNotice(this.record.engineName, request.image);
    this.#log?.note(purpose);
    // Still preparing while the prompt waits (a terminal's progress bar would draw over sudo's
    // prompt); building, with the time limit running, from the script's first word.
    this.record.message = 'Waiting for administrator rights';
    await this.#changed(true);
    const output = this.#outputPipeline(0);
    let said = false;
    let exitCode: number;
    try {
      exitCode = await admin.run(
        ['/bin/sh', scriptPath],
        text => {
          if (!said && text.length > 0) {
            said = true;
            this.record.status = 'building';
            this.record.started = this.deps.now();
            this.record.message = 'Handing the image to root’s podman';
            this.#armDeadline();
          }
          output.push(text);
        },
        purpose,
      );
    } finally {
      output.end();
    }
    // pkexec's "not authorized" (the prompt dismissed or refused): nothing of the script ran.
    if (exitCode === 126 && !said) this.#failureReason = 'administrator rights were not given, so nothing was run';
    const own = this.#tail.findLast(line => line.startsWith(HANDOFF_FAILURE_PREFIX));
    if (exitCode !== 0 && own && !this.#failureReason) {
      this.#failureReason = `the hand-off to root's podman failed: ${own.slice(HANDOFF_FAILURE_PREFIX.length)}`;
    }
    await this.#finish(exitCode);
  }

  /** Takes over a build whose builder container exists (running or exited). Never rejects. */
  async attach(containerId: string, note: string): Promise<void> {
    try {
      await this.#begin();
      this.record.containerId = containerId;
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
      const exitCode = await this.#followBuilder(containerId, already);
      await this.#finish(exitCode);
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
    if (this.#handoffDir) {
      // The script, running as root, stops the builder when it sees this file.
      writeFile(join(this.#handoffDir, CANCEL_FILE), '').catch((error: unknown) =>
        this.deps.warn(`Stopping the builder of ${this.id}: ${errorMessage(error)}`),
      );
      return;
    }
    const containerId = this.record.containerId;
    if (containerId) {
      this.deps.engine
        .stopContainer(this.record.engineId, containerId, 0)
        .catch((error: unknown) => this.deps.warn(`Stopping the builder of ${this.id}: ${errorMessage(error)}`));
    }
  }

  /**
   * Stops following without touching the builder: the build goes on, and its lease is released (or
   * handed to `handoffPid`, a process that takes it over). The config dir stays for the next runner.
   */
  async detach(handoffPid?: number): Promise<void> {
    if (this.#handoffDir) {
      // The builder runs under this process's admin invocation, which ends with it: stop it cleanly.
      this.stop({ status: 'failed', error: HANDOFF_DETACHED });
      await this.done;
      return;
    }
    if (this.#detached) return;
    this.#detached = true;
    this.#handoffPid = handoffPid;
    this.#follow.abort();
    await this.done;
  }

  async #begin(): Promise<void> {
    await this.deps.store.writeLease(this.id, this.#lease);
    this.#heartbeat = setInterval(() => void this.#tick(), this.deps.heartbeatMs);
    this.#heartbeat.unref?.();
  }

  async #tick(): Promise<void> {
    await this.#renewLease();
    if (!this.#stopReason && (await this.deps.store.cancelRequested(this.id))) {
      this.stop(CANCELLED);
    }
  }

  async #renewLease(): Promise<void> {
    if (this.#detached) return;
    this.#lease.heartbeat = this.deps.now();
    await this.deps.store
      .writeLease(this.id, this.#lease)
      .catch((error: unknown) => this.deps.warn(`Cannot renew the lease of ${this.id}: ${errorMessage(error)}`));
  }

  #armDeadline(): void {
    const limit = this.#lease.timeoutMs;
    if (!limit || limit <= 0) return;
    const left = (this.record.started ?? this.deps.now()) + limit - this.deps.now();
    const expire = () => this.stop({ status: 'failed', error: `timed out after ${describeDuration(limit)}` });
    if (left <= 0) expire();
    else {
      this.#deadline = setTimeout(expire, left);
      this.#deadline.unref?.();
    }
  }

  async #ensureBuilder(image: string): Promise<void> {
    const engineId = this.record.engineId;
    const present = await this.deps.engine.inspectImage(engineId, image).then(
      () => true,
      () => false,
    );
    if (present) return;
    this.record.message = `Pulling the builder ${image}`;
    this.#log?.note(`The builder ${image} is not on the engine: pulling it`);
    await this.#changed(false);
    const abort = new AbortController();
    const poll = setInterval(() => this.#stopReason && abort.abort(), 250);
    try {
      await this.deps.engine.pullImage(
        engineId,
        image,
        { signal: abort.signal },
        { log: line => this.#log?.note(line), layer: () => undefined },
      );
    } catch (error) {
      if (this.#stopReason) return;
      throw new Error(`pulling the builder ${image} failed: ${errorMessage(error)}`, { cause: error });
    } finally {
      clearInterval(poll);
    }
  }

  /**
   * The builder's output → secrets masked → the progress parser, the log (without the first
   * `skipLines` lines, which it has already) and the last lines for a failure message. `end()` flushes.
   */
  #outputPipeline(skipLines: number): { push: (raw: string) => void; end: () => void } {
    const redactor = createLogRedactor();
    const parser = new BuildProgressParser();
    const skipper = new LineSkipper(skipLines);
    const tail: string[] = [];
    const take = (text: string) => {
      if (!text) return;
      for (const update of parser.push(text)) {
        // Stopped: what the builder still prints (already on its way) is logged, not progress.
        if (this.#stopReason) continue;
        this.record.percent = update.percent;
        this.record.message = update.message;
      }
      const fresh = skipper.push(text);
      this.#log?.write(fresh);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        tail.push(line.trim());
        if (tail.length > TAIL_LINES) tail.shift();
      }
      void this.#changed(false);
    };
    return {
      push: (raw: string) => take(redactor.push(raw).replace(/\r\n/g, '\n')),
      end: () => {
        take(redactor.end().replace(/\r\n/g, '\n'));
        for (const update of parser.end()) {
          if (this.#stopReason) continue;
          this.record.percent = update.percent;
          this.record.message = update.message;
        }
        this.#failureReason = parser.failureReason;
        this.#tail = tail;
      },
    };
  }

  /** Follows the log until the builder exits; its exit code, or undefined after a detach. */
  async #followBuilder(containerId: string, skipLines: number): Promise<number | undefined> {
    // Detached while the record was being written: do not start following at all.
    if (this.#follow.signal.aborted) return undefined;
    const engineId = this.record.engineId;
    const output = this.#outputPipeline(skipLines);
    const logs = this.deps.engine
      .followContainerLogs(engineId, containerId, output.push, this.#follow.signal)
      .catch((error: unknown) => {
        if (!this.#follow.signal.aborted) this.deps.warn(`Following the builder of ${this.id}: ${errorMessage(error)}`);
      });
    let exitCode: number | undefined;
    try {
      exitCode = await this.deps.engine.waitContainer(engineId, containerId, this.#follow.signal);
    } catch (error) {
      this.#follow.abort();
      if (this.#detached) return undefined;
      throw new LostError(`lost the builder container: ${errorMessage(error)}`);
    }
    // The log may still be arriving: give it a moment to end by itself.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([logs, new Promise(resolve => (timer = setTimeout(resolve, this.deps.logDrainMs)))]);
    clearTimeout(timer);
    this.#follow.abort();
    output.end();
    if (this.#detached) return undefined;
    return exitCode;
  }

  /** Records the outcome and cleans up. `exitCode` undefined: stopped before the builder ran, or detached. */
  async #finish(exitCode: number | undefined): Promise<void> {
    if (this.#detached) return this.#release();
    const record = this.record;
    // Another process may have asked to cancel and stopped the builder before a heartbeat saw it.
    if (!this.#stopReason && (await this.deps.store.cancelRequested(this.id).catch(() => false))) {
      this.#stopReason = CANCELLED;
    }
    if (this.#stopReason) {
      record.status = this.#stopReason.status;
      setError(record, this.#stopReason.error);
    } else if (exitCode === 0 && record.remote) {
      // On the engine's machine: the builder's success is all this side can know of them.
      record.status = 'succeeded';
      record.percent = 100;
      record.message = 'Build complete';
    } else if (exitCode === 0) {
      const missing = await this.#measureArtifacts();
      if (missing.length > 0) {
        record.status = 'failed';
        record.error = `the builder ended without writing ${missing.join(', ')}`;
      } else {
        record.status = 'succeeded';
        record.percent = 100;
        record.message = 'Build complete';
      }
    } else {
      record.status = 'failed';
      record.error =
        this.#failureReason ??
        `the builder exited with code ${exitCode ?? 'unknown'}${this.#tail.length > 0 ? `: ${this.#tail.at(-1)}` : ''}`;
    }
    if (record.status !== 'succeeded') {
      await this.#removePartialArtifacts();
      record.artifacts = [];
    } else if (!record.remote && record.request.chown && builderKindOf(record.request.builder) === 'image-builder') {
      await this.#chownArtifacts(record.request.chown);
    }
    await this.#removeContainer();
    await this.#end();
  }

  async #fail(error: unknown): Promise<void> {
    if (this.#detached) return this.#release();
    const lost = error instanceof LostError;
    this.record.status = this.#stopReason?.status ?? (lost ? 'lost' : 'failed');
    setError(this.record, this.#stopReason ? this.#stopReason.error : errorMessage(error));
    if (!lost) await this.#removeContainer();
    await this.#removePartialArtifacts();
    this.record.artifacts = [];
    await this.#end();
  }

  async #end(): Promise<void> {
    const record = this.record;
    record.ended = this.deps.now();
    endedRecord(record);
    const summary =
      record.status === 'succeeded'
        ? `Build ${record.id} succeeded: ${record.artifacts.map(artifact => `${artifact.path} (${artifact.size ?? '?'} bytes)`).join(', ')}`
        : endSummary(record);
    this.#log?.note(summary);
    await this.#cleanup();
    await this.deps.store.removeCancelRequest(this.id).catch(() => undefined);
    await this.#writer.flush();
    await this.deps.store
      .removeLease(this.id)
      .catch((error: unknown) => this.deps.warn(`Cannot remove the lease of ${this.id}: ${errorMessage(error)}`));
    this.deps.emit(copyRecord(record));
    this.#resolve(copyRecord(record));
  }

  /** Detached: the builder goes on; the lease is handed over or released, the config dir stays. */
  async #release(): Promise<void> {
    this.#stopTimers();
    await this.#log?.close();
    await this.#writer.flush();
    if (this.#handoffPid !== undefined) {
      await this.deps.store
        .writeLease(this.id, { ...this.#lease, pid: this.#handoffPid, heartbeat: this.deps.now() })
        .catch(() => undefined);
    } else {
      // Keep what the next runner needs (config dir, time limit); a lease nobody renews is free to take.
      await this.deps.store.writeLease(this.id, { ...this.#lease, pid: 0, heartbeat: 0 }).catch(() => undefined);
    }
    this.#resolve(copyRecord(this.record));
  }

  async #cleanup(): Promise<void> {
    this.#stopTimers();
    await this.#log?.close();
    await removeConfigDir(this.#lease.configDir).catch((error: unknown) =>
      this.deps.warn(`Cannot remove the config dir of ${this.id}: ${errorMessage(error)}`),
    );
  }

  #stopTimers(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#heartbeat = undefined;
    this.#deadline = undefined;
  }

  async #removeContainer(): Promise<void> {
    const id = this.record.containerId;
    if (!id) return;
    try {
      await this.deps.engine.removeContainer(this.record.engineId, id);
      delete this.record.containerId;
    } catch (error) {
      this.#log?.note(`could not remove the builder container ${id}: ${errorMessage(error)}`);
    }
  }

  /** Sizes and identities of the artifacts; the ones that are missing. */
  async #measureArtifacts(): Promise<string[]> {
    const missing: string[] = [];
    for (const artifact of this.record.artifacts) {
      try {
        const info = await stat(artifact.path);
        // Its identity, so that a delete later removes this file and not one written over it since.
        Object.assign(artifact, { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev });
      } catch {
        missing.push(artifact.path);
      }
    }
    return missing;
  }

  async #removePartialArtifacts(): Promise<void> {
    const request = this.record.request;
    if (this.record.remote) {
      this.#log?.note(`partial results may remain in ${request.outputDir} on ${this.record.engineName}`);
      return;
    }
    const entries = outputEntriesFor(request.types, builderKindOf(request.builder) === 'bootc-image-builder');
    // Another build's disk image that this one was allowed to overwrite but never did stays.
    const { records } = await this.deps.store.list().catch(() => ({ records: [] as DiskBuildRecord[] }));
    const keep = await othersFiles(this.record, records);
    for (const entry of entries) {
      await removeExcept(join(request.outputDir, entry), keep).catch((error: unknown) =>
        this.#log?.note(`could not remove ${entry}: ${errorMessage(error)}`),
      );
    }
  }

  async #chownArtifacts(owner: string): Promise<void> {
    const [uid, gid] = owner.split(':').map(Number);
    const request = this.record.request;
    for (const entry of outputEntriesFor(request.types, false)) {
      await chownTree(join(request.outputDir, entry), uid, gid).catch((error: unknown) =>
        this.#log?.note(`could not chown ${entry}: ${errorMessage(error)}`),
      );
    }
  }

  /** The record changed: an event now, the file now (`force`) or at the throttle's pace. */
  async #changed(force: boolean): Promise<void> {
    this.deps.emit(copyRecord(this.record));
    if (force) await this.#writer.flush();
    else this.#writer.schedule();
  }
}

class LostError extends Error {}

export const HANDOFF_DETACHED =
  'stopped: the builder ran as root under this runner, which was closing (a hand-off build cannot be left running)';

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const info = await lstat(path);
  await chown(path, uid, gid);
  if (info.isDirectory()) {
    for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
  }
}

/** Writes the record at most once per interval while it changes, and at once on flush. */
class RecordWriter {
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

export function copyRecord(record: DiskBuildRecord): DiskBuildRecord {
  return structuredClone(record);
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

function logHeader(record: DiskBuildRecord, plan: BuilderPlan, cacheVolumes: boolean): string {
  const request = record.request;
  return [
    `Bootc Studio disk build ${record.id}`,
    `Image:   ${request.image} on ${record.engineName}`,
    `Types:   ${request.types.join(', ')}`,
    `Arch:    ${request.arch}${request.rootfs ? `, root filesystem ${request.rootfs}` : ''}`,
    `Output:  ${request.outputDir}`,
    `Builder: ${builderImageOf(request.builder)}`,
    `Created: ${new Date(record.created).toISOString()}`,
    ...(cacheVolumes ? [] : ["Cache:   none (another build uses this builder's cache volumes right now)"]),
    'Command:',
    `  ${renderRunCommand(plan)}`,
    ...plan.warnings.map(warning => `Warning: ${warning}`),
    OUTPUT_MARKER,
    '',
  ].join('\n');
}

function setError(record: DiskBuildRecord, error: string | undefined): void {
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
