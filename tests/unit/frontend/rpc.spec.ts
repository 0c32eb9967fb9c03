import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import { DEFAULT_CALL_TIMEOUT_MS } from '../../../src/api/bootc-studio-api';
import type { RpcRequest } from '../../../src/api/rpc-protocol';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import type * as RpcModule from '../../../frontend/rpc';
import { bootcImage } from './fake-rpc';

// The real frontend/rpc.ts against a stand-in for what Podman Desktop's preload injects.
const podmanDesktop = {
  postMessage: vi.fn<(message: unknown) => void>(),
  getState: vi.fn<() => unknown>(),
  setState: vi.fn<(state: unknown) => void>(),
};
const acquire = vi.fn(() => podmanDesktop);

async function loadRpc(): Promise<typeof RpcModule> {
  vi.resetModules();
  vi.stubGlobal('acquirePodmanDesktopApi', acquire);
  return import('../../../frontend/rpc');
}

function reply(message: unknown): void {
  window.dispatchEvent(new MessageEvent('message', { data: message }));
}

function lastRequest(): RpcRequest {
  return podmanDesktop.postMessage.mock.lastCall![0] as RpcRequest;
}

beforeEach(() => {
  acquire.mockClear();
  podmanDesktop.postMessage.mockReset();
  podmanDesktop.getState.mockReset();
  podmanDesktop.setState.mockReset();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('frontend/rpc', () => {
  test('acquires the Podman Desktop API once, however much it is used', async () => {
    const rpc = await loadRpc();
    void rpc.api.listEngines();
    void rpc.api.listBootcImages();
    rpc.getState();
    expect(acquire).toHaveBeenCalledTimes(1);
  });

  test('a call posts a request and resolves with the matching response from a window message', async () => {
    const rpc = await loadRpc();
    const images = [bootcImage()];

    const call = rpc.api.listBootcImages();
    const request = lastRequest();
    expect(request).toMatchObject({ kind: 'rpc-request', method: 'listBootcImages', args: [] });

    reply({ kind: 'rpc-response', id: request.id + 1, ok: true, result: [] });
    reply({ kind: 'rpc-response', id: request.id, ok: true, result: images });
    await expect(call).resolves.toEqual(images);
  });

  test('the image rows come back with every tag of their image on each row (the bridge sends them once)', async () => {
    const rpc = await loadRpc();
    const tags = ['localhost/os:1', 'localhost/os:2', 'localhost/os:3'];
    const rows = tags.map(ref => bootcImage({ ref, name: 'localhost/os', tag: ref.slice(-1), tags }));
    const untagged = bootcImage({ id: 'sha256:00ff', name: '<none>', tag: '<none>', ref: 'sha256:00ff' });

    const call = rpc.api.listBootcImages();
    const sent = [rows[0], { ...rows[1], tags: [] }, untagged, { ...rows[2], tags: [] }];
    reply({ kind: 'rpc-response', id: lastRequest().id, ok: true, result: sent });
    await expect(call).resolves.toEqual([rows[0], rows[1], untagged, rows[2]]);
  });

  test('a backend error rejects the call with its message', async () => {
    const rpc = await loadRpc();
    const call = rpc.api.takePendingRoute();
    reply({
      kind: 'rpc-response',
      id: lastRequest().id,
      ok: false,
      error: { message: 'outputDir: not writable', code: 'invalid-input', fields: { outputDir: 'not writable' } },
    });
    await expect(call).rejects.toThrow('outputDir: not writable');
    // The error's data arrives with it: a form marks its fields from `fields`, never from the text.
    await expect(call).rejects.toMatchObject({ code: 'invalid-input', fields: { outputDir: 'not writable' } });
  });

  test('a call that gets no answer times out after the default timeout', async () => {
    vi.useFakeTimers();
    const rpc = await loadRpc();
    const call = rpc.api.listEngines();
    const outcome = expect(call).rejects.toThrow(/listEngines did not answer/);
    vi.advanceTimersByTime(DEFAULT_CALL_TIMEOUT_MS);
    await outcome;
  });

  test('pushes from the backend reach subscribers until they unsubscribe', async () => {
    const rpc = await loadRpc();
    const listener = vi.fn();
    const stop = rpc.subscribe(PUSH_CHANNELS.imagesChanged, listener);

    reply({ kind: 'rpc-push', channel: PUSH_CHANNELS.imagesChanged, body: { engineId: 'podman' } });
    reply({ kind: 'rpc-push', channel: PUSH_CHANNELS.enginesChanged });
    reply({ unrelated: 'message from something else' });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith({ engineId: 'podman' });

    stop();
    reply({ kind: 'rpc-push', channel: PUSH_CHANNELS.imagesChanged });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  test('getState and setState are Podman Desktop’s', async () => {
    const rpc = await loadRpc();
    podmanDesktop.getState.mockReturnValue({ route: '/images' });
    expect(rpc.getState()).toEqual({ route: '/images' });
    rpc.setState({ route: '/vms' });
    expect(podmanDesktop.setState).toHaveBeenCalledWith({ route: '/vms' });
  });
});
