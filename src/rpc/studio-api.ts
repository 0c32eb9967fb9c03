/**
 * The backend's implementation of the webview contract: one handler per room (jobs, images, disk
 * builds, VMs, day 2) and the shell's own few calls, composed into the one object the RPC server answers from.
 * Each handler only checks arguments and delegates to its room.
 */

import type { BootcStudioApi } from '../api/bootc-studio-api';
import type { BuildableImage } from '../api/disk-builds';
import type { EngineSummary, Route } from '../api/models';
import type { DiskBuildService } from '../builds/disk-build-service';
import type { ContainerEngine } from '../engine/container-engine';
import type { ImageOperations } from '../images/image-operations';
import type { JobRegistry } from '../jobs/job-registry';
import { checkOptionalAbsolutePath, checkTitle, refuse } from './argument-checks';
import { Day2Handlers } from './day2-handlers';
import { DiskBuildsHandlers } from './disk-builds-handlers';
import { ImagesHandlers } from './images-handlers';
import { JobsHandlers } from './jobs-handlers';
import type { RouteRegistry } from './route-registry';
import type { StudioDialogs } from './studio-dialogs';
import { VmsHandlers } from './vms-handlers';
import type { VmService } from '../vms/vm-service';

export interface StudioApiDeps {
  engine: ContainerEngine;
  routes: RouteRegistry;
  operations: ImageOperations;
  /** Every job of every kind (the image operations' registry, with the disk builds attached). */
  jobs: JobRegistry;
  builds: DiskBuildService;
  vms: VmService;
  dialogs: StudioDialogs;
  /** The user's home, for `~/.ssh/*.pub`; default os.homedir(). */
  home?: string;
  openExternal(url: string): Promise<boolean>;
  /**
   * Opens a folder of this machine in its file manager; whether it did. A host that cannot says
   * so to the user itself, naming the folder.
   */
  openFolder(path: string): Promise<boolean>;
  /** The form's image facts, where the host remembers them (engine-facts-cache.ts); else asked of `builds`. */
  describeImage?(engineId: string, ref: string): Promise<BuildableImage>;
  /** Called after a tag or delete changed the engine's images (the wiring pushes `imagesChanged`). */
  imagesChanged?(): void;
  /** The builder preference; anything but a preset's name counts as unset. */
  defaultBuilder?(): unknown;
  /** Makes a podman machine rootful (asks first); whether it did. Absent where machines cannot be changed. */
  makeMachineRootful?(machine: { name: string; vmType: string }): Promise<boolean>;
}

/** The shell's own calls: engines, the pending deep link, links and the folder dialog. */
class ShellHandlers {
  constructor(private readonly deps: StudioApiDeps) {}

  async listEngines(): Promise<EngineSummary[]> {
    return this.deps.engine.listEngines();
  }

  async takePendingRoute(): Promise<Route | undefined> {
    return this.deps.routes.take();
  }

  async openExternal(url: unknown): Promise<boolean> {
    const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : undefined;
    if (parsed?.protocol !== 'https:') refuse('url', `only https links can be opened, got ${JSON.stringify(url)}`);
    return this.deps.openExternal(parsed.toString());
  }

  async selectFolder(title: unknown, defaultPath?: unknown): Promise<string | undefined> {
    return this.deps.dialogs.selectFolder(
      checkTitle('title', title),
      checkOptionalAbsolutePath('defaultPath', defaultPath),
    );
  }
}

/** A handler's public calls (its private dependencies left out). */
type Calls<T> = Pick<T, keyof T>;

/** Every room's calls, as they take their arguments: unchecked, from the page. */
export type StudioApi = Calls<ShellHandlers> &
  Calls<JobsHandlers> &
  Calls<ImagesHandlers> &
  Calls<DiskBuildsHandlers> &
  Calls<VmsHandlers> &
  Calls<Day2Handlers>;

/**
 * The contract's implementation: every room's calls, each bound to its handler. The RPC server
 * answers only these (the object's own functions).
 */
export function createStudioApi(deps: StudioApiDeps): StudioApi {
  const rooms = [
    new ShellHandlers(deps),
    new JobsHandlers(deps.jobs),
    new ImagesHandlers(deps),
    new DiskBuildsHandlers(deps),
    new VmsHandlers(deps),
    new Day2Handlers(deps),
  ];
  const api: Record<string, unknown> = {};
  for (const room of rooms) {
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(room))) {
      const method = (room as unknown as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof method !== 'function') continue;
      if (name in api) throw new Error(`two rooms answer ${name}`);
      api[name] = method.bind(room);
    }
  }
  return api as unknown as StudioApi;
}

// The composition answers the whole contract: a call missing from every room fails to compile here.
const _answersTheContract = (api: StudioApi): BootcStudioApi => api;
void _answersTheContract;
