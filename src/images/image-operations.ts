/**
 * The image operations of this session (builds, pushes, pulls): one record each, with an id handed
 * out at once, a capped log, layer progress, change events and cancellation. In memory only: an
 * operation belongs to the engine stream that runs it and ends with the process. Every text that
 * enters a record or a log passes through the operation's scrubber, so a secret given to the
 * operation (a registry password) never reaches a record, a log line or an error.
 */

import { randomUUID } from 'node:crypto';

import type { ImageBuildSource, ImageOperation, ImageOperationKind, LayerProgress } from '../api/image-operations';
import { errorMessage } from '../api/errors';
import type { LayerUpdate } from '../engine/container-engine';
import { CancelledError } from '../engine/container-engine';

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
  /** Log lines kept per operation; older ones are dropped (their indexes stay valid). Default 10000. */
  maxLogLines?: number;
  /** Finished operations kept; the oldest go first. Default 100. */
  maxFinished?: number;
  now?: () => number;
}

interface Entry {
  record: ImageOperation;
  log: string[];
  /** Index of log[0] among all lines ever logged. */
  logStart: number;
  abort: AbortController;
  layers: Map<string, LayerProgress & { done?: boolean }>;
  scrub(text: string): string;
  done: Promise<ImageOperation>;
}

export class ImageOperations {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(operation: ImageOperation) => void>();
  readonly #maxLogLines: number;
  readonly #maxFinished: number;
  readonly #now: () => number;

