/**
 * Disk-image builds as the page and the CLI see them: one record per build
 * (`builds/<id>/build.json` in the store), re-read when `diskBuildsChanged` arrives.
 */
import type { BuildConfig, DiskBuildImageFacts, DiskBuildRequest, DiskImageType } from './disk-build';

export type DiskBuildStatus = 'queued' | 'preparing' | 'building' | 'succeeded' | 'failed' | 'cancelled' | 'lost';

export const FINISHED_STATUSES: readonly DiskBuildStatus[] = ['succeeded', 'failed', 'cancelled', 'lost'];

export interface DiskBuildArtifact {
  type: DiskImageType;
  /** Absolute path on the engine's machine. */
  path: string;
  /** Bytes, once the build has written it. */
  size?: number;
  /** The file's identity when the build ended (with `size`): a later file at the same path is another one. */
  mtimeMs?: number;
  ino?: number;
  dev?: number;
  /**
   * What is at `path` now, read whenever the record is read (finished builds on this machine):
   * the file this build wrote, nothing, or another file (a later build, or someone else).
   */
  state?: ArtifactState;
  /** `replaced`: the build whose artifact is there now, when one of the store's builds wrote it. */
  replacedBy?: string;
}

export type ArtifactState = 'present' | 'missing' | 'replaced';

/** What is already in an output folder that a new build would overwrite or mix with. */
export interface OutputFolderConflict {
  /** Absolute path of the file. */
  path: string;
  /** The build of the store that wrote it, when one did. */
  buildId?: string;
}

export interface OutputFolderCheck {
  conflicts: OutputFolderConflict[];
  /** A fresh subfolder of the chosen folder, named after the image and the date (does not exist yet). */
  suggestion: string;
}

/** What a delete removed, and what it left because the file is no longer the build's own. */
export interface DiskBuildDeleteResult {
  removed: string[];
  kept: { path: string; reason: string }[];
}

export interface DiskBuildRecord {
  id: string;
  /** The request with every secret removed (passwords, kickstart passwords): safe to show and store. */
  request: DiskBuildRequest;
  status: DiskBuildStatus;
  /** 0–100 from osbuild's step counts; undefined before the builder reports any. */
  percent?: number;
  /** The current stage or step, as the builder names it. */
  message?: string;
  /** Milliseconds since the epoch. */
  created: number;
  started?: number;
  ended?: number;
  engineId: string;
  engineName: string;
  /** True when the engine runs on another machine: the output folder is on that machine. */
  remote: boolean;
  /** The engine is a rootless podman on Linux: the image was handed to root's podman, where the builder ran. */
  handoff?: boolean;
  builderImage: string;
  /** The builder container, while it exists. */
  containerId?: string;
  artifacts: DiskBuildArtifact[];
  /** Why it failed, was cancelled or lost, as one message fit to show. */
  error?: string;
  /** False when the finished build's log file is gone (read whenever the record is read). */
  logPresent?: boolean;
  /** `image-build-<id>.log` in the output folder (a remote build: beside the record). */
  logPath: string;
}

/** What the form shows before a build starts: exactly what will run, secrets masked. */
export interface DiskBuildPreview {
  configToml: string;
  command: string;
  warnings: string[];
  /** A fix the extension can apply for the first warning (a rootless podman machine). */
  fix?: EngineFix;
  /** The output folder as Build would find it (an engine on this machine only). */
  outputFolder?: OutputFolderState;
}

/**
 * A local output folder: there; missing, and Build will create it (`message` says so); or one Build
 * would refuse (`message` says why, in the form's words).
 */
export type OutputFolderState =
  { state: 'exists' } | { state: 'missing'; message: string } | { state: 'refused'; message: string };

/** The engine is a rootless podman machine: it can be made rootful (stopped, set, started). */
export interface EngineFix {
  kind: 'make-machine-rootful';
  engineId: string;
  machine: string;
}

/**
 * What `bootc container lint` found in an image (run in a throw-away container without network):
 * `checked` false when the image's bootc cannot lint. Errors stop a build unless the user goes on.
 */
export interface LintFindings {
  checked: boolean;
  errors: string[];
  warnings: string[];
}

/** An image as the build form needs it: which architectures and filesystems to offer. */
export interface BuildableImage extends Required<DiskBuildImageFacts> {
  ref: string;
  engineId: string;
}

export interface ImportedBuildConfig {
  config: BuildConfig;
  /** Dotted paths of fields the form does not know; kept and written back on export. */
  unknownFields: string[];
}
