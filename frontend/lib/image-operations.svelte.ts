import type { ImageOperation } from '../../src/api/image-operations';
import { errorMessage } from '../../src/api/errors';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import { api } from '../rpc';
import { PushFeed } from './push-feed.svelte';

/** Re-reads after a burst of `imageOperationsChanged` pushes, and at least this often while they keep coming. */
export const OPERATIONS_DEBOUNCE_MS = 100;
export const OPERATIONS_MAX_WAIT_MS = 500;

/**
 * The backend's image operations (builds, pushes, pulls) as a page sees them. The backend keeps the
 * records, so a page that Podman Desktop destroyed and re-created finds its operations again: it
 * pulls the list when it mounts and again whenever a push says the list changed.
 */
export class ImageOperationsFeed extends PushFeed<ImageOperation[]> {
  operations: ImageOperation[] | undefined = $state.raw();

  constructor() {
    super(PUSH_CHANNELS.imageOperationsChanged, OPERATIONS_DEBOUNCE_MS, OPERATIONS_MAX_WAIT_MS);
  }

  protected fetch(): Promise<ImageOperation[]> {
    return api.listImageOperations();
  }

  protected accept(operations: ImageOperation[]): void {
    this.operations = operations;
  }

  find(id: string | undefined): ImageOperation | undefined {
    return id === undefined ? undefined : this.operations?.find(operation => operation.id === id);
  }
}

/** How many of the last lines an operation's log shows when it is opened (tail, then follow). */
export const LOG_TAIL_LINES = 1000;
/** How many lines the log view keeps; older ones are dropped as new ones arrive. */
export const LOG_MAX_LINES = 5000;

export type ReadLog = (operationId: string, from: number) => Promise<{ lines: string[]; next: number }>;

/**
 * The log of one operation, read as a tail and then followed: it remembers the index to read from
 * next and only ever asks for lines it has not read, however often it is told more exist.
 */
export class LogTail {
  lines: string[] = $state.raw([]);
  /** Lines before the first one kept (not read when the tail started, or dropped since). */
  skipped = $state(0);
  error: string | undefined = $state();

  readonly #read: ReadLog;
  readonly #operationId: string;
  #next: number | undefined;
  #wanted = 0;
  #reading = false;
  #stopped = false;

  constructor(read: ReadLog, operationId: string) {
    this.#read = read;
    this.#operationId = operationId;
  }

  /** The index the next read starts from. */
  get next(): number {
    return this.#next ?? 0;
  }

  /** The operation says it has `available` lines: read those not read yet (the last few on the first call). */
  async catchUp(available: number): Promise<void> {
    if (this.#next === undefined) {
      this.#next = Math.max(0, available - LOG_TAIL_LINES);
      this.skipped = this.#next;
    }
    this.#wanted = Math.max(this.#wanted, available);
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (!this.#stopped && this.#next < this.#wanted) {
        const { lines, next } = await this.#read(this.#operationId, this.#next);
        if (this.#stopped) return;
        this.#append(lines);
        // The backend said fewer lines exist than the record did: wait for the next hint.
        if (next <= this.#next) break;
        this.#next = next;
      }
      this.error = undefined;
    } catch (err: unknown) {
      this.error = errorMessage(err);
    } finally {
      this.#reading = false;
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  #append(lines: string[]): void {
    if (lines.length === 0) return;
    const all = [...this.lines, ...lines];
    const excess = all.length - LOG_MAX_LINES;
    if (excess > 0) {
      this.skipped += excess;
      this.lines = all.slice(excess);
    } else {
      this.lines = all;
    }
  }
}
