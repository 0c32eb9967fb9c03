import { readFile } from 'node:fs/promises';

import * as pd from '@podman-desktop/api';

import { PUSH_CHANNELS } from '../api/rpc-protocol';
import { buildFormRoute } from '../api/routes';
import { PodmanDesktopEngine } from '../engine/podman-desktop';
import { RouteRegistry } from '../rpc/route-registry';
import { RpcServer } from '../rpc/rpc-server';
import { StudioApi } from '../rpc/studio-api';
import { rewriteAssetUrls } from '../rpc/webview-html';
import { COMMANDS, imageRefFromMenuArgument } from './commands';

export const WEBVIEW_VIEW_TYPE = 'bootc-studio';
export const WEBVIEW_TITLE = 'Bootable Containers';

/**
 * Wires Bootc Studio into Podman Desktop: the webview, the bridge, the commands and the engine
 * events. Activation does no network, process or engine work; everything it creates is handed to
 * the extension context's subscriptions so deactivation releases it.
 */
export async function activateStudio(context: pd.ExtensionContext): Promise<void> {
  const mediaUri = pd.Uri.joinPath(context.extensionUri, 'media');
  const panel = pd.window.createWebviewPanel(WEBVIEW_VIEW_TYPE, WEBVIEW_TITLE, { localResourceRoots: [mediaUri] });
  context.subscriptions.push(panel);

  const html = await readFile(pd.Uri.joinPath(mediaUri, 'index.html').fsPath, 'utf8');
  panel.webview.html = rewriteAssetUrls(html, relative =>
    panel.webview.asWebviewUri(pd.Uri.joinPath(mediaUri, relative)).toString(),
  );

  const routes = new RouteRegistry();
  const api = new StudioApi({
    engine: new PodmanDesktopEngine(pd.containerEngine),
    routes,
    openExternal: url => pd.env.openExternal(pd.Uri.parse(url)),
  });
  const server = new RpcServer(panel.webview, api);
  context.subscriptions.push(server);

  context.subscriptions.push(
    routes.onDidSet(() => void server.push(PUSH_CHANNELS.routePending)),
    pd.containerEngine.onEvent(event => {
      if ((event.Type ?? event.type) === 'image') void server.push(PUSH_CHANNELS.imagesChanged);
    }),
    pd.provider.onDidUpdateContainerConnection(() => {
      void server.push(PUSH_CHANNELS.enginesChanged);
      void server.push(PUSH_CHANNELS.imagesChanged);
    }),
    pd.commands.registerCommand(COMMANDS.open, () => panel.reveal()),
    pd.commands.registerCommand(COMMANDS.buildDiskImage, (arg: unknown) => {
      const image = imageRefFromMenuArgument(arg);
      if (!image) {
        void pd.window.showErrorMessage('Build Disk Image: this row has no image reference to build from.');
        return;
      }
      routes.set(buildFormRoute(image.ref, image.engineId));
      panel.reveal();
    }),
  );
}
