import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import type { PushChannel } from '../../../src/api/rpc-protocol';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import { REFRESH_DEBOUNCE_MS, refreshOnPush } from '../../../frontend/lib/refresh-on-push';

function fakeBus() {
  const listeners = new Map<PushChannel, Set<(body: unknown) => void>>();
  return {
    subscribe(channel: PushChannel, listener: (body: unknown) => void): () => void {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return () => listeners.get(channel)!.delete(listener);
    },
    push: (channel: PushChannel) => listeners.get(channel)?.forEach(listener => listener(undefined)),
    count: (channel: PushChannel) => listeners.get(channel)?.size ?? 0,
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('refreshOnPush', () => {
  test('a burst of pushes causes one refresh once it has settled', () => {
    const bus = fakeBus();
    const refresh = vi.fn();
    refreshOnPush(bus.subscribe, [PUSH_CHANNELS.imagesChanged], refresh);

    bus.push(PUSH_CHANNELS.imagesChanged);
    vi.advanceTimersByTime(REFRESH_DEBOUNCE_MS - 50);
    bus.push(PUSH_CHANNELS.imagesChanged);
    vi.advanceTimersByTime(REFRESH_DEBOUNCE_MS - 50);
    expect(refresh).not.toHaveBeenCalled();

    vi.advanceTimersByTime(50);
    expect(refresh).toHaveBeenCalledTimes(1);

    bus.push(PUSH_CHANNELS.imagesChanged);
    vi.advanceTimersByTime(REFRESH_DEBOUNCE_MS);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  test('listens only to the channels it was given', () => {
    const bus = fakeBus();
    const refresh = vi.fn();
    refreshOnPush(bus.subscribe, [PUSH_CHANNELS.imagesChanged, PUSH_CHANNELS.enginesChanged], refresh, 100);

    bus.push(PUSH_CHANNELS.routePending);
    vi.advanceTimersByTime(1000);
    expect(refresh).not.toHaveBeenCalled();

    bus.push(PUSH_CHANNELS.enginesChanged);
    vi.advanceTimersByTime(100);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  test('stopping unsubscribes and cancels a refresh that has not run', () => {
    const bus = fakeBus();
    const refresh = vi.fn();
    const stop = refreshOnPush(bus.subscribe, [PUSH_CHANNELS.imagesChanged], refresh);

    bus.push(PUSH_CHANNELS.imagesChanged);
    stop();
    vi.advanceTimersByTime(REFRESH_DEBOUNCE_MS * 2);

    expect(refresh).not.toHaveBeenCalled();
    expect(bus.count(PUSH_CHANNELS.imagesChanged)).toBe(0);
  });
});
