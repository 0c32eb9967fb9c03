import type { BootcStudioApi } from '../src/api/bootc-studio-api';
import { DEFAULT_CALL_TIMEOUT_MS, NO_TIMEOUT_METHODS } from '../src/api/bootc-studio-api';
import { unpackImageRows } from '../src/api/image-rows';
import { RpcClient } from '../src/api/rpc-client';
import type { PushChannel } from '../src/api/rpc-protocol';

/*
 * The page's one bridge to the backend. acquirePodmanDesktopApi() may be called only once per page
 * load, so everything that talks to the backend goes through this module. Tests mock this module.
 */
const podmanDesktop = acquirePodmanDesktopApi();

const client = new RpcClient({
  post: message => podmanDesktop.postMessage(message),
  timeoutMs: DEFAULT_CALL_TIMEOUT_MS,
  noTimeout: NO_TIMEOUT_METHODS,
});

window.addEventListener('message', event => client.receive(event.data));

const calls = client.proxy<BootcStudioApi>();

/** The backend's calls; the image rows come with each image's tags on every row again (image-rows.ts). */
export const api: BootcStudioApi = new Proxy(calls, {
  get: (target, property, receiver) =>
    property === 'listBootcImages'
      ? async () => unpackImageRows(await target.listBootcImages())
      : Reflect.get(target, property, receiver),
});

/** Listens to a push channel; returns the function that stops listening. */
export function subscribe(channel: PushChannel, listener: (body: unknown) => void): () => void {
  return client.subscribe(channel, listener);
}

/** State kept by Podman Desktop across the webview being destroyed and re-created. */
export function getState(): unknown {
  return podmanDesktop.getState();
}

export function setState(state: unknown): void | Promise<void> {
  return podmanDesktop.setState(state);
}
