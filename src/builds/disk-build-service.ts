/**
 * Disk builds as the webview, the CLI and standalone mode use them: start (checked before anything
 * is started, id returned at once), list, read, read the log from an offset, cancel, delete,
 * preview, and reconcile the store with the engine after a restart.
 *
 * One process runs a build at a time: its runner (build-runner.ts) holds the build's lease
 * (`runner.json`, renewed by a heartbeat). Another process that shares the store — the CLI while
 * Podman Desktop builds, `disk ls` after `disk build --detach` — reads the records, asks the runner
 * to cancel through the store, and takes a build over only when its lease went stale.
 *
 * Reconciliation, for each record still preparing/building on an engine this service reaches and
 * whose runner is gone: the builder container (found by its build-id label) still running → taken
 * over (`adopt`; in `observe` mode, used by short CLI commands, it is left running and only its time
 * limit is enforced); exited → taken over to record its outcome; missing (or never started) → `lost`.
 *
 * Where the builder runs: on the engine that holds the image, when it is rootful. A rootless podman
 * on Linux: on root's podman, through the hand-off (linux-handoff.ts; one admin step, so such a build
 * cannot be detached and is lost if its runner dies). An engine on another machine (ssh://): there,
 * with the output folder a path on that machine, the config copied into the builder and the log kept
 * beside the record. A rootless podman machine (macOS, Windows): refused; the preview offers the fix.
 *
 * Cache volumes: osbuild's store and DNF cache are named volumes per builder image, reused by
 * every build. A build that starts while another build of this store with the same builder runs
 * gets none (its osbuild store then lives in its container and goes with it): two osbuilds never
 * share a store at once.
 */

import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';

import {
  builderImageOf,
  builderKindOf,
  redactDiskBuildRequest,
  validateDiskBuildRequest,
  type DiskBuildRequest,
} from '../api/disk-build';
import type {
  BuildableImage,
  DiskBuildDeleteResult,
  DiskBuildPreview,
  DiskBuildRecord,
  OutputFolderCheck,
  OutputFolderState,
} from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { errorMessage } from '../api/errors';
import { ValidationError } from '../api/validation';
import type { ContainerEngine, EngineInfo } from '../engine/container-engine';
import { chooseEngine } from '../images/engine-choice';
import { mayHaveMoved, onCurrentEngine } from './record-engine';
import { deleteBuildFiles, describeConflicts, othersFiles, removeExcept } from './artifact-removal';
import { annotateRecords, artifactsFor, checkOutputFolder, logFileName, outputEntriesFor } from './artifacts';
import { removeConfigDir } from './build-config-tempdir';
import { buildImageFacts } from './build-image';
import { BuildLogWriter, readLogFrom } from './build-log';
import { previewBuild } from './build-preview';
import { CANCELLED, copyRecord, endedRecord, endSummary } from './build-record';
import { BuildRun, type EngineFacts, type RunnerDeps } from './build-runner';
import { BuildNotFoundError, BuildStore, isBuildId, newBuildId, type RunnerLease } from './build-store';
import { BUILD_ID_LABEL, CONTAINER_STORAGE } from './builder-plan';
import { freeBytesIn, outputSpaceProblem } from './free-space';
import type { StoreProblem } from '../jobs/record-store';
import type { AdminRunner } from '../platform/admin';
import { handoffNotice, ROOT_GRAPH_ROOT, type HandoffFacts } from './linux-handoff';

export const DEFAULT_BUILD_TIMEOUT_MINUTES = 30;

/** A finished build whose log file is gone: said, not shown as an empty log. */
export class LogMissingError extends Error {
  constructor(id: string, path: string) {
    super(`the log of build ${id} is gone: ${path} no longer exists`);
    this.name = 'LogMissingError';
  }
}

