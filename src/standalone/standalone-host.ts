import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { stableEngine } from '../engine/socket/podman-socket';
import type { EngineEndpoint } from '../engine/engine-endpoint';
import { openOnDesktop } from './desktop-opener';
import { HostUi } from './host-ui';
import type { MenuTarget } from './host-ui';
import { overrideModuleLoad } from './module-loader';
import { PdUri } from './pd-uri';
import { StandaloneServer } from './server';
import { createStandaloneApi } from './standalone-api';
import { StandaloneConfiguration } from './standalone-configuration';
import { factoryFields, StandaloneProviders } from './standalone-providers';
import { containerConnectionFor, createStandaloneContainerEngine } from './standalone-container-engine';
import { evaluateWhen } from './when-clause';
import { WebviewRegistry } from './webview-host';

export interface StandaloneOptions {
  /** The extension folder: package.json with `main`, dist/, media/. */
  extensionRoot: string;
  endpoint: EngineEndpoint;
  /** Bootc Studio's store (records); the extension's storagePath. */
  storeDir: string;
  /** 0 picks a free port. */
  port: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunningStandalone {
  /** The URL to open, with the session token. */
  url: string;
  origin: string;
  stop(): Promise<void>;
}

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  contributes?: {
    configuration?: {
      properties?: Record<string, { default?: unknown; scope?: string; description?: string; type?: string }>;
    };
    menus?: Record<string, { command: string; title: string; when?: string }[]>;
  };
}

interface Extension {
  activate(context: unknown): Promise<void> | void;
  deactivate?(): Promise<void> | void;
}

/**
 * Podman Desktop's part, played for one extension: serve its webviews, load its built bundle
 * through the same `Module._load` override, activate it with an API over the podman socket, and
 * offer its image context-menu actions in the host bar.
 */
export async function startStandalone(options: StandaloneOptions): Promise<RunningStandalone> {
  const manifest = JSON.parse(readFileSync(join(options.extensionRoot, 'package.json'), 'utf8')) as Manifest;
  const env = options.env ?? process.env;
  // The same podman keeps its id whichever socket serves it this time, so records outlive the run.
  // Named as the podman it is (`podman (rootful)`), not by this run's socket, which records outlive.
  const { id: engineId, name: engineName } = await stableEngine(options.endpoint, env);

  const ui = new HostUi();
  const webviews: WebviewRegistry = new WebviewRegistry({
    origin: (): string => server.origin,
    extensionRoot: options.extensionRoot,
    changed: (panels, reveal) => {
      ui.setPanels(panels.map(panel => ({ id: panel.id, title: panel.title })));
      if (reveal) ui.showPanel(reveal.id);
    },
  });
  const server = new StandaloneServer({
    port: options.port,
    token: randomBytes(24).toString('hex'),
    extensionRoot: options.extensionRoot,
    ui,
    webviews,
    engineLabel: `${engineName} (${options.endpoint.url})`,
  });
  await server.listen();

  const containerEngine = createStandaloneContainerEngine({ endpoint: options.endpoint, engineId, engineName, env });
  const configuration = new StandaloneConfiguration(
    join(options.storeDir, 'standalone-settings.json'),
    manifest.contributes?.configuration?.properties ?? {},
  );
  const providers = new StandaloneProviders(
    event => ui.broadcast(event),
    factoryFields(manifest.contributes?.configuration?.properties),
  );
  const watching = providers.watch();
  ui.resources = {
    summary: () => providers.snapshot(),
    handle: (command, reply) => providers.handle(command, reply),
  };

  const { api, commands } = createStandaloneApi({
    ui,
    providers,
    webviews,
    containerEngine,
    connections: [containerConnectionFor({ endpoint: options.endpoint, engineName })],
    configuration,
    openExternal: async url => ui.openUrl(url),
    openPath: path => openOnDesktop(path, message => void ui.showMessage('error', message), { env }),
  });

  ui.menus = {
    targets: async () =>
      imageMenuTargets(await containerEngine.listImages(), manifest.contributes?.menus?.['dashboard/image'] ?? []),
    run: async (targetId, commandId) => {
      const images = await containerEngine.listImages();
      const target = imageMenuArguments(images).find(candidate => candidate.id === targetId);
      if (!target) throw new Error('That image is gone; open the menu again.');
      const command = commands.get(commandId);
      if (!command) throw new Error(`The extension registered no command ${commandId}.`);
      await command(target.argument);
    },
  };

  const restoreLoader = overrideModuleLoad(options.extensionRoot, api);
  const subscriptions: { dispose(): unknown }[] = [];
  let extension: Extension;
  try {
    const main = join(options.extensionRoot, manifest.main);
    const requireFromExtension = createRequire(main);
    delete requireFromExtension.cache[main];
    extension = requireFromExtension(main) as Extension;
    await extension.activate({
      subscriptions,
      storagePath: options.storeDir,
      extensionUri: PdUri.file(options.extensionRoot),
      extensionMode: 1,
      secrets: memorySecrets(),
    });
  } catch (err: unknown) {
    watching.dispose();
    restoreLoader();
    containerEngine.dispose();
    await server.close();
    throw new Error(`The extension failed to activate: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }

  return {
    url: server.url,
    origin: server.origin,
    async stop() {
      try {
        await extension.deactivate?.();
      } finally {
        for (const subscription of subscriptions.splice(0)) {
          try {
            subscription.dispose();
          } catch (err: unknown) {
            console.error('standalone: a disposable threw', err);
          }
        }
        watching.dispose();
        restoreLoader();
        containerEngine.dispose();
        await server.close();
      }
    },
  };
}

interface ImageRow {
  Id: string;
  RepoTags?: string[];
  Labels?: Record<string, string> | null;
  engineId: string;
  engineName: string;
}

/** One row per tag, as Podman Desktop's image list shows them, with the object its menus receive. */
export function imageMenuArguments(images: ImageRow[]) {
  return images.flatMap(image => {
    const tags = image.RepoTags?.length ? image.RepoTags : ['<none>:<none>'];
    return tags.map(repoTag => {
      const colon = repoTag.lastIndexOf(':');
      const [name, tag] =
        colon > repoTag.lastIndexOf('/') ? [repoTag.slice(0, colon), repoTag.slice(colon + 1)] : [repoTag, 'latest'];
      const id = image.Id.replace(/^sha256:/, '');
      return {
        id: `${id}|${repoTag}`,
        label: name === '<none>' ? `<none> (${id.slice(0, 12)})` : `${name}:${tag}`,
        labels: image.Labels ?? {},
        argument: {
          id,
          shortId: id.slice(0, 12),
          name,
          tag,
          engineId: image.engineId,
          engineName: image.engineName,
          labels: image.Labels ?? {},
        },
      };
    });
  });
}

export function imageMenuTargets(
  images: ImageRow[],
  menu: { command: string; title: string; when?: string }[],
): MenuTarget[] {
  return imageMenuArguments(images)
    .map(row => ({
      id: row.id,
      label: row.label,
      actions: menu
        .filter(item => evaluateWhen(item.when, { imageLabelKeys: Object.keys(row.labels) }))
        .map(item => ({ command: item.command, title: item.title })),
    }))
    .filter(target => target.actions.length > 0)
    .sort((a, b) => a.label.localeCompare(b.label));
}

function memorySecrets() {
  const values = new Map<string, string>();
  return {
    get: async (key: string) => values.get(key),
    store: async (key: string, value: string) => void values.set(key, value),
    delete: async (key: string) => void values.delete(key),
    onDidChange: () => ({ dispose() {} }),
  };
}
