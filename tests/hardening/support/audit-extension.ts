/**
 * The built extension (dist/extension.js) activated as standalone mode loads it, over a real podman
 * service, with everything it says to the outside recorded for the secrets audit: each message it
 * posts to the webview, each host event (tasks, toasts), each telemetry call (the logger it is given
 * has usage and errors enabled, as a Podman Desktop user who opted in has), and its console output
 * (what Podman Desktop writes to the extension's log).
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import { BridgeError } from '../../../src/api/errors';
import type { RpcMessage, RpcResponse } from '../../../src/api/rpc-protocol';
import { unixEndpoint } from '../../../src/engine/engine-endpoint';
import { engineIdFor } from '../../../src/engine/socket/podman-socket';
import type { HostEvent } from '../../../src/standalone/host-ui';
import { HostUi } from '../../../src/standalone/host-ui';
import { overrideModuleLoad } from '../../../src/standalone/module-loader';
import { PdUri } from '../../../src/standalone/pd-uri';
import { createStandaloneApi } from '../../../src/standalone/standalone-api';
import { StandaloneConfiguration } from '../../../src/standalone/standalone-configuration';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../../src/standalone/standalone-container-engine';
import { factoryFields, StandaloneProviders } from '../../../src/standalone/standalone-providers';
import type { StandalonePanel } from '../../../src/standalone/webview-host';
import { WebviewRegistry } from '../../../src/standalone/webview-host';
import { waitFor } from '../../integration/support/extension-driver';

const ROOT = resolve(__dirname, '../../..');
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

export interface AuditedExtension {
  /** What the extension posted to the webview (responses and pushes). */
  posted: unknown[];
  /** What the host showed: tasks, toasts, messages. */
  hostEvents: HostEvent[];
  /** Every call on a telemetry logger the extension made: `[method, ...args]`. */
  telemetry: unknown[][];
  /** How many telemetry loggers it asked for. */
  telemetryLoggers: number;
  /** What it wrote to the console while active. */
  consoleLines: string[];
  call<T>(method: string, ...args: unknown[]): Promise<T>;
  stop(): void;
}

export async function startAuditedExtension(options: {
  socketPath: string;
  storagePath: string;
  settingsFile: string;
}): Promise<AuditedExtension> {
  const main = join(ROOT, 'dist/extension.js');
  if (!existsSync(main)) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  };
  const posted: unknown[] = [];
  const hostEvents: HostEvent[] = [];
  const telemetry: unknown[][] = [];
  const consoleLines: string[] = [];
  const subscriptions: { dispose(): unknown }[] = [];
  let telemetryLoggers = 0;

  const saved = CONSOLE_METHODS.map(name => [name, console[name]] as const);
  for (const [name, original] of saved) {
    console[name] = (...args: unknown[]) => {
      consoleLines.push(args.map(arg => (typeof arg === 'string' ? arg : String(arg))).join(' '));
      original.apply(console, args);
    };
  }
  const restoreConsole = () => {
    for (const [name, original] of saved) console[name] = original;
  };

  const endpoint = unixEndpoint(options.socketPath);
  const engine = createStandaloneContainerEngine({ endpoint, engineId: engineIdFor(endpoint), engineName: 'podman' });
  const ui = new HostUi();
  ui.attach(event => hostEvents.push(event));
  const webviews = new WebviewRegistry({
    origin: () => 'http://127.0.0.1:1',
    extensionRoot: ROOT,
    changed: () => undefined,
  });
  const properties = manifest.contributes.configuration.properties;
  const { api } = createStandaloneApi({
    ui,
    providers: new StandaloneProviders(event => ui.broadcast(event), factoryFields(properties)),
    webviews,
    containerEngine: engine,
    connections: [containerConnectionFor({ endpoint, engineName: 'podman' })],
    configuration: new StandaloneConfiguration(options.settingsFile, properties),
    openExternal: async () => true,
  });
  // A logger that records, enabled as for a user who opted in: whatever the extension would send is seen.
  const env = api.env as Record<string, unknown>;
  env.createTelemetryLogger = () => {
    telemetryLoggers++;
    const record =
      (method: string) =>
      (...args: unknown[]) =>
        void telemetry.push([method, ...args]);
    return {
      logUsage: record('logUsage'),
      logError: record('logError'),
      dispose() {},
      onDidChangeEnableStates: () => ({ dispose() {} }),
      isUsageEnabled: true,
      isErrorsEnabled: true,
    };
  };

  const restore = overrideModuleLoad(ROOT, api);
  try {
    const requireFromRoot = createRequire(main);
    delete requireFromRoot.cache[main];
    const extension = requireFromRoot(main) as { activate(context: unknown): Promise<void> };
    await extension.activate({
      subscriptions,
      storagePath: options.storagePath,
      extensionUri: PdUri.file(ROOT),
      secrets: {},
    });
  } catch (error) {
    restore();
    restoreConsole();
    engine.dispose();
    throw error;
  }
  const panel: StandalonePanel = webviews.all()[0];
  panel.connections.add({ send: message => posted.push(message), reload: () => undefined });

  let nextId = 1;
  return {
    posted,
    hostEvents,
    telemetry,
    get telemetryLoggers() {
      return telemetryLoggers;
    },
    consoleLines,
    async call<T>(method: string, ...args: unknown[]): Promise<T> {
      const id = nextId++;
      panel.receive({ kind: 'rpc-request', id, method, args });
      const response = await waitFor(() =>
        (posted as RpcMessage[]).find((m): m is RpcResponse => m.kind === 'rpc-response' && m.id === id),
      );
      if (!response.ok) throw new BridgeError(response.error ?? { message: 'Unknown error' });
      return response.result as T;
    },
    stop() {
      for (const subscription of subscriptions.splice(0)) subscription.dispose();
      restore();
      restoreConsole();
      engine.dispose();
    },
  };
}
