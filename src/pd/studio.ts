import { readFile } from 'node:fs/promises';

import * as pd from '@podman-desktop/api';

import { PUSH_CHANNELS } from '../api/rpc-protocol';
import { errorMessage } from '../api/errors';
import { buildFormRoute, ROUTES } from '../api/routes';
import { DEFAULT_BUILD_TIMEOUT_MINUTES, DiskBuildService } from '../builds/disk-build-service';
import type { BuildableImage } from '../api/disk-builds';
import type { EngineInfo } from '../engine/container-engine';
import { RefreshingCache, withCachedEngineList } from '../engine/engine-facts-cache';
import { PodmanDesktopEngine } from '../engine/pd/podman-desktop';
import { DiskBuildJobs } from '../builds/disk-build-jobs';
import { ImageOperations } from '../images/image-operations';
import { JobRegistry } from '../jobs/job-registry';
import { RouteRegistry } from '../rpc/route-registry';
import { RpcServer } from '../rpc/rpc-server';
import { createStudioApi } from '../rpc/studio-api';
import { buildDiskFinder } from '../vms/vm-build-disk';
import { cloudInitProbe } from '../vms/vm-cloud-init';
import { registerVmProvider } from './vm-provider';
import { VmService } from '../vms/vm-service';
import { Throttle } from '../rpc/throttle';
import { rewriteAssetUrls } from '../rpc/webview-html';
import { pdAdminRunner } from './admin-runner';
import { COMMANDS, imageRefFromMenuArgument } from './commands';
import { makeMachineRootful } from './machine-fix';
import { pdDialogs } from './dialogs';
import { followJobsAsTasks } from './job-tasks';

