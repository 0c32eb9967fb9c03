import { readFile } from 'node:fs/promises';

import * as pd from '@podman-desktop/api';

import { PUSH_CHANNELS } from '../api/rpc-protocol';
import { buildFormRoute } from '../api/routes';
import { PodmanDesktopEngine } from '../engine/podman-desktop';
import { ImageOperations } from '../images/image-operations';
import { RouteRegistry } from '../rpc/route-registry';
import { RpcServer } from '../rpc/rpc-server';
import { StudioApi } from '../rpc/studio-api';
import { Throttle } from '../rpc/throttle';
import { rewriteAssetUrls } from '../rpc/webview-html';
import { COMMANDS, imageRefFromMenuArgument } from './commands';
import { pdDialogs } from './dialogs';
import { followOperationsAsTasks } from './operation-tasks';

/** How often, at most, the page hears that image operations changed (progress ticks many times a second). */
const OPERATIONS_PUSH_INTERVAL_MS = 250;

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
  const operations = new ImageOperations();
  // Called only after the server below exists.
  const pushImagesChanged = () => void server.push(PUSH_CHANNELS.imagesChanged);
  const api = new StudioApi({
    engine: new PodmanDesktopEngine(pd.containerEngine, pd.provider),
    routes,
    operations,
    dialogs: pdDialogs(pd.window, pd.Uri),
    openExternal: url => pd.env.openExternal(pd.Uri.parse(url)),
    imagesChanged: pushImagesChanged,
  });
  const server = new RpcServer(panel.webview, api);
  context.subscriptions.push(server);

  const operationsChanged = new Throttle(
    () => void server.push(PUSH_CHANNELS.imageOperationsChanged),
    OPERATIONS_PUSH_INTERVAL_MS,
  );
  context.subscriptions.push(
    { dispose: () => operationsChanged.dispose() },
    { dispose: () => operations.dispose() },
    operations.onDidChange(operation => {
      operationsChanged.request();
      // A built or pulled image shows on the Images page at once, whatever the engine's events do.
      if (operation.status === 'succeeded' && operation.kind !== 'push') pushImagesChanged();
    }),
    followOperationsAsTasks(operations, {
      withProgress: (options, task) => pd.window.withProgress(options, task),
      showNotification: options => pd.window.showNotification(options),
      taskWidget: () => pd.ProgressLocation.TASK_WIDGET,
    }),
  );

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
