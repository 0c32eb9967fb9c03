/**
 * The built extension (dist/extension.js) loaded the way standalone mode loads it, over a real
 * podman and a real htpasswd registry: image operations asked for through the webview bridge
 * answer with an id at once, push `imageOperationsChanged` and `imagesChanged`, run as host tasks
 * and end with a notification; a bad request is refused naming the field; a password sent with a
 * push reaches no message the page or the host sees.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ImageOperation } from '../../src/api/image-operations';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import type { RpcMessage, RpcResponse } from '../../src/api/rpc-protocol';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { engineIdFor } from '../../src/engine/podman-socket';
import type { HostEvent } from '../../src/standalone/host-ui';
import { HostUi } from '../../src/standalone/host-ui';
import { overrideModuleLoad } from '../../src/standalone/module-loader';
import { PdUri } from '../../src/standalone/pd-uri';
import { createStandaloneApi } from '../../src/standalone/standalone-api';
import { StandaloneConfiguration } from '../../src/standalone/standalone-configuration';
import type { StandaloneContainerEngine } from '../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../src/standalone/standalone-container-engine';
import type { StandalonePanel } from '../../src/standalone/webview-host';
import { WebviewRegistry } from '../../src/standalone/webview-host';
import { BUSYBOX_BASE, createBusyboxBase, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import type { LocalRegistry } from './support/registry';
import { startRegistry } from './support/registry';

const ROOT = resolve(__dirname, '../..');
const PASSWORD = 'extension-pa55-not-to-be-seen';

describe('the built extension runs image operations through the webview bridge', () => {
  let podman: PodmanService;
  let registry: LocalRegistry;
  let engine: StandaloneContainerEngine;
  let panel: StandalonePanel;
  let restore: () => void;
  const subscriptions: { dispose(): unknown }[] = [];
  const posted: RpcMessage[] = [];
  const hostEvents: HostEvent[] = [];
  let nextId = 1;

  function call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = nextId++;
    panel.receive({ kind: 'rpc-request', id, method, args });
    return waitFor(() => posted.find((m): m is RpcResponse => m.kind === 'rpc-response' && m.id === id)).then(
      response => {
        if (!response.ok) throw new Error(response.error);
        return response.result as T;
      },
    );
  }

  async function finished(id: string): Promise<ImageOperation> {
    return waitFor(async () => {
      const operation = (await call<ImageOperation[]>('listImageOperations')).find(candidate => candidate.id === id);
      return operation && operation.status !== 'running' ? operation : undefined;
    });
  }

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/extension.js')))
      throw new Error('dist/extension.js is missing: run `npm run build` first');
    registry = await startRegistry({ htpasswd: { username: 'tester', password: PASSWORD } });
    podman = await startPodmanService();
    await createBusyboxBase(podman);

    const endpoint = unixEndpoint(podman.socketPath);
    engine = createStandaloneContainerEngine({ endpoint, engineId: engineIdFor(endpoint), engineName: 'podman' });
    const ui = new HostUi();
    ui.attach(event => hostEvents.push(event));
    const webviews = new WebviewRegistry({
      origin: () => 'http://127.0.0.1:1',
      extensionRoot: ROOT,
      changed: () => undefined,
    });
    const { api } = createStandaloneApi({
      ui,
      webviews,
      containerEngine: engine,
      connections: [containerConnectionFor({ endpoint, engineName: 'podman' })],
      configuration: new StandaloneConfiguration(join(podman.dir, 'settings.json'), {}),
      openExternal: async () => true,
    });
    restore = overrideModuleLoad(ROOT, api);
    const main = join(ROOT, 'dist/extension.js');
    const requireFromRoot = createRequire(main);
    delete requireFromRoot.cache[main];
    const extension = requireFromRoot(main) as { activate(context: unknown): Promise<void> };
    await extension.activate({
      subscriptions,
      storagePath: join(podman.dir, 'store'),
      extensionUri: PdUri.file(ROOT),
      secrets: {},
    });
    panel = webviews.all()[0];
    // A page is shown: pushes reach it.
    panel.connections.add({ send: message => posted.push(message as RpcMessage), reload: () => undefined });
  });

  afterAll(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.dispose();
    restore?.();
    engine?.dispose();
    await Promise.all([podman?.stop(), registry?.stop()]);
  });

  test('a build: id at once, pushes, a host task that reaches succeeded, a notification, the image listed', async () => {
    const context = join(podman.dir, 'os');
    await mkdir(context, { recursive: true });
    await writeFile(
      join(context, 'Containerfile'),
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo from-the-bridge\n`,
    );
    const tag = `${registry.url}/ext/os:1`;
    const id = await call<string>('buildImage', {
      contextDir: context,
      tag,
      platforms: [`linux/${machineArch()}`],
      buildArgs: {},
      noCache: false,
      pull: false,
    });
    const done = await finished(id);
    expect(done).toMatchObject({ kind: 'build', status: 'succeeded', warnings: [] });
    const log = await call<{ lines: string[] }>('readImageOperationLog', id, 0);
    expect(log.lines).toContain('from-the-bridge');

    const channels = posted.filter(m => m.kind === 'rpc-push').map(m => (m as { channel: string }).channel);
    expect(channels).toContain(PUSH_CHANNELS.imageOperationsChanged);
    await waitFor(() =>
      posted.some(m => m.kind === 'rpc-push' && m.channel === PUSH_CHANNELS.imagesChanged) ? true : undefined,
    );
    const images = await call<{ ref: string }[]>('listBootcImages');
    expect(images.map(image => image.ref)).toContain(tag);

    const task = await waitFor(() =>
      hostEvents
        .filter((e): e is Extract<HostEvent, { type: 'task' }> => e.type === 'task')
        .map(e => e.task)
        .find(t => t.title === `Building ${tag}` && t.state !== 'running'),
    );
    expect(task.state).toBe('succeeded');
    await waitFor(() =>
      hostEvents.find(e => e.type === 'toast' && e.toast.title === 'Image built' && e.toast.message.includes(tag)),
    );
  });

  test('bad requests are refused naming the field; nothing is started', async () => {
    const before = (await call<ImageOperation[]>('listImageOperations')).length;
    await expect(
      call('buildImage', {
        contextDir: '/',
        tag: 'NOT A TAG',
        platforms: [],
        buildArgs: {},
        noCache: false,
        pull: false,
      }),
    ).rejects.toThrow(/tag: not an image reference.*platforms: choose at least one platform/);
    await expect(
      call('pushImage', { ref: `${registry.url}/ext/os:1`, credentials: { username: 'tester' } }),
    ).rejects.toThrow(/^credentials\.password: /);
    expect((await call<ImageOperation[]>('listImageOperations')).length).toBe(before);
  });

  test('a push with credentials ends when the registry has the image, as a host task; the password is nowhere', async () => {
    const ref = `${registry.url}/ext/os:1`;
    const refused = await finished(await call<string>('pushImage', { ref }));
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/requires authentication/);

    const id = await call<string>('pushImage', { ref, credentials: { username: 'tester', password: PASSWORD } });
    const done = await finished(id);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.percent).toBe(100);
    expect(await registry.tags('ext/os')).toEqual(['1']);
    expect(done.message).toBe(`Pushed ${ref} (${await registry.manifestDigest('ext/os', '1')})`);

    const task = await waitFor(() =>
      hostEvents
        .filter((e): e is Extract<HostEvent, { type: 'task' }> => e.type === 'task')
        .map(e => e.task)
        .filter(t => t.title === `Pushing ${ref}`)
        .find(t => t.state === 'succeeded'),
    );
    expect(task.state).toBe('succeeded');
    const logs = await Promise.all(
      (await call<ImageOperation[]>('listImageOperations')).map(operation =>
        call('readImageOperationLog', operation.id, 0),
      ),
    );
    expect(JSON.stringify([posted, hostEvents, logs])).not.toContain(PASSWORD);
  });
});

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise(done => setTimeout(done, 50));
  }
}
