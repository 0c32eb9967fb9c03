/**
 * The built extension (dist/extension.js) activated the way standalone mode loads it — Podman
 * Desktop's API stand-in over a real podman service — and driven through its webview bridge as the
 * page would: `call` sends an RPC request and resolves with its answer; what the extension posts and
 * what the host shows (tasks, toasts) are recorded.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import { BridgeError } from '../../../src/api/errors';
import type { RpcMessage, RpcResponse } from '../../../src/api/rpc-protocol';
import { unixEndpoint } from '../../../src/engine/engine-endpoint';
import { engineIdFor } from '../../../src/engine/socket/podman-socket';
import type { HostEvent, HostTask } from '../../../src/standalone/host-ui';
import { HostUi } from '../../../src/standalone/host-ui';
import { overrideModuleLoad } from '../../../src/standalone/module-loader';
import { PdUri } from '../../../src/standalone/pd-uri';
import { createStandaloneApi } from '../../../src/standalone/standalone-api';
import { factoryFields, StandaloneProviders } from '../../../src/standalone/standalone-providers';
import { StandaloneConfiguration } from '../../../src/standalone/standalone-configuration';
import type { StandaloneContainerEngine } from '../../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../../src/standalone/standalone-container-engine';
import type { StandalonePanel } from '../../../src/standalone/webview-host';
import { WebviewRegistry } from '../../../src/standalone/webview-host';
import type { PodmanService } from './podman-service';

const ROOT = resolve(__dirname, '../../..');

export interface ExtensionDriver {
  engine: StandaloneContainerEngine;
  ui: HostUi;
  /** What the extension registered with `provider.createProvider` (its VMs in Resources). */
  providers: StandaloneProviders;
  /** The preferences, with the manifest's defaults. */
  configuration: StandaloneConfiguration;
  /** What the extension posted to the page (responses and pushes). */
  posted: RpcMessage[];
  /** What the host showed: tasks, toasts, messages. */
  hostEvents: HostEvent[];
  /** URLs given to env.openExternal. */
  opened: string[];
  /** A bridge call as the page makes it; rejects with the backend's error message. */
  call<T>(method: string, ...args: unknown[]): Promise<T>;
  tasks(): HostTask[];
  /** Disposes the extension's subscriptions, restores the module loader, closes the engine. */
  stop(): void;
}

export async function startExtension(podman: PodmanService): Promise<ExtensionDriver> {
  const main = join(ROOT, 'dist/extension.js');
  if (!existsSync(main)) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes: {
      configuration: {
        properties: Record<string, { default?: unknown; scope?: string; description?: string; type?: string }>;
      };
    };
  };
  const posted: RpcMessage[] = [];
  const hostEvents: HostEvent[] = [];
  const opened: string[] = [];
  const subscriptions: { dispose(): unknown }[] = [];

  const endpoint = unixEndpoint(podman.socketPath);
  const engine = createStandaloneContainerEngine({ endpoint, engineId: engineIdFor(endpoint), engineName: 'podman' });
  const ui = new HostUi();
  ui.attach(event => hostEvents.push(event));
  const webviews = new WebviewRegistry({
    origin: () => 'http://127.0.0.1:1',
    extensionRoot: ROOT,
    changed: () => undefined,
  });
  const configuration = new StandaloneConfiguration(
    join(podman.dir, 'settings.json'),
    manifest.contributes.configuration.properties,
  );
  const providers = new StandaloneProviders(
    event => ui.broadcast(event),
    factoryFields(manifest.contributes.configuration.properties),
  );
  const { api } = createStandaloneApi({
    ui,
    providers,
    webviews,
    containerEngine: engine,
    connections: [containerConnectionFor({ endpoint, engineName: 'podman' })],
    configuration,
    openExternal: async url => {
      opened.push(url);
      return true;
    },
  });
  const restore = overrideModuleLoad(ROOT, api);
  const requireFromRoot = createRequire(main);
  delete requireFromRoot.cache[main];
  const extension = requireFromRoot(main) as { activate(context: unknown): Promise<void> };
  await extension.activate({
    subscriptions,
    storagePath: join(podman.dir, 'store'),
    extensionUri: PdUri.file(ROOT),
    secrets: {},
  });
  const panel: StandalonePanel = webviews.all()[0];
  // A page is shown: pushes reach it.
  panel.connections.add({ send: message => posted.push(message as RpcMessage), reload: () => undefined });

  let nextId = 1;
  return {
    engine,
    ui,
    providers,
    configuration,
    posted,
    hostEvents,
    opened,
    async call<T>(method: string, ...args: unknown[]): Promise<T> {
      const id = nextId++;
      panel.receive({ kind: 'rpc-request', id, method, args });
      const response = await waitFor(() =>
        posted.find((m): m is RpcResponse => m.kind === 'rpc-response' && m.id === id),
      );
      if (!response.ok) throw new BridgeError(response.error ?? { message: 'Unknown error' });
      return response.result as T;
    },
    tasks: () =>
      hostEvents.filter((e): e is Extract<HostEvent, { type: 'task' }> => e.type === 'task').map(e => e.task),
    stop() {
      for (const subscription of subscriptions.splice(0)) subscription.dispose();
      restore();
      engine.dispose();
    },
  };
}

/** Polls `probe` until it answers something other than undefined or false. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise(done => setTimeout(done, 50));
  }
}
