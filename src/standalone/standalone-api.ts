import type { ProviderOptions } from '@podman-desktop/api';

import type { HostUi } from './host-ui';
import { CancellationTokenSource, Disposable, EventEmitter, ProgressLocation } from './pd-primitives';
import { PdUri } from './pd-uri';
import type { StandaloneConfiguration } from './standalone-configuration';
import type { StandaloneContainerEngine } from './standalone-container-engine';
import { exec } from './standalone-process';
import type { StandaloneProviders } from './standalone-providers';
import type { WebviewRegistry } from './webview-host';

export interface StandaloneApiDeps {
  ui: HostUi;
  webviews: WebviewRegistry;
  containerEngine: StandaloneContainerEngine;
  /** What `provider.getContainerConnections()` answers. */
  connections: unknown[];
  /** `provider.createProvider` and what the extension registers on it (its VMs). */
  providers: StandaloneProviders;
  configuration: StandaloneConfiguration;
  /** Opens a URL for the user (standalone: the host page opens it in a new tab). */
  openExternal(url: string): Promise<boolean>;
  /**
   * Opens a local folder or file for the user (the desktop's opener) and tells the user when it
   * cannot. Without it, file URIs go to `openExternal` like any other.
   */
  openPath?(path: string): Promise<boolean>;
}

type Command = (...args: unknown[]) => unknown;

interface DialogOptions {
  defaultUri?: { fsPath: string };
  title?: string;
  openLabel?: string;
  saveLabel?: string;
  selectors?: string[];
}

/**
 * The `@podman-desktop/api` object of standalone mode: what Bootc Studio uses of Podman Desktop,
 * over the podman socket and Node. Reading anything else throws an error naming it, so a new API
 * call shows up at once rather than as `undefined is not a function`.
 */
