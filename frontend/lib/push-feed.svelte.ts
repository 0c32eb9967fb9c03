import { errorMessage } from '../../src/api/errors';
import type { PushChannel } from '../../src/api/rpc-protocol';
import { subscribe } from '../rpc';
import { refreshOnPush } from './refresh-on-push';

/**
 * Something the backend keeps, as a page sees it: fetched when the page mounts and again after a
 * burst of pushes on `channel` says it changed (Podman Desktop may have destroyed the page in
 * between). Subclasses say how to fetch it and where to keep the answer.
 */
export abstract class PushFeed<T> {
  error: string | undefined = $state();
  readonly #channel: PushChannel;
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  // Only the latest request may update the feed: an older, slower answer must not win.
  #latestRequest = 0;

  constructor(channel: PushChannel, debounceMs: number, maxWaitMs: number) {
    this.#channel = channel;
    this.#debounceMs = debounceMs;
    this.#maxWaitMs = maxWaitMs;
  }

  protected abstract fetch(): Promise<T>;
  protected abstract accept(value: T): void;

  async load(): Promise<void> {
    const request = ++this.#latestRequest;
    try {
      const value = await this.fetch();
      if (request !== this.#latestRequest) return;
      this.accept(value);
      this.error = undefined;
    } catch (err: unknown) {
      if (request !== this.#latestRequest) return;
      this.error = errorMessage(err);
    }
  }

  /** Loads now and on every change; returns the function that stops following. */
  start(): () => void {
    void this.load();
    return refreshOnPush(subscribe, [this.#channel], () => void this.load(), this.#debounceMs, this.#maxWaitMs);
  }
}
