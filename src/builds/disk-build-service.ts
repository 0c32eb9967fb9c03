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
 * Reconciliation (build-reconcile.ts) takes over, or ends, the builds whose runner is gone. Where
 * the builder runs, and what is refused before a build starts: build-checks.ts.
 *
 * Cache volumes: osbuild's store and DNF cache are named volumes per builder image, reused by
 * every build. A build that starts while another build of this store with the same builder runs
 * gets none (its osbuild store then lives in its container and goes with it): two osbuilds never
 * share a store at once.
 */

import { homedir } from 'node:os';
import { posix, resolve } from 'node:path';

import { builderImageOf, type DiskBuildRequest } from '../api/disk-build';
import { validateDiskBuildRequest } from '../api/disk-build-schema';
import type {
  BuildableImage,
  DiskBuildDeleteResult,
  DiskBuildPreview,
  DiskBuildRecord,
  OutputFolderCheck,
} from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { ValidationError } from '../api/validation';
import type { ContainerEngine } from '../engine/container-engine';
import { chooseEngine } from '../images/engine-choice';
import { Listeners } from '../jobs/listeners';
import type { StoreProblem } from '../jobs/record-store';
import type { AdminRunner } from '../platform/admin';
import { deleteBuildFiles } from './artifact-removal';
import { annotateRecords, checkOutputFolder } from './artifacts';
import {
  awsConfigDir,
  checkOutputDir,
  checkOutputFolderFree,
  detachRefusal,
  engineProblem,
  handoffFacts,
  NotEnoughSpaceError,
  remoteProblem,
} from './build-checks';
import { buildImageFacts } from './build-image';
import { readBuildLog } from './build-log';
import { previewDiskBuild } from './build-preview';
import { BuildReconciler, type ReconcileMode } from './build-reconcile';
import { CANCELLED, copyRecord, newBuildRecord, type BuildChange } from './build-record';
import { BuildRun, type EngineFacts, type RunnerDeps } from './build-runner';
import { BuildNotFoundError, BuildStore, isBuildId, newBuildId } from './build-store';
import { freeBytesIn, outputSpaceProblem } from './free-space';
import { mayHaveMoved, onCurrentEngine } from './record-engine';

export const DEFAULT_BUILD_TIMEOUT_MINUTES = 30;

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
  /**
   * Runs once the request passed every check (a missing output folder is made by then), before anything
   * else is made or written (e.g. the CLI's `bootc container lint`); what it throws refuses the build.
   */
  beforeStart?: (engineId: string, image: string) => Promise<void>;
}

const ACTIVE = (record: DiskBuildRecord) => !FINISHED_STATUSES.includes(record.status);

