import { randomUUID } from 'node:crypto';
import { relative, sep } from 'node:path';

import { PdUri } from '../../src/standalone/pd-uri';

/**
 * A stand-in for the `@podman-desktop/api` object Podman Desktop hands an extension, recording
 * what the extension does with it. Only what Bootc Studio calls at activation is implemented;
 * anything else throws, so a new call shows up here first.
 */
export function createRecordingApi(extensionRoot: string) {
  const port = 44000;
  const host = `${randomUUID()}.webview.localhost:${port}`;
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const panels: RecordedPanel[] = [];
  const disposed: string[] = [];
  const providers: { id: string; name: string }[] = [];
  const disposable = (what: string) => ({ dispose: () => void disposed.push(what) });

  const api = {
    Uri: PdUri,
    window: {
      createWebviewPanel(viewType: string, title: string, options?: unknown): RecordedPanel['panel'] {
        const listeners = new Set<(message: unknown) => void>();
        const recorded: RecordedPanel = {
          viewType,
          title,
          options,
          html: '',
          posted: [],
          reveals: 0,
          listeners,
          panel: undefined!,
        };
        recorded.panel = {
          viewType,
          title,
          webview: {
            get html() {
              return recorded.html;
            },
            set html(value: string) {
              recorded.html = value;
            },
            // Podman Desktop strips the extension-root prefix and serves the rest from its webview server.
            asWebviewUri: (uri: PdUri) =>
              PdUri.parse(`http://${host}/${relative(extensionRoot, uri.fsPath).split(sep).join('/')}`),
            postMessage: async (message: unknown) => {
              recorded.posted.push(message);
              return true;
            },
            onDidReceiveMessage: (listener: (message: unknown) => void) => {
              listeners.add(listener);
              return { dispose: () => void listeners.delete(listener) };
            },
            cspSource: `http://*.webview.localhost:${port}/`,
          },
          reveal: () => void recorded.reveals++,
          dispose: () => void disposed.push(`panel:${viewType}`),
          onDidDispose: () => disposable('panel.onDidDispose'),
          onDidChangeViewState: () => disposable('panel.onDidChangeViewState'),
        };
        panels.push(recorded);
        return recorded.panel;
      },
      showErrorMessage: async (message: string) => {
        errors.push(message);
        return undefined;
      },
    },
    commands: {
      registerCommand(id: string, callback: (...args: unknown[]) => unknown) {
        if (commands.has(id)) throw new Error(`command ${id} already registered`);
        commands.set(id, callback);
        return { dispose: () => void (commands.delete(id), disposed.push(`command:${id}`)) };
      },
    },
    containerEngine: {
      onEvent: () => disposable('containerEngine.onEvent'),
      listImages: async () => [],
      listInfos: async () => [],
    },
    provider: {
      onDidUpdateContainerConnection: () => disposable('provider.onDidUpdateContainerConnection'),
      // Bootc Studio's VMs in Settings → Resources.
      createProvider: (options: { id: string; name: string }) => {
        providers.push(options);
        return {
          setVmProviderConnectionFactory: () => disposable(`factory:${options.id}`),
          registerVmProviderConnection: (connection: { name: string }) => disposable(`connection:${connection.name}`),
          dispose: () => void disposed.push(`provider:${options.id}`),
        };
      },
    },
    EventEmitter: class {
      event = () => ({ dispose: () => undefined });
      fire(): void {}
      dispose(): void {}
    },
    env: { openExternal: async () => true, isLinux: true, isMac: false, isWindows: false },
  };
  const errors: string[] = [];
  const strict = new Proxy(api, {
    get(target, property) {
      if (property in target) return target[property as keyof typeof target];
      if (typeof property === 'symbol' || property === 'then' || property === '__esModule' || property === 'default')
        return undefined;
      throw new Error(`recording API: ${String(property)} is not implemented`);
    },
  });
  return { api: strict, commands, panels, disposed, errors, host, providers };
}

export interface RecordedPanel {
  viewType: string;
  title: string;
  options: unknown;
  html: string;
  posted: unknown[];
  reveals: number;
  listeners: Set<(message: unknown) => void>;
  panel: {
    viewType: string;
    title: string;
    webview: Record<string, unknown>;
    reveal(): void;
    dispose(): void;
    onDidDispose(): unknown;
    onDidChangeViewState(): unknown;
  };
}
