import type { BootcImage, EngineSummary, Route } from './models';

/**
 * What the webview may ask of the backend. Every method returns a promise; every argument and
 * result is structured-clone data (see models.ts).
 */
export interface BootcStudioApi {
  /** Bootc images of every running engine. Engines that fail to answer are skipped, not fatal. */
  listBootcImages(): Promise<BootcImage[]>;
  /** Running engines, as far as they answer. */
  listEngines(): Promise<EngineSummary[]>;
  /**
   * The pending deep link (e.g. set by the "Build Disk Image" context-menu command), consumed by
   * this call: the page pulls it once when it mounts.
   */
  takePendingRoute(): Promise<Route | undefined>;
  /** Opens a URL in the user's browser (links to docs from the empty states). */
  openExternal(url: string): Promise<boolean>;
}

/** Methods that open dialogs or wait for the user, and so are exempt from the call timeout. */
export const NO_TIMEOUT_METHODS: readonly (keyof BootcStudioApi)[] = [];

/** Default time a call may take before the page gives up on it, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
