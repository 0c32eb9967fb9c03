/**
 * The image operations (builds, pushes, pulls) as three kinds of job — `image-build`, `image-push`,
 * `image-pull` — run by the job registry, and the view of them that the image pages, the CLI and
 * the task widget read: one ImageOperation per job, made of the job and its detail (the layers,
 * the engine, the resulting image). In memory only: an operation belongs to the engine stream that
 * runs it and ends with the process. Every text that enters a job passes through the operation's
 * scrubber, so a secret given to the operation (a registry password) never reaches a record, a log
 * line or an error.
 */

import type {
  ImageBuildSource,
  ImageOperation,
  ImageOperationKind,
  ImageOperationStatus,
  LayerProgress,
} from '../api/image-operations';
import type { Job, JobKind } from '../api/jobs';
import type { LayerUpdate } from '../engine/container-engine';
import { JobRegistry, type JobEnd } from '../jobs/job-registry';
import { scrubber } from '../jobs/job-values';

export interface OperationStart {
  kind: ImageOperationKind;
  ref: string;
  engineId: string;
  engineName: string;
  /** Strings that must never be recorded (passwords); replaced by `***` wherever they appear. */
  secrets?: string[];
  /** Warnings known before it runs (a localhost/ reference). */
  warnings?: string[];
  /** A build's folder and settings, kept on the record. */
  source?: ImageBuildSource;
}

/** What a running operation reports through. */
export interface OperationContext {
  readonly id: string;
  readonly signal: AbortSignal;
  log(line: string): void;
  layer(update: LayerUpdate): void;
  /** The latest step or status, shown with the record. */
  message(text: string): void;
  warn(text: string): void;
  /** The engine it runs on, once chosen (a build starts before the engine answers). */
  engine(id: string, name: string): void;
}

export interface OperationOutcome {
  imageId?: string;
  /** A push's manifest digest. */
  digest?: string;
  /** The closing message (e.g. `Pushed … (sha256:…)`). */
  message?: string;
}

export type OperationRunner = (context: OperationContext) => Promise<OperationOutcome>;

export interface ImageOperationsOptions {
  /** The registry that runs them (shared with every other kind); default a registry of their own. */
  jobs?: JobRegistry;
  /** For a registry of their own: log lines kept per operation (default 10000). */
  maxLogLines?: number;
  /** For a registry of their own: finished operations kept (default 100). */
  maxFinished?: number;
  now?: () => number;
}

/** What an image job carries besides the job: its part of the ImageOperation. */
export type ImageOperationDetail = Pick<
  ImageOperation,
  'kind' | 'ref' | 'engineId' | 'engineName' | 'layers' | 'imageId' | 'digest' | 'source'
>;

export const IMAGE_JOB_KINDS: Record<ImageOperationKind, JobKind> = {
  build: 'image-build',
  push: 'image-push',
  pull: 'image-pull',
};

const VERBS = { build: 'Building', push: 'Pushing', pull: 'Pulling' } as const;
/** The end notice's line per outcome: its body (the result, the warnings, the error) follows it. */
const DONE = { build: 'Image built', push: 'Image pushed', pull: 'Image pulled' } as const;
const FAILED = { build: 'Image build failed', push: 'Image push failed', pull: 'Image pull failed' } as const;

export function isImageJob(job: Job): job is Job<ImageOperationDetail> {
  return Object.values(IMAGE_JOB_KINDS).includes(job.kind);
}

/** The ImageOperation a job of an image kind stands for. */
export function imageOperationOf(job: Job<ImageOperationDetail>): ImageOperation {
  const { kind, ref, engineId, engineName, layers, imageId, digest, source } = job.detail;
  return {
    id: job.id,
    kind,
    // A job is queued only until its runner starts, in the same tick: to the page it runs.
    status: (job.status === 'queued' ? 'running' : job.status) as ImageOperationStatus,
    ref,
    engineId,
    engineName,
    started: job.created,
    ...(job.ended !== undefined ? { ended: job.ended } : {}),
    ...(job.percent !== undefined ? { percent: job.percent } : {}),
    ...(job.message !== undefined ? { message: job.message } : {}),
    ...(job.error ? { error: job.error.message } : {}),
    warnings: [...job.warnings],
    layers: layers.map(layer => ({ ...layer })),
    ...(imageId !== undefined ? { imageId } : {}),
    ...(digest !== undefined ? { digest } : {}),
    logLines: job.logLines,
    ...(source ? { source: { ...source, platforms: [...source.platforms] } } : {}),
  };
}

/** A job as the doors show it: an image job with its whole ImageOperation as detail, any other as it is. */
export function withOperationDetail(job: Job): Job {
  return isImageJob(job) ? { ...job, detail: imageOperationOf(job) } : job;
}

type Layer = LayerProgress & { done?: boolean };

export class ImageOperations {
  /** The registry the operations run in. */
  readonly jobs: JobRegistry;
  readonly #subscriptions = new Set<{ dispose(): void }>();

  constructor(options: ImageOperationsOptions = {}) {
    this.jobs =
      options.jobs ??
      new JobRegistry({
        maxLogLines: options.maxLogLines ?? 10_000,
        maxFinished: options.maxFinished ?? 100,
        ...(options.now ? { now: options.now } : {}),
      });
  }