export interface DiskBuildServiceOptions {
  engine: ContainerEngine;
  /** The store folder; records go to `<storeDir>/builds/<id>/build.json`. */
  storeDir: string;
  /** A build's time limit from the start of its builder; a function so a changed preference applies to the next build. */
  timeoutMs?: number | (() => number);
  /** Parent of the config files' private temp dirs (default the OS temp dir). */
  configParentDir?: string;
  /** The user's home, for `~/.aws` (AMI uploads). */
  home?: string;
  now?: () => number;
  heartbeatMs?: number;
  /** A lease not renewed for this long is free to take. */
  leaseStaleMs?: number;
  progressWriteMs?: number;
  logDrainMs?: number;
  stopTimeoutSeconds?: number;
  /** How long cancel() waits for another process's runner to record the cancellation. */
  remoteCancelWaitMs?: number;
  freeBytes?: (dir: string) => Promise<number | undefined>;
  /** The host's platform (default process.platform): on macOS and Windows the builder needs a podman ≥ 5 machine. */
  platform?: NodeJS.Platform;
  /** Where problems nobody asked about go (a damaged record, a failed write). Default console.warn. */
  warn?: (message: string) => void;
  /**
   * Linux with a rootless engine: how to run the hand-off as root. Without it, such an engine is refused
   * with what to do instead.
   */
  handoff?: { admin: AdminRunner };
}

export interface StartOptions {
  /**
   * Create the output folder when it does not exist (default: yes, from the form as from the CLI's
   * `--output ./out`; the form says so beforehand, see preview()). False refuses a missing folder.
   */
  createOutputDir?: boolean;
  /** The caller will detach (`disk build --detach`): refused for a hand-off build, which ends with its runner. */
  detach?: boolean;
  /**
   * The folder holds another build's artifacts (or files the builder would write): overwrite them
   * (the user confirmed). Without it such a folder is refused, naming the build.
   */
  overwrite?: boolean;
}

export type ReconcileMode = 'adopt' | 'observe';

/** A record changed (`record` set) or was deleted (`record` undefined). */
export interface BuildChange {
  id: string;
  record?: DiskBuildRecord;
}

/** Not enough room in the output folder: refused before anything started, but not bad input. */
export class NotEnoughSpaceError extends Error {
  readonly field = 'outputDir';
  constructor(message: string) {
    super(`outputDir: ${message}`);
    this.name = 'NotEnoughSpaceError';
  }
}

const ACTIVE = (record: DiskBuildRecord) => !FINISHED_STATUSES.includes(record.status);

export class DiskBuildService {
  readonly store: BuildStore;
  readonly #engine: ContainerEngine;
  readonly #runs = new Map<string, BuildRun>();
  readonly #listeners = new Set<(change: BuildChange) => void>();
  readonly #deps: RunnerDeps;
  readonly #options: DiskBuildServiceOptions;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  /** start() calls one after the other, so two cannot both claim one output folder. */
  #starting: Promise<unknown> = Promise.resolve();
  #disposed = false;

