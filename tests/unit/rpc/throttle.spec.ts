/** The throttle that paces the page's pushes: at once, then at most one trailing run per interval. */

import { expect, test, vi } from 'vitest';

import { Throttle } from '../../../src/rpc/throttle';

test('Throttle: the first request runs at once, a burst collapses into one trailing run', async () => {
  vi.useFakeTimers();
  try {
    let now = 0;
    const run = vi.fn();
    const throttle = new Throttle(run, 250, () => now);
    throttle.request();
    expect(run).toHaveBeenCalledTimes(1);
    now = 10;
    throttle.request();
    throttle.request();
    expect(run).toHaveBeenCalledTimes(1);
    now = 250;
    vi.advanceTimersByTime(240);
    expect(run).toHaveBeenCalledTimes(2);
    throttle.dispose();
  } finally {
    vi.useRealTimers();
  }
});