  /** Starts `run` and returns its record at once; the record follows what `run` reports. */
  start(init: OperationStart, run: OperationRunner): ImageOperation {
    const scrub = scrubber(init.secrets ?? []);
    let detail: ImageOperationDetail = {
      kind: init.kind,
      ref: init.ref,
      engineId: init.engineId,
      engineName: init.engineName,
      layers: [],
      ...(init.source ? { source: { ...init.source, platforms: [...init.source.platforms] } } : {}),
    };
    const layers = new Map<string, Layer>();
    const job = this.jobs.start<ImageOperationDetail>({
      kind: IMAGE_JOB_KINDS[init.kind],
      title: `${VERBS[init.kind]} ${init.ref}`,
      subject: init.ref,
      detail,
      warnings: init.warnings ?? [],
      scrub,
      summarize: ended =>
        ended.status === 'succeeded' ? DONE[init.kind] : ended.status === 'failed' ? FAILED[init.kind] : undefined,
      run: async job => {
        let open = true;
        const set = (patch: Partial<ImageOperationDetail>) => job.setDetail((detail = { ...detail, ...patch }));
        const context: OperationContext = {
          id: job.id,
          signal: job.signal,
          log: line => job.log(line),
          layer: update => {
            if (!open) return;
            applyLayer(layers, update, scrub);
            set({ layers: layerList(layers) });
            job.progress(percentOf([...layers.values()]));
          },
          message: text => job.progress(undefined, text),
          warn: text => job.warn(text),
          engine: (id, name) => set({ engineId: id, engineName: name }),
        };
        let outcome: OperationOutcome;
        try {
          outcome = await run(context);
        } finally {
          open = false;
        }
        for (const layer of layers.values()) {
          if (!layer.done) layer.status = 'Done';
          layer.done = true;
          if (layer.total !== undefined) layer.current = layer.total;
        }
        const end: JobEnd<ImageOperationDetail> = {
          detail: {
            ...detail,
            layers: layerList(layers),
            ...(outcome.imageId ? { imageId: outcome.imageId } : {}),
            ...(outcome.digest ? { digest: outcome.digest } : {}),
          },
          ...(outcome.message ? { message: outcome.message } : {}),
          ...(init.kind !== 'build' ? { percent: 100 } : {}),
        };
        return end;
      },
    });
    return imageOperationOf(job);
  }

  /** Every operation, newest first. */
  list(): ImageOperation[] {
    return this.jobs.own().filter(isImageJob).map(imageOperationOf);
  }

  get(id: string): ImageOperation | undefined {
    const job = this.jobs.peek(id);
    return job && isImageJob(job) ? imageOperationOf(job) : undefined;
  }

  /** Lines from index `from` (0-based, over all lines ever logged) and the index to read from next. */
  readLog(id: string, from: number): { lines: string[]; next: number } {
    this.#require(id);
    const { lines, next } = this.jobs.readOwnLog(id, from) ?? { lines: [], next: 0 };
    return { lines, next };
  }

  /** Asks a running operation to stop; false when it had already ended. */
  cancel(id: string): boolean {
    this.#require(id);
    return this.jobs.abort(id);
  }

  /** Resolves with the final record once the operation ended. */
  wait(id: string): Promise<ImageOperation> {
    this.#require(id);
    return this.jobs.wait(id).then(job => imageOperationOf(job as Job<ImageOperationDetail>));
  }

  /** Each change of an operation (a job's change that the page would not see is not passed on). */
  onDidChange(listener: (operation: ImageOperation) => void): { dispose(): void } {
    const last = new Map<string, string>();
    const inner = this.jobs.onDidChange(change => {
      if (!change.job || !isImageJob(change.job)) return;
      const operation = imageOperationOf(change.job);
      const text = JSON.stringify(operation);
      if (last.get(operation.id) === text) return;
      if (operation.status === 'running') last.set(operation.id, text);
      else last.delete(operation.id);
      listener(operation);
    });
    const subscription = {
      dispose: () => {
        inner.dispose();
        this.#subscriptions.delete(subscription);
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Cancels the operations that still run (deactivation) and stops following them. */
  dispose(): void {
    for (const operation of this.list()) if (operation.status === 'running') this.jobs.abort(operation.id);
    for (const subscription of [...this.#subscriptions]) subscription.dispose();
  }

  #require(id: string): void {
    const job = typeof id === 'string' ? this.jobs.peek(id) : undefined;
    if (!job || !isImageJob(job))
      throw new Error(`operationId: no image operation ${JSON.stringify(id)} in this session`);
  }
}

function applyLayer(layers: Map<string, Layer>, update: LayerUpdate, scrub: (text: string) => string): void {
  const known = layers.get(update.id);
  const layer = known ?? { id: update.id, status: update.status };
  layer.status = scrub(update.status);
  if (update.total !== undefined) layer.total = update.total;
  if (update.current !== undefined) layer.current = update.current;
  if (update.done) {
    layer.done = true;
    if (layer.total !== undefined) layer.current = layer.total;
  }
  if (!known) layers.set(update.id, layer);
}

function layerList(layers: Map<string, Layer>): LayerProgress[] {
  return [...layers.values()].map(({ done: _done, ...layer }) => layer);
}

/**
 * Byte progress over the layers whose size is known: done layers count whole. Undefined while no
 * layer has a size (podman 4 reports none).
 */
export function percentOf(layers: readonly (LayerProgress & { done?: boolean })[]): number | undefined {
  let total = 0;
  let current = 0;
  for (const layer of layers) {
    if (layer.total === undefined || layer.total <= 0) continue;
    total += layer.total;
    current += layer.done ? layer.total : Math.min(layer.current ?? 0, layer.total);
  }
  if (total === 0) return undefined;
  return Math.floor((current / total) * 100);
}
