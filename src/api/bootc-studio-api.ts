import type { Day2Api } from './day2-api';
import type { DiskBuildsApi } from './disk-builds-api';
import type { ImagesApi } from './images-api';
import type { JobsApi } from './jobs';
import type { EngineSummary, Route } from './models';
import type { VmsApi } from './vms-api';

/**
 * What the webview may ask of the backend: the calls of each room (jobs, images, disk builds, VMs, day 2) and
 * the shell's own few. Every method returns a promise; every argument and result is structured-clone
 * data (see models.ts).
 */
export interface BootcStudioApi extends JobsApi, ImagesApi, DiskBuildsApi, VmsApi, Day2Api {
  /** Running engines, as far as they answer. */
  listEngines(): Promise<EngineSummary[]>;
  /**
   * The pending deep link (e.g. set by the "Build Disk Image" context-menu command), consumed by
   * this call: the page pulls it once when it mounts.
   */
  takePendingRoute(): Promise<Route | undefined>;
  /** Opens a URL in the user's browser (links to docs from the empty states). */
  openExternal(url: string): Promise<boolean>;
  /** Asks the user for a folder (Podman Desktop's dialog); undefined when cancelled. */
  selectFolder(title: string, defaultPath?: string): Promise<string | undefined>;
}

/** Methods that open dialogs or wait for the user, and so are exempt from the call timeout. */
export const NO_TIMEOUT_METHODS: readonly (keyof BootcStudioApi)[] = [
  'selectFolder',
  'saveExampleContainerfile',
  'importBuildConfig',
  'exportBuildConfig',
  'makeMachineRootful',
  // Runs a container of the image: seconds for a large one.
  'lintImageForBuild',
  // Waits its turn behind other starts and on the engine's answers: tens of seconds under load
  // (twenty builds asked at once), and the build may well start after a page gave up on it.
  'startDiskBuild',
];

/** Default time a call may take before the page gives up on it, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
