/**
 * `containerEngine.onEvent` of the stand-in: podman's Docker-compatible `/events` stream turned
 * into Podman Desktop's `Event<ContainerJSONEvent>`.
 *
 * - The stream is opened lazily, on the first listener, and closed when the last listener is
 *   disposed or on dispose(): nothing holds a connection (or keeps the process alive) for nobody.
 * - The first connection asks for events `since` the moment the first listener subscribed, so an
 *   action taken right after subscribing (tag, then wait for the event) is never missed while the
 *   connection is still being set up. podman's `since` has one-second granularity, so an event
 *   from the same second just before the subscription can be delivered too — harmless for what
 *   these events are used for (refresh hints).
 * - When the stream ends or fails while listeners exist (podman restarted, socket gone), it
 *   reconnects quietly with a growing delay, asking for events since the last one seen and
 *   dropping those already delivered. Nothing here throws into the process: a failed connection
 *   is retried, a bad line is skipped, a listener that throws is reported and the others still run.
 * - Each event is what Podman Desktop fires: podman's JSON as is, with `status` and `id` filled
 *   from `Action` / `Actor.ID` when absent (Docker ≥ 1.52 style). Like Podman Desktop, it does not
 *   invent the lowercase `type` the d.ts declares: podman sends `Type` ('image', 'container',
 *   'pod', 'volume', 'network'…), and that is what extension code must read.
 */

import type * as pd from '@podman-desktop/api';

import { JsonLines } from '../engine/json-lines';

export interface EngineEventsOptions {
  /** Opens `/events`, streaming, from `since` (unix seconds) when given. */
  open(since: number | undefined, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** Reconnect delays: the first retry waits `initialRetryMs`, doubling up to `maxRetryMs`. */
  initialRetryMs?: number;
  maxRetryMs?: number;
  /** Where a failing listener or connection is reported. Never given secrets. */
  warn?: (message: string) => void;
  /** The clock, in ms; a parameter for tests. */
  now?: () => number;
}

interface Subscription {
  listener: (event: pd.ContainerJSONEvent) => unknown;
  thisArgs: unknown;
}

export class EngineEvents {
  /** Podman Desktop's `Event<ContainerJSONEvent>`: subscribe with a listener, get a disposable. */
  readonly event: pd.Event<pd.ContainerJSONEvent>;

  private readonly subscriptions = new Set<Subscription>();
  private readonly initialRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;

  private running = false;
  private disposed = false;
  private connection?: { abort: AbortController; stream?: NodeJS.ReadableStream };
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  /** Unix seconds of the first subscription of this run: the first connection's `since`. */
  private startedAt?: number;
  /** Unix seconds of the latest event delivered: where a reconnect resumes. */
  private lastTime?: number;
  /**
   * The events of the last few seconds, as delivered, so the replay after a reconnect (`since`
   * has one-second granularity) does not deliver them twice. podman does not emit events in
   * strict time order, so identity, not a timestamp comparison, decides what was seen.
   */
  private readonly recent = new Map<string, number>();
  /** Warn once per outage, not once per retry. */
  private warnedOutage = false;

  constructor(private readonly options: EngineEventsOptions) {
    this.initialRetryMs = options.initialRetryMs ?? 1_000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.warn = options.warn ?? ((message: string) => console.warn(message));
    this.now = options.now ?? Date.now;
    this.event = (listener, thisArgs?, disposables?) => {
      const subscription: Subscription = { listener, thisArgs };
      let active = !this.disposed;
      if (active) {
        this.subscriptions.add(subscription);
        this.start();
      }
      const disposable = {
        dispose: (): void => {
          if (!active) return;
          active = false;
          this.subscriptions.delete(subscription);
          if (this.subscriptions.size === 0) this.stop();
        },
      };
      disposables?.push(disposable as pd.Disposable);
      return disposable as pd.Disposable;
    };
  }

  /** Whether a stream is open or being (re)opened. */
  get active(): boolean {
    return this.running;
  }

