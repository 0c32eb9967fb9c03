import type { ExampleImage, ImageBuildRequest, ImagePullRequest, ImagePushRequest } from './image-operations';
import type { BuildConfig, BuilderPreset, DiskBuildRequest } from './disk-build';
import type {
  BuildableImage,
  DiskBuildDeleteResult,
  DiskBuildPreview,
  ImportedBuildConfig,
  OutputFolderCheck,
} from './disk-builds';
import type { ImageDeleteResult } from './image-delete';
import type { JobsApi } from './jobs';
import type { BootcImage, EngineSummary, Route } from './models';

/**
 * What the webview may ask of the backend. Every method returns a promise; every argument and
 * result is structured-clone data (see models.ts).
 */
export interface BootcStudioApi extends JobsApi {
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

  // Images: build, push, pull, delete. Long operations answer with their job id at once (see JobsApi).

  /** Starts a build from a Containerfile; rejects (nothing started) when a field is invalid, naming it. */
  buildImage(request: ImageBuildRequest): Promise<string>;
  /** Starts a push of a full reference to its registry. */
  pushImage(request: ImagePushRequest): Promise<string>;
  /** Starts a pull. */
  pullImage(request: ImagePullRequest): Promise<string>;
  /** Tags an image with another full reference (e.g. for a registry, before pushing a localhost/ image). */
  tagImage(engineId: string, source: string, target: string): Promise<void>;
  /**
   * Deletes one tag (`target` a tag: the image stays while it has others) or a whole image with all
   * its tags (`target` its id, or its last tag); answers what went. `shownTags`, the image's tags as
   * the user saw them: when the engine's differ, nothing is deleted. Refuses, saying why, when a
   * container uses the image. The page confirms first.
   */
  deleteImage(engineId: string, target: string, shownTags?: string[]): Promise<ImageDeleteResult>;
  /** The examples catalog, which ships with the extension (works offline). */
  listExamples(): Promise<ExampleImage[]>;
  /** Asks the user for a folder (Podman Desktop's dialog); undefined when cancelled. */
  selectFolder(title: string, defaultPath?: string): Promise<string | undefined>;
  /** The Containerfile the build would use in `contextDir` (`Containerfile`, then `Dockerfile`), if any. */
  detectContainerfile(contextDir: string): Promise<string | undefined>;
  /** Saves an example's Containerfile into a folder the user picks; the path written, or undefined if cancelled. */
  saveExampleContainerfile(exampleId: string): Promise<string | undefined>;

  // Disk-image builds. A build answers with its id at once: a job of kind disk-build, its record the detail.

  /** Validates (rejecting with the fields named), then starts a build; nothing is started on a bad input. */
  startDiskBuild(
    request: DiskBuildRequest,
    options?: { overwrite?: boolean; createOutputDir?: boolean },
  ): Promise<string>;
  /**
   * What a build of `image` (`types`) into the folder `dir` would overwrite: other builds' artifacts
   * (by build) and files at the builder's paths; and a fresh subfolder to offer instead. Without
   * `{ overwrite: true }`, startDiskBuild refuses such a folder.
   */
  checkOutputFolder(dir: string, image: string, types: string[]): Promise<OutputFolderCheck>;
  /**
   * Removes the record and, unless `keepFiles`, the artifacts and log that are still the build's own
   * (the page confirms first); answers what it removed and what it left (replaced since) and why.
   */
  deleteDiskBuild(buildId: string, keepFiles: boolean): Promise<DiskBuildDeleteResult>;
  /**
   * Opens the build's output folder in the file manager of this machine. Refuses, naming the
   * folder, when it is on a remote engine's machine or no longer exists. Answers whether the host
   * opened it; when it could not, the host has told the user (or the user declined).
   */
  openDiskBuildFolder(buildId: string): Promise<boolean>;
  /** The exact config.toml and builder command the request would run, passwords masked. */
  previewDiskBuild(request: DiskBuildRequest): Promise<DiskBuildPreview>;
  /** What a new build form starts with: the builder of the preferences. */
  getBuildDefaults(): Promise<{ builder: BuilderPreset }>;
  /**
   * Makes the podman machine behind the engine rootful (asks first; stops it, sets it, starts it
   * again, as a task). Answers whether it did; refuses an engine that is not a podman machine.
   */
  makeMachineRootful(engineId: string): Promise<boolean>;
  /** Architectures and labels of an image, for the form's choices. */
  describeImageForBuild(engineId: string, ref: string): Promise<BuildableImage>;
  /** Asks for a config.toml / config.json and reads it into the form's model. */
  importBuildConfig(): Promise<ImportedBuildConfig | undefined>;
  /** Asks where to save, then writes the form's config as config.toml (passwords hashed). */
  exportBuildConfig(config: BuildConfig): Promise<string | undefined>;
  /** The user's SSH public keys (`~/.ssh/*.pub`), for "use my key". */
  listSshPublicKeys(): Promise<{ path: string; key: string }[]>;
}

/** Methods that open dialogs or wait for the user, and so are exempt from the call timeout. */
export const NO_TIMEOUT_METHODS: readonly (keyof BootcStudioApi)[] = [
  'selectFolder',
  'saveExampleContainerfile',
  'importBuildConfig',
  'exportBuildConfig',
  'makeMachineRootful',
];

/** Default time a call may take before the page gives up on it, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