/** How often, at most, the page hears that jobs changed (progress ticks many times a second). */
const JOBS_PUSH_INTERVAL_MS = 250;
/** How old a remembered engine list or image fact may be before a visit refreshes it behind the answer. */
const FACTS_MAX_AGE_MS = 5_000;
/** Disk builds left running by a previous session are looked for this long after activation, not during it. */
const RECONCILE_DELAY_MS = 1000;
/** The preference (minutes) after which a disk build is stopped and marked failed. */
export const BUILD_TIMEOUT_SETTING = 'bootc-studio.build.timeout';
/** The preference naming the builder a new build form starts with (a BUILDER_PRESETS key). */
export const BUILD_BUILDER_SETTING = 'bootc-studio.build.builder';

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
  // One registry of every job: the image operations run in it, the disk builds are attached to it.
  const jobs = new JobRegistry();
  const operations = new ImageOperations({ jobs });
  // The engine list and the form's image facts are answered from memory and refreshed behind (engine-facts-cache.ts).
  const engineList = new RefreshingCache<EngineInfo[]>({
    maxAgeMs: FACTS_MAX_AGE_MS,
    keep: engines => Array.isArray(engines) && engines.length > 0,
    onChanged: () => void server.push(PUSH_CHANNELS.enginesChanged),
  });
  const engine = withCachedEngineList(new PodmanDesktopEngine(pd.containerEngine, pd.provider), engineList);
  const imageFacts = new RefreshingCache<BuildableImage>({
    maxAgeMs: FACTS_MAX_AGE_MS,
    onChanged: () => void server.push(PUSH_CHANNELS.imagesChanged),
  });
  const builds = new DiskBuildService({
    engine,
    storeDir: context.storagePath,
    timeoutMs: () => buildTimeoutMinutes() * 60_000,
    // A rootless podman on Linux: the builder runs on root's podman, through one pkexec prompt.
    ...(pd.env.isLinux ? { handoff: { admin: pdAdminRunner(pd.process) } } : {}),
  });
  const vms = new VmService({
    storeDir: context.storagePath,
    jobs,
    buildDisk: buildDiskFinder(builds.store),
    cloudInitProbe: cloudInitProbe(async () => engine, builds.store),
  });
  // Called only after the server below exists.
  const pushImagesChanged = () => void server.push(PUSH_CHANNELS.imagesChanged);
  const openFolder = (path: string) => pd.env.openExternal(pd.Uri.file(path));
  const api = createStudioApi({
    engine,
    routes,
    operations,
    jobs,
    builds,
    vms,
    dialogs: pdDialogs(pd.window, pd.Uri),
    openExternal: url => pd.env.openExternal(pd.Uri.parse(url)),
    openFolder,
    describeImage: (engineId, ref) => imageFacts.get(`${engineId}\n${ref}`, () => builds.describeImage(engineId, ref)),
    imagesChanged: pushImagesChanged,
    defaultBuilder: () => setting(BUILD_BUILDER_SETTING),
    makeMachineRootful: async machine => {
      const done = await makeMachineRootful(
        {
          exec: (command, args, options) => pd.process.exec(command, args, options),
          withProgress: pd.window.withProgress,
          taskWidget: () => pd.ProgressLocation.TASK_WIDGET,
          showWarningMessage: (message, ...items) => pd.window.showWarningMessage(message, ...items),
        },
        machine,
      );
      if (done) {
        engineList.clear();
        void server.push(PUSH_CHANNELS.enginesChanged);
      }
      return done;
    },
  });
  const server = new RpcServer(panel.webview, api);
  context.subscriptions.push(server);

  context.subscriptions.push(
    { dispose: () => operations.dispose() },
    { dispose: () => jobs.dispose() },
    operations.onDidChange(operation => {
      // A built or pulled image shows on the Images page at once, whatever the engine's events do.
      if (operation.status === 'succeeded' && operation.kind !== 'push') pushImagesChanged();
    }),
  );

  const jobsChanged = new Throttle(() => void server.push(PUSH_CHANNELS.jobsChanged), JOBS_PUSH_INTERVAL_MS);
  const vmsChanged = new Throttle(() => void server.push(PUSH_CHANNELS.vmsChanged), JOBS_PUSH_INTERVAL_MS);
  context.subscriptions.push(
    { dispose: () => vmsChanged.dispose() },
    vms.onDidChange(() => vmsChanged.request()),
    // The VMs go on without the extension; the next activation finds them again.
    { dispose: () => vms.dispose() },
    // Every VM in Settings → Resources, with start/stop/delete and a terminal.
    registerVmProvider(
      { createProvider: options => pd.provider.createProvider(options), EventEmitter: pd.EventEmitter },
      vms,
      jobs,
    ),
  );
  context.subscriptions.push(
    jobs.attach(new DiskBuildJobs(builds)),
    { dispose: () => jobsChanged.dispose() },
    jobs.onDidChange(() => jobsChanged.request()),
    // Every job this process runs, of any kind, in the task widget, and its end notice.
    followJobsAsTasks(jobs, {
      withProgress: (options, task) => pd.window.withProgress(options, task),
      taskWidget: () => pd.ProgressLocation.TASK_WIDGET,
      showNotification: options => pd.window.showNotification(options),
      showInformationMessage: (message, ...items) => pd.window.showInformationMessage(message, ...items),
      showErrorMessage: (message, ...items) => pd.window.showErrorMessage(message, ...items),
      openFolder,
      showRoute: route => {
        routes.set(route);
        panel.reveal();
      },
    }),
  );

  // The builds a previous session left running are taken over once activation is done (it waits on nothing).
  const reconcile = () => void builds.reconcile('adopt');
  const reconcileTimer = setTimeout(reconcile, RECONCILE_DELAY_MS);
  reconcileTimer.unref?.();
  context.subscriptions.push(
    { dispose: () => clearTimeout(reconcileTimer) },
    // The builders go on without the extension; the next activation takes them over.
    { dispose: () => void builds.dispose() },
  );

  context.subscriptions.push(
    routes.onDidSet(() => void server.push(PUSH_CHANNELS.routePending)),
    pd.containerEngine.onEvent(event => {
      if ((event.Type ?? event.type) !== 'image') return;
      imageFacts.markStale();
      void server.push(PUSH_CHANNELS.imagesChanged);
    }),
    pd.provider.onDidUpdateContainerConnection(() => {
      engineList.clear();
      imageFacts.clear();
      void server.push(PUSH_CHANNELS.enginesChanged);
      void server.push(PUSH_CHANNELS.imagesChanged);
      // An engine that (re)started may hold builds of a previous session.
      reconcile();
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
    pd.commands.registerCommand(COMMANDS.runAsVm, async (arg: unknown) => {
      const image = imageRefFromMenuArgument(arg);
      if (!image) {
        void pd.window.showErrorMessage('Run as VM: this row has no image reference to run.');
        return;
      }
      try {
        await api.runImageAsVm(image.ref, image.engineId);
        routes.set(ROUTES.virtualMachines);
        panel.reveal();
      } catch (error: unknown) {
        void pd.window.showErrorMessage(`Run as VM: ${errorMessage(error)}`);
      }
    }),
  );
}

/** The build time limit preference, in minutes (the manifest's default when unset or not a positive number). */
/** A preference by its full key (`bootc-studio.build.timeout`), as Podman Desktop has it. */
function setting(key: string): unknown {
  const [section, ...rest] = key.split('.');
  return pd.configuration.getConfiguration(section).get<unknown>(rest.join('.'));
}

function buildTimeoutMinutes(): number {
  const value = setting(BUILD_TIMEOUT_SETTING);
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : DEFAULT_BUILD_TIMEOUT_MINUTES;
}