export class DiskBuildService {
  readonly store: BuildStore;
  readonly #engine: ContainerEngine;
  readonly #runs = new Map<string, BuildRun>();
  readonly #listeners = new Listeners<BuildChange>();
  readonly #deps: RunnerDeps;
  readonly #options: DiskBuildServiceOptions;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  /** start() calls one after the other, so two cannot both claim one output folder. */
  #starting: Promise<unknown> = Promise.resolve();
  #disposed = false;
  readonly #reconciler: BuildReconciler;

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
    this.#reconciler = new BuildReconciler({
      store: this.store,
      engine: options.engine,
      deps: this.#deps,
      runs: this.#runs,
      track: run => this.#track(run),
      emit: change => this.#emit(change),
      now: this.#now,
      timeoutMs: () => this.#timeoutMs(),
      warn: this.#warn,
      leaseStaleMs: options.leaseStaleMs ?? 45_000,
      disposed: () => this.#disposed,
    });
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
    if (!remote) await checkOutputDir(request.outputDir, options.createOutputDir !== false);
    const { records } = await this.store.list();
    const active = records.filter(ACTIVE);
    await checkOutputFolderFree(request, records, {
      engineId: engine.id,
      remote,
      overwrite: options.overwrite === true,
      now: this.#now(),
    });
    if (!remote) {
      const space = await outputSpaceProblem(request.outputDir, image.size, this.#options.freeBytes ?? freeBytesIn);
      if (space) throw new NotEnoughSpaceError(space);
    }
    // Last: it may run a container (bootc container lint), so only for a request that passed the rest.
    await options.beforeStart?.(engine.id, checked.value.image);
    const facts: EngineFacts = { graphRoot, rootful: engine.rootful !== false, remote };
    if (!facts.rootful) {
      if (options.detach) throw detachRefusal(engine.name);
      facts.handoff = await handoffFacts(engine, graphRoot, image.id);
    }
    if (request.aws) facts.awsConfigDir = await awsConfigDir(this.#options.home);
    const builderImage = builderImageOf(request.builder);
    const cacheShared = active.some(record => record.engineId === engine.id && record.builderImage === builderImage);

    const id = newBuildId();
    const record = newBuildRecord(id, request, {
      engine,
      remote,
      handoff: !!facts.handoff,
      builderImage,
      now: this.#now(),
      // A remote build's log stays here, beside its record.
      logDir: remote ? this.store.dirOf(id) : request.outputDir,
    });
    await this.store.write(record);
    const run = new BuildRun(this.#deps, record, { timeoutMs: this.#timeoutMs() });
    this.#track(run);
    this.#emit({ id, record: copyRecord(record) });
    void run.runNew(request, facts, !cacheShared);
    return id;
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
    return readBuildLog(run ? run.record : await this.store.read(checkBuildId(id)), from);
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
    if (this.#reconciler.leaseAlive(lease)) {
      await this.store.requestCancel(id);
      if (record.containerId) {
        // At once, as the runner's own cancel does: no grace period for a builder the user gave up.
        await this.#engine.stopContainer(record.engineId, record.containerId, 0).catch(() => undefined);
      }
      return this.#reconciler.waitForEnd(id, this.#options.remoteCancelWaitMs ?? 60_000);
    }
    return this.#reconciler.endOrphan(record, lease, { ...CANCELLED, removeArtifacts: true });
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
    return this.#reconciler.waitForEnd(id, Number.POSITIVE_INFINITY);
  }

  /** See the header. Never rejects: an engine that does not answer leaves the records as they are. */
  reconcile(mode: ReconcileMode = 'adopt', onlyId?: string): Promise<void> {
    return this.#reconciler.reconcile(mode, onlyId);
  }

  /** Stops running a build here without touching its builder; `handoffPid` takes the lease over. */
  async detach(id: string, handoffPid?: number): Promise<void> {
    await this.#runs.get(id)?.detach(handoffPid);
  }

  /** What the form shows: the exact config.toml and command, passwords masked. */
  async preview(input: unknown): Promise<DiskBuildPreview> {
    return previewDiskBuild(this.#engine, input, {
      platform: this.#options.platform ?? process.platform,
      handoff: !!this.#options.handoff,
      home: this.#options.home ?? homedir(),
    });
  }

  /** Architectures (manifest members or the image's own) and labels of an image, for the form. */
  async describeImage(engineId: string, ref: string): Promise<BuildableImage> {
    const engine = await chooseEngine(this.#engine, engineId);
    const { size: _size, id: _id, ...facts } = await buildImageFacts(this.#engine, engine.id, ref, engine.name);
    return facts;
  }

  onDidChange(listener: (change: BuildChange) => void): { dispose(): void } {
    return this.#listeners.add(listener);
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
    void run.done.then(async () => {
      // A final record the store could not take (disk full) stays ours to tell, not a stored "building".
      const stored = await this.store.read(run.id).catch(() => undefined);
      if ((!stored || !ACTIVE(stored) || this.#disposed) && this.#runs.get(run.id) === run) this.#runs.delete(run.id);
    });
  }

  #emit(change: BuildChange): void {
    this.#listeners.emit(change);
  }

  #timeoutMs(): number {
    const option = this.#options.timeoutMs;
    const value = typeof option === 'function' ? option() : option;
    return value !== undefined && Number.isFinite(value) && value > 0 ? value : DEFAULT_BUILD_TIMEOUT_MINUTES * 60_000;
  }
}

function checkBuildId(id: unknown): string {
  if (!isBuildId(id)) throw new BuildNotFoundError(String(id));
  return id;
}
