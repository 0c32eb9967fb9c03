import type { BuildConfig, BuilderPreset, DiskBuildRequest } from './disk-build';
import type {
  BuildableImage,
  DiskBuildDeleteResult,
  DiskBuildPreview,
  ImportedBuildConfig,
  LintFindings,
  OutputFolderCheck,
} from './disk-builds';

/**
 * What the webview may ask of the disk-builds room. A build answers with its id at once: a job of
 * kind disk-build (see JobsApi), its record the job's detail.
 */
export interface DiskBuildsApi {
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
  /** `bootc container lint` in the image (a throw-away container, no network), once per image ID. */
  lintImageForBuild(engineId: string, ref: string): Promise<LintFindings>;
  /** Architectures and labels of an image, for the form's choices. */
  describeImageForBuild(engineId: string, ref: string): Promise<BuildableImage>;
  /** Asks for a config.toml / config.json and reads it into the form's model. */
  importBuildConfig(): Promise<ImportedBuildConfig | undefined>;
  /** Asks where to save, then writes the form's config as config.toml (passwords hashed). */
  exportBuildConfig(config: BuildConfig): Promise<string | undefined>;
  /** The user's SSH public keys (`~/.ssh/*.pub`), for "use my key". */
  listSshPublicKeys(): Promise<{ path: string; key: string }[]>;
}
