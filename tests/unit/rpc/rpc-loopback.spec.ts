import { describe, expect, test, vi } from 'vitest';

import type { BootcStudioApi } from '../../../src/api/bootc-studio-api';
import type { BootcImage, EngineSummary } from '../../../src/api/models';
import { RpcClient, RpcTimeoutError } from '../../../src/api/rpc-client';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import { RpcServer } from '../../../src/rpc/rpc-server';
import type { WebviewPort } from '../../../src/rpc/webview-port';

/**
 * The real backend (RpcServer) and page (RpcClient) ends of the bridge, joined by a channel that
 * behaves like Podman Desktop's: asynchronous delivery of structured clones, both ways.
 */
function connect<T extends object>(impl: T, options: { timeoutMs?: number; noTimeout?: string[] } = {}) {
  const toBackend = new Set<(message: unknown) => void>();
  const client = new RpcClient({
    post: message => {
      const copy = structuredClone(message);
      setTimeout(() => toBackend.forEach(listener => listener(copy)), 0);
    },
    timeoutMs: options.timeoutMs ?? 1000,
    noTimeout: options.noTimeout,
  });
  const port: WebviewPort = {
    async postMessage(message) {
      const copy = structuredClone(message);
      setTimeout(() => client.receive(copy), 0);
      return true;
    },
    onDidReceiveMessage(listener) {
      toBackend.add(listener);
      return { dispose: () => toBackend.delete(listener) };
    },
  };
  const server = new RpcServer(port, impl);
  return { client, server };
}

const image: BootcImage = {
  id: 'sha256:1',
  engineId: 'podman',
  engineName: 'Podman',
  name: 'quay.io/fedora/fedora-bootc',
  tag: '42',
  ref: 'quay.io/fedora/fedora-bootc:42',
  tags: ['quay.io/fedora/fedora-bootc:42'],
  architectures: ['amd64'],
  size: 1_500_000_000,
  created: 1_700_000_000_000,
  labels: { 'containers.bootc': '1' },
  isManifestList: false,
};

class FakeBackend implements Pick<
  BootcStudioApi,
  'listBootcImages' | 'listEngines' | 'takePendingRoute' | 'openExternal'
> {
  routes: (string | undefined)[] = ['/disk-images/build?image=x'];
  async listBootcImages() {
    return [image];
  }
  async listEngines(): Promise<EngineSummary[]> {
    throw new Error('No podman service at unix:///run/podman/podman.sock');
  }
  async takePendingRoute() {
    return this.routes.shift();
  }
  openExternal(url: string): Promise<boolean> {
    // Never answers: stands for a call that hangs.
    return new Promise(() => void url);
  }
}

describe('webview bridge, backend and page classes against each other', () => {
  test('a call returns the backend result through the typed proxy', async () => {
    const { client } = connect(new FakeBackend());
    const api = client.proxy<BootcStudioApi>();
    await expect(api.listBootcImages()).resolves.toEqual([image]);
    await expect(api.takePendingRoute()).resolves.toBe('/disk-images/build?image=x');
    await expect(api.takePendingRoute()).resolves.toBeUndefined();
  });

  test('a backend error reaches the page with its message', async () => {
    const { client } = connect(new FakeBackend());
    await expect(client.proxy<BootcStudioApi>().listEngines()).rejects.toThrow(
      'No podman service at unix:///run/podman/podman.sock',
    );
  });

  test('unknown and inherited methods are refused, not called', async () => {
    const { client } = connect(new FakeBackend());
    await expect(client.call('constructor', [])).rejects.toThrow('Unknown method: constructor');
    await expect(client.call('toString', [])).rejects.toThrow('Unknown method: toString');
    await expect(client.call('__proto__', [])).rejects.toThrow('Unknown method: __proto__');
    await expect(client.call('routes', [])).rejects.toThrow('Unknown method: routes');
  });

  test('a call that does not answer times out with the method name', async () => {
    const { client } = connect(new FakeBackend(), { timeoutMs: 50 });
    const err = await client.call('openExternal', ['https://example.org']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcTimeoutError);
    expect((err as Error).message).toContain('openExternal');
  });

  test('methods exempt from the timeout keep waiting', async () => {
    const { client } = connect(new FakeBackend(), { timeoutMs: 20, noTimeout: ['openExternal'] });
    const outcome = await Promise.race([
      client.call('openExternal', ['https://example.org']).then(
        () => 'answered',
        () => 'rejected',
      ),
      new Promise(resolve => setTimeout(() => resolve('still waiting'), 100)),
    ]);
    expect(outcome).toBe('still waiting');
  });

  test('pushes reach subscribers of their channel only, until they unsubscribe', async () => {
    const { client, server } = connect(new FakeBackend());
    const images: unknown[] = [];
    const routes: unknown[] = [];
    const stop = client.subscribe(PUSH_CHANNELS.imagesChanged, body => images.push(body));
    client.subscribe(PUSH_CHANNELS.routePending, body => routes.push(body));
    await server.push(PUSH_CHANNELS.imagesChanged, { engineId: 'podman' });
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(images).toEqual([{ engineId: 'podman' }]);
    expect(routes).toEqual([]);
    stop();
    await server.push(PUSH_CHANNELS.imagesChanged);
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(images).toHaveLength(1);
  });

  test('after dispose the backend stops answering', async () => {
    const { client, server } = connect(new FakeBackend(), { timeoutMs: 50 });
    server.dispose();
    await expect(client.proxy<BootcStudioApi>().listBootcImages()).rejects.toBeInstanceOf(RpcTimeoutError);
  });

  test('messages that are not the bridge’s are ignored by both ends', async () => {
    const { client } = connect(new FakeBackend());
    expect(() => client.receive({ type: 'theme-changed' })).not.toThrow();
    expect(() => client.receive(null)).not.toThrow();
    await expect(client.proxy<BootcStudioApi>().listBootcImages()).resolves.toHaveLength(1);
  });

  test('where one backend answers two pages (standalone tabs, a reload), a reply settles only the call of the page that made it', async () => {
    const toBackend = new Set<(message: unknown) => void>();
    const pages = [0, 1].map(
      () =>
        new RpcClient({
          post: message => setTimeout(() => toBackend.forEach(listener => listener(structuredClone(message))), 0),
          timeoutMs: 1000,
        }),
    );
    // Every reply goes to every page, as standalone mode's panel does.
    const port: WebviewPort = {
      async postMessage(message) {
        for (const page of pages) setTimeout(() => page.receive(structuredClone(message)), 0);
        return true;
      },
      onDidReceiveMessage(listener) {
        toBackend.add(listener);
        return { dispose: () => toBackend.delete(listener) };
      },
    };
    let calls = 0;
    new RpcServer(port, { whoAmI: async (page: number) => (calls++, page), slow: () => new Promise(() => undefined) });
    // Page 1's first call hangs; page 0's first call answers, and reaches page 1 too.
    const pending = pages[1].call('slow', []);
    const settled = vi.fn();
    void pending.then(settled, settled);
    await expect(pages[0].call('whoAmI', [0])).resolves.toBe(0);
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    expect(settled).not.toHaveBeenCalled();
  });
});