  constructor(options: ImageOperationsOptions = {}) {
    this.#maxLogLines = options.maxLogLines ?? 10_000;
    this.#maxFinished = options.maxFinished ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /** Starts `run` and returns its record at once; the record follows what `run` reports. */
  start(init: OperationStart, run: OperationRunner): ImageOperation {
    const scrub = scrubber(init.secrets ?? []);
    const record: ImageOperation = {
      id: randomUUID(),
      kind: init.kind,
      status: 'running',
      ref: init.ref,
      engineId: init.engineId,
      engineName: init.engineName,
      started: this.#now(),
      warnings: (init.warnings ?? []).map(scrub),
      layers: [],
      logLines: 0,
      ...(init.source ? { source: { ...init.source, platforms: [...init.source.platforms] } } : {}),
    };
    const abort = new AbortController();
    let finish!: (operation: ImageOperation) => void;
    const entry: Entry = {
      record,
      log: [],
      logStart: 0,
      abort,
      layers: new Map(),
      scrub,
      done: new Promise(resolve => (finish = resolve)),
    };
    this.#entries.set(record.id, entry);
    this.#trim();

    const context: OperationContext = {
      id: record.id,
      signal: abort.signal,
      log: line => {
        if (record.status !== 'running') return;
        this.#append(entry, line);
        this.#changed(entry);
      },
      layer: update => {
        if (record.status !== 'running') return;
        this.#layer(entry, update);
        this.#changed(entry);
      },
      message: text => {
        if (record.status !== 'running') return;
        record.message = scrub(text);
        this.#changed(entry);
      },
      engine: (id, name) => {
        record.engineId = id;
        record.engineName = name;
        this.#changed(entry);
      },
      warn: text => {
        const clean = scrub(text);
        if (!record.warnings.includes(clean)) record.warnings.push(clean);
        this.#append(entry, `Warning: ${text}`);
        this.#changed(entry);
      },
    };
    this.#changed(entry);

    void Promise.resolve()
      .then(() => run(context))
      .then(
        outcome => {
          record.status = 'succeeded';
          if (outcome.imageId) record.imageId = outcome.imageId;
          if (outcome.digest) record.digest = outcome.digest;
          if (outcome.message) record.message = scrub(outcome.message);
          for (const layer of entry.layers.values()) {
            if (!layer.done) layer.status = 'Done';
            layer.done = true;
            if (layer.total !== undefined) layer.current = layer.total;
          }
          if (record.kind !== 'build') record.percent = 100;
          this.#syncLayers(entry);
        },
        (error: unknown) => {
          const cancelled = abort.signal.aborted || error instanceof CancelledError;
          record.status = cancelled ? 'cancelled' : 'failed';
          record.error = scrub(cancelled ? errorMessage(error) || 'Cancelled' : errorMessage(error));
          this.#append(entry, `${cancelled ? 'Cancelled' : 'Failed'}: ${errorMessage(error)}`);
        },
      )
      .finally(() => {
        record.ended = this.#now();
        this.#changed(entry);
        finish(copy(record));
        this.#trim();
      });
    return copy(record);
  }

  /** Every operation, newest first. */
  list(): ImageOperation[] {
    return [...this.#entries.values()].map(entry => copy(entry.record)).sort((a, b) => b.started - a.started);
  }

  get(id: string): ImageOperation | undefined {
    const entry = this.#entries.get(id);
    return entry ? copy(entry.record) : undefined;
  }

  /** Lines from index `from` (0-based, over all lines ever logged) and the index to read from next. */
  readLog(id: string, from: number): { lines: string[]; next: number } {
    const entry = this.#require(id);
    const start = Math.max(from, entry.logStart);
    const next = entry.logStart + entry.log.length;
    if (start >= next) return { lines: [], next };
    return { lines: entry.log.slice(start - entry.logStart), next };
  }

  /** Asks a running operation to stop; false when it had already ended. */
  cancel(id: string): boolean {
    const entry = this.#require(id);
    if (entry.record.status !== 'running') return false;
    entry.abort.abort();
    return true;
  }

  /** Resolves with the final record once the operation ended. */
  wait(id: string): Promise<ImageOperation> {
    return this.#require(id).done;
  }

  onDidChange(listener: (operation: ImageOperation) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  /** Cancels whatever still runs (deactivation). */
  dispose(): void {
    for (const entry of this.#entries.values()) if (entry.record.status === 'running') entry.abort.abort();
    this.#listeners.clear();
  }

  #require(id: string): Entry {
    const entry = typeof id === 'string' ? this.#entries.get(id) : undefined;
    if (!entry) throw new Error(`operationId: no image operation ${JSON.stringify(id)} in this session`);
    return entry;
  }

  #append(entry: Entry, text: string): void {
    for (const line of text.split(/\r?\n/)) {
      entry.log.push(entry.scrub(line));
      entry.record.logLines++;
    }
    const excess = entry.log.length - this.#maxLogLines;
    if (excess > 0) {
      entry.log.splice(0, excess);
      entry.logStart += excess;
    }
  }

  #layer(entry: Entry, update: LayerUpdate): void {
    const known = entry.layers.get(update.id);
    const layer = known ?? { id: update.id, status: update.status };
    layer.status = entry.scrub(update.status);
    if (update.total !== undefined) layer.total = update.total;
    if (update.current !== undefined) layer.current = update.current;
    if (update.done) {
      layer.done = true;
      if (layer.total !== undefined) layer.current = layer.total;
    }
    if (!known) entry.layers.set(update.id, layer);
    this.#syncLayers(entry);
    entry.record.percent = percentOf([...entry.layers.values()]);
  }

  #syncLayers(entry: Entry): void {
    entry.record.layers = [...entry.layers.values()].map(({ done: _done, ...layer }) => layer);
  }

  #changed(entry: Entry): void {
    const snapshot = copy(entry.record);
    for (const listener of this.#listeners) {
      try {
        listener(snapshot);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** Drops the oldest finished operations beyond the limit. */
  #trim(): void {
    const finished = [...this.#entries.values()]
      .filter(entry => entry.record.status !== 'running')
      .sort((a, b) => a.record.started - b.record.started);
    for (const entry of finished.slice(0, Math.max(0, finished.length - this.#maxFinished))) {
      this.#entries.delete(entry.record.id);
    }
  }
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

/** Replaces every occurrence of each secret with `***`. */
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

function copy(record: ImageOperation): ImageOperation {
  return { ...record, warnings: [...record.warnings], layers: record.layers.map(layer => ({ ...layer })) };
}
