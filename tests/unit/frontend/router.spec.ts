import { describe, expect, test, vi } from 'vitest';

import type { Route } from '../../../src/api/models';
import { buildFormRoute, ROUTES } from '../../../src/api/routes';
import type { PushChannel } from '../../../src/api/rpc-protocol';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import type { RouterHost } from '../../../frontend/stores/router.svelte';
import { Router } from '../../../frontend/stores/router.svelte';

/** A host whose webview state behaves like Podman Desktop's: what was set is what is got. */
function fakeHost(initialState: unknown, pending: (Route | undefined)[] = []) {
  let state = initialState;
  const listeners = new Map<PushChannel, Set<(body: unknown) => void>>();
  const host = {
    getState: vi.fn(() => state),
    setState: vi.fn((next: unknown) => {
      state = next;
    }),
    takePendingRoute: vi.fn(async () => pending.shift()),
    subscribe: vi.fn((channel: PushChannel, listener: (body: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return () => listeners.get(channel)!.delete(listener);
    }),
  } satisfies RouterHost;
  return {
    host,
    pending,
    state: () => state,
    push: (channel: PushChannel) => listeners.get(channel)?.forEach(listener => listener(undefined)),
  };
}

describe('Router', () => {
  test('starts on the dashboard when nothing was saved', async () => {
    const { host } = fakeHost(undefined);
    const router = new Router(host);
    router.start();
    await router.pullPending();
    expect(router.route).toBe(ROUTES.dashboard);
    expect(router.path).toBe('/');
  });

  test('restores the route saved before the webview was destroyed', () => {
    const saved = buildFormRoute('quay.io/fedora/fedora-bootc:42', 'podman');
    const { host } = fakeHost({ route: saved });
    const router = new Router(host);
    router.start();
    expect(router.route).toBe(saved);
    expect(router.path).toBe(ROUTES.buildDiskImage);
    expect(router.query).toEqual({ image: 'quay.io/fedora/fedora-bootc:42', engine: 'podman' });
  });

  test('ignores a saved state that is not a route', () => {
    for (const state of [{ route: 42 }, { route: 'images' }, 'junk', null, { url: '/images' }]) {
      const router = new Router(fakeHost(state).host);
      router.start();
      expect(router.route).toBe(ROUTES.dashboard);
    }
  });

  test('follows a pending deep link over the saved route, and saves it', async () => {
    const deepLink = buildFormRoute('quay.io/centos-bootc/centos-bootc:stream10');
    const fake = fakeHost({ route: ROUTES.images }, [deepLink]);
    const router = new Router(fake.host);
    router.start();
    await vi.waitFor(() => expect(router.route).toBe(deepLink));
    expect(fake.host.takePendingRoute).toHaveBeenCalledTimes(1);
    expect(fake.state()).toEqual({ route: deepLink });
  });

  test('pulls again when a route-pending push arrives, until stopped', async () => {
    const fake = fakeHost(undefined);
    const router = new Router(fake.host);
    const stop = router.start();
    await vi.waitFor(() => expect(fake.host.takePendingRoute).toHaveBeenCalledTimes(1));

    fake.pending.push(ROUTES.virtualMachines);
    fake.push(PUSH_CHANNELS.routePending);
    await vi.waitFor(() => expect(router.route).toBe(ROUTES.virtualMachines));

    stop();
    fake.pending.push(ROUTES.examples);
    fake.push(PUSH_CHANNELS.routePending);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(fake.host.takePendingRoute).toHaveBeenCalledTimes(2);
    expect(router.route).toBe(ROUTES.virtualMachines);
  });

  test('navigate saves the route and keeps the rest of the webview state', () => {
    const fake = fakeHost({ route: ROUTES.images, other: 'kept' });
    const router = new Router(fake.host);
    router.navigate(ROUTES.examples);
    expect(router.route).toBe(ROUTES.examples);
    expect(fake.state()).toEqual({ route: ROUTES.examples, other: 'kept' });
  });

  test('navigate refuses something that is not a route', () => {
    const fake = fakeHost(undefined);
    const router = new Router(fake.host);
    router.navigate('https://example.com');
    expect(router.route).toBe(ROUTES.dashboard);
    expect(fake.host.setState).not.toHaveBeenCalled();
  });

  test('a failing backend or state store does not break navigation', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const host: RouterHost = {
      getState: () => ({ route: ROUTES.images }),
      setState: () => Promise.reject(new Error('state store gone')),
      takePendingRoute: () => Promise.reject(new Error('images did not answer within 10 s')),
      subscribe: () => () => {},
    };
    const router = new Router(host);
    router.start();
    await router.pullPending();
    expect(router.route).toBe(ROUTES.images);
    router.navigate(ROUTES.examples);
    expect(router.route).toBe(ROUTES.examples);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith('Could not save the route:', expect.any(Error)));
    warn.mockRestore();
  });
});
