import type { PushChannel } from '../../src/api/rpc-protocol';

export type Subscribe = (channel: PushChannel, listener: (body: unknown) => void) => () => void;

/** How long a burst of pushes is coalesced before the single re-fetch it causes. */
export const REFRESH_DEBOUNCE_MS = 300;

/**
 * Calls `refresh` once a burst of pushes on `channels` has settled. A push is only an invalidation
 * hint, so the page re-fetches rather than reading the push's body. With `maxWaitMs`, a burst that
 * never settles (a build printing log lines) still refreshes at least that often. Returns the
 * function that stops listening and cancels a re-fetch that has not started yet.
 */
export function refreshOnPush(
  subscribe: Subscribe,
  channels: readonly PushChannel[],
  refresh: () => void,
  delayMs: number = REFRESH_DEBOUNCE_MS,
  maxWaitMs?: number,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let burstStarted: number | undefined;
  const run = (): void => {
    clearTimeout(timer);
    timer = undefined;
    burstStarted = undefined;
    refresh();
  };
  const schedule = (): void => {
    const now = Date.now();
    burstStarted ??= now;
    clearTimeout(timer);
    const wait = maxWaitMs === undefined ? delayMs : Math.min(delayMs, Math.max(0, burstStarted + maxWaitMs - now));
    timer = setTimeout(run, wait);
  };
  const stops = channels.map(channel => subscribe(channel, schedule));
  return () => {
    clearTimeout(timer);
    for (const stop of stops) stop();
  };
}