  /** Closes the stream and drops every listener; later subscriptions get nothing. */
  dispose(): void {
    this.disposed = true;
    this.subscriptions.clear();
    this.stop();
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.warnedOutage = false;
    this.startedAt = Math.floor(this.now() / 1000);
    this.lastTime = undefined;
    this.recent.clear();
    this.connect();
  }

  private stop(): void {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.abort.abort();
      destroyStream(connection.stream);
    }
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (!this.running) return;
    const connection: { abort: AbortController; stream?: NodeJS.ReadableStream } = { abort: new AbortController() };
    this.connection = connection;
    const since = this.lastTime ?? this.startedAt;
    let closed = false;
    const onClosed = (reason: string): void => {
      if (closed) return;
      closed = true;
      if (this.connection !== connection) return; // stopped, or replaced
      this.connection = undefined;
      this.retry(reason);
    };

    this.options.open(since, connection.abort.signal).then(
      stream => {
        if (this.connection !== connection) {
          destroyStream(stream);
          return;
        }
        connection.stream = stream;
        const splitter = new JsonLines(value => {
          // A successful event means the connection is healthy: the next outage starts from scratch.
          this.failures = 0;
          this.warnedOutage = false;
          this.deliver(value);
        });
        stream.on('data', (chunk: Buffer | string) => splitter.push(chunk));
        stream.on('end', () => {
          splitter.end();
          onClosed('the event stream ended');
        });
        stream.on('close', () => onClosed('the event stream closed'));
        stream.on('error', (error: unknown) => onClosed(messageOf(error)));
      },
      (error: unknown) => onClosed(messageOf(error)),
    );
  }

  private retry(reason: string): void {
    if (!this.running || this.retryTimer) return;
    const delay = Math.min(this.maxRetryMs, this.initialRetryMs * 2 ** Math.min(this.failures, 16));
    this.failures++;
    if (!this.warnedOutage) {
      this.warnedOutage = true;
      this.warn(`Container engine events interrupted (${reason}); reconnecting.`);
    }
    this.retryTimer = setTimeout(() => this.connect(), delay);
    // Waiting to reconnect is no reason to keep the process alive.
    this.retryTimer.unref?.();
  }

  /** Records an event as delivered; false when it already was (a replay after a reconnect). */
  private remember(raw: Record<string, unknown>): boolean {
    const time = typeof raw.time === 'number' && Number.isFinite(raw.time) ? raw.time : undefined;
    if (time === undefined) return true;
    const key = JSON.stringify(raw);
    if (this.recent.has(key)) return false;
    this.recent.set(key, time);
    if (this.lastTime === undefined || time > this.lastTime) this.lastTime = time;
    const horizon = this.lastTime - 2;
    for (const [seen, seenTime] of this.recent) {
      if (seenTime >= horizon) break;
      this.recent.delete(seen);
    }
    return true;
  }

  private deliver(value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const raw = value as Record<string, unknown>;
    if (!this.remember(raw)) return;

    const event = toContainerJsonEvent(raw);
    for (const subscription of [...this.subscriptions]) {
      if (!this.subscriptions.has(subscription)) continue; // disposed by an earlier listener
      try {
        subscription.listener.call(subscription.thisArgs, event);
      } catch (error) {
        this.warn(`A container engine event listener failed: ${messageOf(error)}`);
      }
    }
  }
}

/**
 * Podman Desktop's mapping: the event as podman sent it, with `status` and `id` taken from
 * `Action` (its base, before any `: detail`) and `Actor.ID` when absent.
 */
export function toContainerJsonEvent(raw: Record<string, unknown>): pd.ContainerJSONEvent {
  const action = typeof raw.Action === 'string' ? raw.Action.split(':')[0]?.trim() : undefined;
  const actor = raw.Actor !== null && typeof raw.Actor === 'object' ? (raw.Actor as Record<string, unknown>) : {};
  const status = typeof raw.status === 'string' ? raw.status : (action ?? '');
  const id = typeof raw.id === 'string' ? raw.id : typeof actor.ID === 'string' ? actor.ID : '';
  return { ...raw, status, id } as pd.ContainerJSONEvent;
}

function destroyStream(stream: NodeJS.ReadableStream | undefined): void {
  (stream as { destroy?: () => void } | undefined)?.destroy?.();
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200);
}