export function createStandaloneApi(deps: StandaloneApiDeps) {
  const commands = new Map<string, Command>();
  const emptyEvent = new EventEmitter<unknown>().event;

  const api = {
    version: 'standalone',
    Uri: PdUri,
    Disposable,
    EventEmitter,
    CancellationTokenSource,
    ProgressLocation,
    commands: {
      registerCommand(id: string, callback: Command, thisArg?: unknown) {
        if (commands.has(id)) throw new Error(`command '${id}' already exists`);
        commands.set(id, thisArg ? callback.bind(thisArg) : callback);
        return new Disposable(() => commands.delete(id));
      },
      async executeCommand(id: string, ...args: unknown[]) {
        const command = commands.get(id);
        if (!command) throw new Error(`command '${id}' not found`);
        return command(...args);
      },
    },
    window: {
      createWebviewPanel(viewType: string, title: string, options?: { localResourceRoots?: { fsPath: string }[] }) {
        return deps.webviews.create(viewType, title, options);
      },
      async listWebviews() {
        return deps.webviews.all().map(panel => ({ id: panel.id, viewType: panel.viewType, title: panel.title }));
      },
      showInformationMessage: (message: string, ...items: string[]) => deps.ui.showMessage('info', message, items),
      showWarningMessage: (message: string, ...items: string[]) => deps.ui.showMessage('warning', message, items),
      showErrorMessage: (message: string, ...items: string[]) => deps.ui.showMessage('error', message, items),
      showNotification(options: { title?: string; body?: string; type?: 'info' | 'warn' | 'error' }) {
        const kind = options.type === 'error' ? 'error' : options.type === 'warn' ? 'warning' : 'info';
        return new Disposable(deps.ui.notify(kind, options.title, options.body ?? ''));
      },
      async withProgress<R>(
        options: { location?: number; title?: string; cancellable?: boolean },
        task: (
          progress: { report(value: { message?: string; increment?: number }): void },
          token: unknown,
        ) => Promise<R>,
      ): Promise<R> {
        const handle = deps.ui.startTask(options.title ?? 'Task', options.cancellable === true);
        // Podman Desktop takes `increment` as the task's percentage, not as a step to add.
        try {
          const result = await task({ report: value => handle.report(value.message, value.increment) }, handle.token);
          handle.finish('succeeded');
          return result;
        } catch (err: unknown) {
          handle.finish('failed', err instanceof Error ? err.message : String(err));
          throw err;
        }
      },
      async showOpenDialog(options: DialogOptions = {}) {
        const folders = options.selectors?.includes('openDirectory') ?? false;
        const multiple = options.selectors?.includes('multiSelections') ?? false;
        const answer = await deps.ui.askPath({
          kind: 'open',
          title: options.title ?? (folders ? 'Select a folder' : 'Select a file'),
          label: options.openLabel ?? (folders ? 'Folder' : 'File'),
          defaultPath: options.defaultUri?.fsPath,
          folders,
          multiple,
        });
        if (answer === undefined) return undefined;
        const paths = multiple
          ? answer
              .split('\n')
              .map(line => line.trim())
              .filter(Boolean)
          : [answer];
        return paths.map(path => PdUri.file(path));
      },
      async showSaveDialog(options: DialogOptions = {}) {
        const answer = await deps.ui.askPath({
          kind: 'save',
          title: options.title ?? 'Save as',
          label: options.saveLabel ?? 'File',
          defaultPath: options.defaultUri?.fsPath,
        });
        return answer === undefined ? undefined : PdUri.file(answer);
      },
    },
    containerEngine: deps.containerEngine,
    provider: {
      getContainerConnections: () => deps.connections,
      createProvider: (options: ProviderOptions) => deps.providers.createProvider(options),
      onDidUpdateContainerConnection: emptyEvent,
      onDidRegisterContainerConnection: emptyEvent,
      onDidUnregisterContainerConnection: emptyEvent,
    },
    configuration: {
      getConfiguration: (section?: string) => deps.configuration.getConfiguration(section),
      onDidChangeConfiguration: deps.configuration.onDidChangeConfiguration,
    },
    process: { exec },
    env: {
      isLinux: process.platform === 'linux',
      isMac: process.platform === 'darwin',
      isWindows: process.platform === 'win32',
      isFlatpak: false,
      appName: 'Bootc Studio (standalone)',
      // Podman Desktop hands file: URIs to the desktop (a folder opens in the file manager).
      openExternal: async (uri: PdUri) =>
        uri.scheme === 'file' && deps.openPath ? deps.openPath(uri.fsPath) : deps.openExternal(uri.toString()),
      clipboard: clipboard(),
      // Standalone mode sends no telemetry anywhere.
      createTelemetryLogger: () => ({
        logUsage() {},
        logError() {},
        dispose() {},
        onDidChangeEnableStates: emptyEvent,
        isUsageEnabled: false,
        isErrorsEnabled: false,
      }),
    },
    navigation: {
      async navigateToWebview(webviewId: string) {
        deps.ui.showPanel(webviewId);
      },
      register(routeId: string, commandId: string) {
        routes.set(routeId, commandId);
        return new Disposable(() => routes.delete(routeId));
      },
      async navigate(routeId: string, ...args: unknown[]) {
        const commandId = routes.get(routeId);
        if (!commandId) throw new Error(`route '${routeId}' is not registered`);
        await api.commands.executeCommand(commandId, ...args);
      },
    },
  };
  const routes = new Map<string, string>();

  return {
    api: strict(api, 'api'),
    commands,
  };
}

function clipboard() {
  let text = '';
  return {
    readText: async () => text,
    writeText: async (value: string) => {
      text = value;
    },
  };
}

/** Throws on reads of anything not implemented, naming it (`window.showQuickPick`, …). */
function strict<T extends object>(target: T, path: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === 'symbol' || property === 'then' || property === 'default' || property === '__esModule') {
        return Reflect.get(object, property, receiver);
      }
      if (!(property in object)) {
        throw new Error(
          `Standalone mode does not implement ${path === 'api' ? '' : `${path}.`}${property} of @podman-desktop/api`,
        );
      }
      const value = Reflect.get(object, property, receiver);
      const isNamespace =
        typeof value === 'object' && value !== null && !(value instanceof EventEmitter) && path === 'api';
      return isNamespace ? strict(value, property) : value;
    },
  });
}