  constructor(options: DiskBuildServiceOptions) {
    this.#options = options;
    this.#engine = options.engine;
    this.store = new BuildStore(options.storeDir);
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? (message => console.warn(`bootc-studio: ${message}`));
    this.#deps = {
      engine: options.engine,
      store: this.store,
      now: this.#now,
      heartbeatMs: options.heartbeatMs ?? 10_000,
      progressWriteMs: options.progressWriteMs ?? 1000,
      logDrainMs: options.logDrainMs ?? 3000,
      stopTimeoutSeconds: options.stopTimeoutSeconds ?? 10,
      ...(options.configParentDir ? { configParentDir: options.configParentDir } : {}),
      emit: record => this.#emit({ id: record.id, record }),
      warn: this.#warn,
      ...(options.handoff ? { admin: options.handoff.admin } : {}),
    };
  }

  /** Checks everything, writes the record (`preparing`) and returns its id; the build runs on. */
  start(input: unknown, options: StartOptions = {}): Promise<string> {
    const next = this.#starting.then(() => this.#start(input, options));
    this.#starting = next.catch(() => undefined);
    return next;
  }

  async #start(input: unknown, options: StartOptions): Promise<string> {
    if (this.#disposed) throw new Error('the disk build service has been stopped');
    const first = validateDiskBuildRequest(input);
    if (!first.ok) throw new ValidationError(first.errors);
    const engine = await chooseEngine(this.#engine, first.value.engineId);
    const platform = this.#options.platform ?? process.platform;
    const graphRoot = engineProblem(engine, platform, !!this.#options.handoff);
    const image = await buildImageFacts(this.#engine, engine.id, first.value.image, engine.name);
    const checked = validateDiskBuildRequest(input, image);
    if (!checked.ok) throw new ValidationError(checked.errors);
    const remote = engine.remote === true;
    if (remote) remoteProblem(engine, checked.value);
    const request: DiskBuildRequest = {
      ...checked.value,
      outputDir: remote ? posix.normalize(checked.value.outputDir) : resolve(checked.value.outputDir),
    };

    // A remote engine's output folder is on its machine: the builder's mount shows whether it exists.
    if (!remote) await this.#checkOutputDir(request.outputDir, options.createOutputDir !== false);
    const { records } = await this.store.list();
    const active = records.filter(ACTIVE);
    // One folder, one build: on this machine whatever the engine, on another machine per engine.
    const sameFolder = active.find(record =>
      record.remote || remote
        ? record.engineId === engine.id && record.request.outputDir === request.outputDir
        : resolve(record.request.outputDir) === request.outputDir,
    );
    if (sameFolder) {
      throw new ValidationError([
        {
          field: 'outputDir',
          message: `build ${sameFolder.id} is writing into this folder: choose another one, or wait for it to end`,
        },
      ]);
    }
    if (!remote && options.overwrite !== true) {
      const check = await checkOutputFolder(request.outputDir, request.image, request.types, records, this.#now());
      if (check.conflicts.length > 0) {
        throw new ValidationError([{ field: 'outputDir', message: describeConflicts(check) }]);
      }
    }
    if (!remote) {
      const space = await outputSpaceProblem(request.outputDir, image.size, this.#options.freeBytes ?? freeBytesIn);
      if (space) throw new NotEnoughSpaceError(space);
    }
    const facts: EngineFacts = { graphRoot, rootful: engine.rootful !== false, remote };
    if (!facts.rootful) {
      if (options.detach) {
        throw new ValidationError([
          {
            field: 'detach',
            message: `${engine.name} is rootless: the build runs on root's podman under this command, so it cannot be detached; run it in the foreground, or build on root's podman (--url unix:///run/podman/podman.sock)`,
          },
        ]);
      }
      facts.handoff = await this.#handoffFacts(engine, graphRoot, image.id);
    }
    if (request.aws) facts.awsConfigDir = await this.#awsConfigDir();
    const builderImage = builderImageOf(request.builder);
    const cacheShared = active.some(record => record.engineId === engine.id && record.builderImage === builderImage);

    const id = newBuildId();
    const record: DiskBuildRecord = {
      id,
      request: redactDiskBuildRequest(request),
      status: 'preparing',
      message: 'Preparing',
      created: this.#now(),
      engineId: engine.id,
      engineName: engine.name,
      remote,
      ...(facts.handoff ? { handoff: true } : {}),
      builderImage,
      artifacts: artifactsFor(request.types).map(artifact => ({
        type: artifact.type,
        path: join(request.outputDir, ...artifact.path.split('/')),
      })),
      // A remote build's log stays here, beside its record.
      logPath: join(remote ? this.store.dirOf(id) : request.outputDir, logFileName(id)),
    };
    await this.store.write(record);
    const run = new BuildRun(this.#deps, record, { timeoutMs: this.#timeoutMs() });
    this.#track(run);
    this.#emit({ id, record: copyRecord(record) });
    void run.runNew(request, facts, !cacheShared);
    return id;
  }

  /** The owner of the rootless store (it must be on this machine) and root's podman, for the hand-off. */
  async #handoffFacts(engine: EngineInfo, graphRoot: string, imageId: string): Promise<HandoffFacts> {
    const store = await stat(graphRoot).catch(() => undefined);
    if (!store?.isDirectory()) {
      throw new ValidationError([
        {
          field: 'engineId',
          message: `${engine.name} is rootless and its image store ${graphRoot} is not on this machine: the image can be handed to root's podman only on the machine that runs the engine`,
        },
      ]);
    }
    return { imageId, owner: { uid: store.uid, gid: store.gid } };
  }

  /** Every build of the store, newest first; damaged records are reported through `warn` and left out. */
  async list(): Promise<DiskBuildRecord[]> {
    const { records, problems } = await this.listWithProblems();
    for (const problem of problems) this.#warn(`skipped the record of build ${problem.id}: ${problem.message}`);
    return records;
  }

  async listWithProblems(): Promise<{ records: DiskBuildRecord[]; problems: StoreProblem[] }> {
    const { records: stored, problems } = await this.store.list();
    const records = stored.map(record => {
      const run = this.#runs.get(record.id);
      return run ? copyRecord(run.record) : record;
    });
    await annotateRecords(records, records);
    return { records, problems };
  }

  /** One record, its artifacts' state (present, missing, replaced) read now. */
  async get(id: string): Promise<DiskBuildRecord> {
    const run = this.#runs.get(id);
    let record = run ? copyRecord(run.record) : await this.store.read(checkBuildId(id));
    if (!run && mayHaveMoved(record)) {
      record = onCurrentEngine(record, await this.#engine.listEngines().catch(() => []));
    }
    if (FINISHED_STATUSES.includes(record.status)) {
      const { records } = await this.store.list();
      await annotateRecords([record], records);
    }
    return record;
  }

  /**
   * The log from byte `from` on (at most 256 KiB per call) and where to read next. A finished build
   * whose log file is gone: LogMissingError.
   */
  async readLog(id: string, from: number): Promise<{ text: string; next: number }> {
    const run = this.#runs.get(id);
    const record = run ? run.record : await this.store.read(checkBuildId(id));
    const read = await readLogFrom(record.logPath, from);
    if (!read.text && from === 0 && FINISHED_STATUSES.includes(record.status)) {
      const exists = await stat(record.logPath).then(
        () => true,
        () => false,
      );
      if (!exists) throw new LogMissingError(id, record.logPath);
    }
    return read;
  }

  /** What a build of `image` (`types`) into `dir` would overwrite, and a fresh subfolder to offer instead. */
  async checkOutputFolder(
    dir: string,
    image: string,
    types: DiskBuildRecord['request']['types'],
  ): Promise<OutputFolderCheck> {
    const { records } = await this.store.list();
    return checkOutputFolder(resolve(dir), image, types, records, this.#now());
  }

  /** Whether this service's process runs the build. */
  isRunningHere(id: string): boolean {
    return this.#runs.has(id);
  }

  /**
   * Cancels a build: stops and removes its builder, removes partial artifacts, records `cancelled`.
   * A build run by another process is asked through the store (and its builder stopped at once);
   * a build nobody runs is ended here. A finished build is left as it is.
   */
  async cancel(id: string): Promise<DiskBuildRecord> {
    const run = this.#runs.get(checkBuildId(id));
    if (run) {
      run.stop(CANCELLED);
      return run.done;
    }
    const record = await this.get(id);
    if (!ACTIVE(record)) return record;
    const lease = await this.store.readLease(id);
    if (this.#leaseAlive(lease)) {
      await this.store.requestCancel(id);
      if (record.containerId) {
        // At once, as the runner's own cancel does: no grace period for a builder the user gave up.
        await this.#engine.stopContainer(record.engineId, record.containerId, 0).catch(() => undefined);
      }
      return this.#waitForEnd(id, this.#options.remoteCancelWaitMs ?? 60_000);
    }
    return this.#endOrphan(record, lease, { ...CANCELLED, removeArtifacts: true });
  }

  /**
   * Removes a build's record and, unless `keepFiles`, its artifacts and log — only the files that
   * are still the ones it wrote (a file replaced since is left, and the result says so). A running
   * build is cancelled first.
   */
  async delete(id: string, keepFiles: boolean): Promise<DiskBuildDeleteResult> {
    let record = await this.get(checkBuildId(id));
    if (ACTIVE(record)) record = await this.cancel(id);
    const result: DiskBuildDeleteResult = { removed: [], kept: [] };
    // A remote build's files are on the engine's machine: only its record (and log) go.
    if (!keepFiles && !record.remote) {
      const { records } = await this.store.list();
      Object.assign(result, await deleteBuildFiles(record, records));
    }
    await this.store.remove(id);
    this.#emit({ id });
    return result;
  }

  /** Resolves with the final record: at once for a finished build, when it ends for one that runs. */
  async wait(id: string): Promise<DiskBuildRecord> {
    const run = this.#runs.get(checkBuildId(id));
    if (run) return run.done;
    return this.#waitForEnd(id, Number.POSITIVE_INFINITY);
  }

  /** See the header. Never rejects: an engine that does not answer leaves the records as they are. */
  async reconcile(mode: ReconcileMode = 'adopt', onlyId?: string): Promise<void> {
    if (this.#disposed) return;
    let engines: EngineInfo[];
    try {
      engines = await this.#engine.listEngines();
    } catch {
      return;
    }
    const { records } = await this.store.list().catch(() => ({ records: [] as DiskBuildRecord[] }));
    const finishing: Promise<unknown>[] = [];
    for (const stored of records) {
      if (onlyId !== undefined && stored.id !== onlyId) continue;
      if (!ACTIVE(stored) || this.#runs.has(stored.id) || this.#disposed) continue;
      const record = onCurrentEngine(stored, engines);
      if (!engines.some(engine => engine.id === record.engineId)) continue;
      try {
        const lease = await this.store.readLease(record.id);
        if (this.#leaseAlive(lease)) continue;
        if (record.handoff) {
          // Its builder ran on root's podman under the runner's admin invocation, which ended with the runner.
          await this.#endOrphan(record, lease, {
            status: 'lost',
            error:
              "the runner of this build went away, and its builder on root's podman was stopped with it: start the build again",
            removeArtifacts: false,
          });
          continue;
        }
        const containers = await this.#engine.listContainers(record.engineId, `${BUILD_ID_LABEL}=${record.id}`);
        const container = containers[0];
        if (!container) {
          await this.#endOrphan(record, lease, {
            status: 'lost',
            error: 'the builder container is gone: the build was interrupted (engine restarted or container removed)',
            removeArtifacts: false,
          });
          continue;
        }
        if (container.state === 'created' || container.state === 'unknown') {
          await this.#engine.removeContainer(record.engineId, container.id).catch(() => undefined);
          await this.#endOrphan(record, lease, {
            status: 'lost',
            error: 'the build was interrupted before its builder started',
            removeArtifacts: true,
          });
          continue;
        }
        const running = container.state === 'running' || container.state === 'paused';
        const timeoutMs = lease?.timeoutMs ?? this.#timeoutMs();
        if (running && mode === 'observe') {
          if (record.started !== undefined && this.#now() - record.started > timeoutMs) {
            await this.#engine
              .stopContainer(record.engineId, container.id, this.#deps.stopTimeoutSeconds)
              .catch(() => undefined);
          } else continue;
        }
        const run = new BuildRun(this.#deps, record, {
          timeoutMs,
          ...(lease?.configDir ? { configDir: lease.configDir } : {}),
        });
        this.#track(run);
        const note = running
          ? 'the runner of this build went away: re-attached to the running builder'
          : 'the runner of this build went away: recording the outcome of the builder';
        const attached = run.attach(container.id, note);
        if (!running || mode === 'observe') finishing.push(attached);
      } catch (error) {
        this.#warn(`Reconciling build ${record.id}: ${errorMessage(error)}`);
      }
    }
    await Promise.all(finishing);
  }

  /** Stops running a build here without touching its builder; `handoffPid` takes the lease over. */
  async detach(id: string, handoffPid?: number): Promise<void> {
    await this.#runs.get(id)?.detach(handoffPid);
  }

  /** What the form shows: the exact config.toml and command, passwords masked. */
  async preview(input: unknown): Promise<DiskBuildPreview> {
    const checked = validateDiskBuildRequest(input);
    if (!checked.ok) throw new ValidationError(checked.errors);
    const request = checked.value;
    const engine = await chooseEngine(this.#engine, request.engineId).catch(() => undefined);
    const handoff =
      engine?.rootful === false && (this.#options.platform ?? process.platform) === 'linux' && !!this.#options.handoff;
    const preview = previewBuild(
      request,
      {
        graphRoot: handoff ? ROOT_GRAPH_ROOT : (engine?.graphRoot ?? CONTAINER_STORAGE),
        engineRootful: engine?.rootful !== false || handoff,
        ...(request.aws ? { awsConfigDir: join(this.#options.home ?? homedir(), '.aws') } : {}),
      },
      handoff ? { sudo: true } : {},
    );
    const warnings = handoff ? [handoffNotice(engine.name, request.image), ...preview.warnings] : preview.warnings;
    const answer: DiskBuildPreview = { configToml: preview.configToml ?? '', command: preview.command, warnings };
    if (engine?.rootful === false && engine.machine && !handoff) {
      warnings.unshift(
        `${engine.name} runs in the rootless podman machine ${engine.machine.name}, and the builder needs a rootful one`,
      );
      answer.fix = { kind: 'make-machine-rootful', engineId: engine.id, machine: engine.machine.name };
    }
    if (engine && engine.remote !== true) answer.outputFolder = await outputFolderState(resolve(request.outputDir));
    return answer;
  }

  /** Architectures (manifest members or the image's own) and labels of an image, for the form. */
  async describeImage(engineId: string, ref: string): Promise<BuildableImage> {
    const engine = await chooseEngine(this.#engine, engineId);
    const { size: _size, id: _id, ...facts } = await buildImageFacts(this.#engine, engine.id, ref, engine.name);
    return facts;
  }

  onDidChange(listener: (change: BuildChange) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  /**
   * Stops following every build without stopping its builder (Podman Desktop is closing): the
   * builds go on, and the next start reconciles them.
   */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await Promise.all([...this.#runs.values()].map(run => run.detach()));
    this.#listeners.clear();
  }

  #track(run: BuildRun): void {
    this.#runs.set(run.id, run);
    void run.done.then(() => {
      if (this.#runs.get(run.id) === run) this.#runs.delete(run.id);
    });
  }

  #emit(change: BuildChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  #timeoutMs(): number {
    const option = this.#options.timeoutMs;
    const value = typeof option === 'function' ? option() : option;
    return value !== undefined && Number.isFinite(value) && value > 0 ? value : DEFAULT_BUILD_TIMEOUT_MINUTES * 60_000;
  }

  /** Someone else runs the build: a fresh heartbeat, and a process that exists (on this host). */
  #leaseAlive(lease: RunnerLease | undefined): boolean {
    if (!lease || lease.pid <= 0) return false;
    if (this.#now() - lease.heartbeat > (this.#options.leaseStaleMs ?? 45_000)) return false;
    if (lease.host !== hostname()) return true;
    // This process's own lease with no run behind it: left by a service instance that is gone.
    if (lease.pid === process.pid) return false;
    try {
      process.kill(lease.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /** Ends a build nobody runs: its builder removed, the record final, the config dir deleted. */
  async #endOrphan(
    record: DiskBuildRecord,
    lease: RunnerLease | undefined,
    end: { status: 'cancelled' | 'lost'; error?: string; removeArtifacts: boolean },
  ): Promise<DiskBuildRecord> {
    const id = record.id;
    await this.store.writeLease(id, { pid: process.pid, host: hostname(), heartbeat: this.#now() });
    try {
      const containers = await this.#engine.listContainers(record.engineId, `${BUILD_ID_LABEL}=${id}`).catch(() => []);
      const ids = new Set([...(record.containerId ? [record.containerId] : []), ...containers.map(c => c.id)]);
      for (const containerId of ids) {
        await this.#engine
          .stopContainer(record.engineId, containerId, end.status === 'cancelled' ? 0 : this.#deps.stopTimeoutSeconds)
          .catch(() => undefined);
        await this.#engine.removeContainer(record.engineId, containerId).catch(() => undefined);
      }
      if (end.removeArtifacts && !record.remote) {
        const request = record.request;
        const keep = await othersFiles(record, (await this.store.list()).records);
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
        ended: this.#now(),
        artifacts: end.removeArtifacts ? [] : record.artifacts,
      };
      delete final.containerId;
      endedRecord(final);
      log.note(endSummary(final));
      await log.close();
      await this.store.write(final);
      await this.store.removeCancelRequest(id);
      this.#emit({ id, record: copyRecord(final) });
      return final;
    } finally {
      await this.store.removeLease(id).catch(() => undefined);
    }
  }

  async #waitForEnd(id: string, limitMs: number): Promise<DiskBuildRecord> {
    const deadline = this.#now() + limitMs;
    for (;;) {
      const run = this.#runs.get(id);
      if (run) return run.done;
      const record = await this.store.read(id);
      if (!ACTIVE(record)) return record;
      if (this.#now() > deadline) {
        throw new Error(`build ${id} was asked to cancel, but the process that runs it has not recorded it yet`);
      }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  }

  async #checkOutputDir(dir: string, create: boolean): Promise<void> {
    const problem = (message: string) => new ValidationError([{ field: 'outputDir', message }]);
    if (create && !(await stat(dir).catch(() => undefined))) {
      await mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw problem(`cannot create ${dir}: ${errorMessage(error)}`);
      });
    }
    const info = await stat(dir).catch(() => undefined);
    if (!info) throw problem(`${dir} does not exist`);
    if (!info.isDirectory()) throw problem(`${dir} is not a folder`);
    await access(dir, constants.W_OK).catch(() => {
      throw problem(`${dir} is not writable`);
    });
  }

  async #awsConfigDir(): Promise<string> {
    const dir = join(this.#options.home ?? homedir(), '.aws');
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new ValidationError([
        { field: 'aws', message: `an AMI upload reads the AWS credentials from ${dir}, which does not exist` },
      ]);
    }
    return dir;
  }
}

/** What a build on an engine on another machine cannot do: refused before anything starts. */
function remoteProblem(engine: EngineInfo, request: DiskBuildRequest): void {
  if (request.aws) {
    throw new ValidationError([
      {
        field: 'aws',
        message: `${engine.name} runs on another machine: an AMI upload reads ~/.aws on this one, so build the AMI on a local engine`,
      },
    ]);
  }
}

/**
 * The engine's graph root; refuses an engine the builder cannot run on. A rootless engine on Linux
 * is fine when the hand-off can run (`handoff`).
 */
function engineProblem(engine: EngineInfo, platform: NodeJS.Platform, handoff: boolean): string {
  const major = Number(/^(\d+)\./.exec(engine.version ?? '')?.[1]);
  if ((platform === 'darwin' || platform === 'win32') && major < 5) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} is podman ${engine.version}: building disk images on ${platform === 'darwin' ? 'macOS' : 'Windows'} needs podman 5 or newer; update podman and recreate the machine`,
      },
    ]);
  }
  if (engine.rootful === false && engine.remote) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} is a rootless podman on another machine, and the builder needs a rootful one: connect to root's podman socket there (ssh://root@host/run/podman/podman.sock)`,
      },
    ]);
  }
  if (engine.rootful === false && !(platform === 'linux' && handoff)) {
    const fix =
      platform === 'linux'
        ? "build on root's podman (sudo, or --url unix:///run/podman/podman.sock)"
        : 'make the podman machine rootful (podman machine stop; podman machine set --rootful; podman machine start)';
    throw new ValidationError([
      { field: 'engineId', message: `${engine.name} is rootless, and the builder needs a rootful podman: ${fix}` },
    ]);
  }
  if (!engine.graphRoot) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} does not say where it stores its images (no graph root in its info): the builder needs a podman engine`,
      },
    ]);
  }
  return engine.graphRoot;
}

function checkBuildId(id: unknown): string {
  if (!isBuildId(id)) throw new BuildNotFoundError(String(id));
  return id;
}

/** What Build would do with a local output folder: use it, create it, or refuse it (and why). */
export async function outputFolderState(dir: string): Promise<OutputFolderState> {
  const info = await stat(dir).catch((error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error');
  if (info === 'ENOENT' || info === 'ENOTDIR') {
    // Created by start(): as far up as the first folder that exists, which must be writable.
    let parent = dirname(dir);
    while (parent !== dirname(parent) && !(await stat(parent).catch(() => undefined))) parent = dirname(parent);
    const parentInfo = await stat(parent).catch(() => undefined);
    if (!parentInfo?.isDirectory()) return { state: 'refused', message: `${parent} is not a folder` };
    const writable = await access(parent, constants.W_OK).then(
      () => true,
      () => false,
    );
    if (!writable) return { state: 'refused', message: `${dir} does not exist, and ${parent} is not writable` };
    return { state: 'missing', message: `${dir} does not exist yet: it will be created` };
  }
  if (typeof info === 'string') return { state: 'refused', message: `cannot read ${dir} (${info})` };
  if (!info.isDirectory()) return { state: 'refused', message: `${dir} is not a folder` };
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  return writable ? { state: 'exists' } : { state: 'refused', message: `${dir} is not writable` };
}
