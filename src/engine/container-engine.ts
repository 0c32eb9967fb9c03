/**
 * The container-engine port: what the core needs of an engine, in the core's own words. Two
 * adapters implement it — podman-desktop.ts (Podman Desktop's API, inside Podman Desktop) and
 * podman-socket.ts (dockerode over a podman socket: CLI, standalone mode, tests) — and one
 * contract test suite holds them to the same behaviour. The container part (create, start, logs,
 * wait, stop, remove, list, inspect) is ContainerRuntime, in container-runtime.ts.
 */

import type { ContainerRuntime } from './container-runtime';

export interface EngineInfo {
  /**
   * The key every other call takes, stable across restarts of the engine's service: a local podman
   * is named by its host, store and mode, a remote one by its URL (engine-identity.ts).
   */
  id: string;
  /** Other ids this engine answers to (the socket-path id records written before kept). */
  aliases?: string[];
  /** The engine's host name, as it reports it. */
  hostname?: string;
  name: string;
  type: 'podman' | 'docker';
  version?: string;
  /** True when the engine runs as root (a rootful podman machine or root's podman on Linux). */
  rootful?: boolean;
  os?: string;
  arch?: string;
  /** The engine's actual image store root, e.g. /var/lib/containers/storage. */
  graphRoot?: string;
  /** True when the engine runs on another machine (ssh://): its paths are that machine's. */
  remote?: boolean;
  /** The podman machine that runs the engine (macOS, Windows), as Podman Desktop names it. */
  machine?: { name: string; vmType: string };
}

export interface EngineImage {
  id: string;
  engineId: string;
  engineName: string;
  /** `name:tag` references; empty when the image is untagged. */
  repoTags: string[];
  repoDigests: string[];
  labels: Record<string, string>;
  /** Bytes. */
  size: number;
  /** Milliseconds since the epoch. */
  created: number;
  digest?: string;
  /** Architecture, when the list answer carries it (podman ≥ 5.1); otherwise ask inspectImage. */
  arch?: string;
  /** True when the engine says so; engines that do not say leave it undefined. */
  isManifestList?: boolean;
}

export interface ImageDetails {
  id: string;
  engineId: string;
  repoTags: string[];
  repoDigests: string[];
  labels: Record<string, string>;
  arch: string;
  os: string;
  variant?: string;
  size: number;
  created: number;
  digest?: string;
}

export interface ManifestMember {
  digest: string;
  arch: string;
  os: string;
  variant?: string;
}

export interface ManifestDetails {
  engineId: string;
  members: ManifestMember[];
}

export interface ContainerEngine extends ContainerRuntime {
  /**
   * Running engines. An adapter over several engines (Podman Desktop's) leaves out one that does
   * not answer; an adapter bound to one endpoint rejects with EngineError instead.
   */
  listEngines(): Promise<EngineInfo[]>;
  /** Images of every running engine, manifest lists included. */
  listImages(): Promise<EngineImage[]>;
  /**
   * Full details of one image by id or reference. Rejects with EngineError when unknown. For a
   * manifest list's reference, podman answers with the member for the local platform.
   */
  inspectImage(engineId: string, idOrRef: string): Promise<ImageDetails>;
  /** The members of a manifest list; rejects with EngineError when `idOrRef` is not a manifest list. */
  inspectManifest(engineId: string, idOrRef: string): Promise<ManifestDetails>;

  /**
   * Builds an image from a Containerfile. Resolves when the build really ended, with the result;
   * rejects with EngineError carrying the failing step's message (even where the engine reports the
   * failure only as an event), or with a cancelled EngineError when `signal` aborts it. Several
   * platforms build one image each, joined in a manifest list named `tag`.
   */
  buildImage(engineId: string, options: BuildOptions, sink: BuildSink): Promise<BuildResult>;
  /**
   * Pushes a full reference to its registry (a manifest list with all its members). Resolves only
   * when the push ended; a registry's refusal rejects with one RegistryError that names the reason.
   */
  pushImage(engineId: string, ref: string, options: PushOptions, sink: TransferSink): Promise<PushResult>;
  /** Pulls a reference; resolves when the image is stored, rejects like pushImage. */
  pullImage(engineId: string, ref: string, options: PullOptions, sink: TransferSink): Promise<PullResult>;
  /** Adds the full reference `target` to the image `source` (an id or a reference). */
  tagImage(engineId: string, source: string, target: string): Promise<void>;
  /**
   * Removes the tag `ref` (a full `name:tag` reference) from its image and nothing else: the image
   * and its other tags stay. Refuses with an EngineError when `ref` is the image's only tag (that
   * would remove the image: deleteImage does that, after its in-use check).
   */
  untagImage(engineId: string, ref: string): Promise<void>;
  /**
   * Removes an image (an id, or a reference: then only that tag, unless it is the last one). Refuses
   * with an ImageInUseError naming the containers when a container uses it.
   */
  deleteImage(engineId: string, idOrRef: string): Promise<void>;
}

/** A registry's user name and password. Never logged, recorded or put in a message. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface BuildOptions {
  /** Absolute path of the folder sent as the build context. */
  contextDir: string;
  /** The Containerfile, relative to contextDir. */
  containerfile: string;
  /** The full reference of the result (the manifest list's name when several platforms are built). */
  tag: string;
  /** `os/arch[/variant]`; at least one. */
  platforms: string[];
  buildArgs: Record<string, string>;
  noCache: boolean;
  /** Pull the base image even when present. */
  pull: boolean;
  signal?: AbortSignal;
}

export interface BuildSink {
  /** One line of build output (a step, a command's output, a warning), without its newline. */
  log(line: string): void;
}

export interface BuildResult {
  /** The image id of the result (of the manifest list when several platforms were built). */
  imageId: string;
  /** For several platforms: one image id per platform, in the order asked. */
  platformImages?: { platform: string; imageId: string }[];
}

export interface PushOptions {
  /** Inside Podman Desktop, its saved registry credentials apply when none are given. */
  credentials?: RegistryCredentials;
  /** false for a plain-HTTP registry; undefined keeps the engine's default (verify). */
  tlsVerify?: boolean;
  signal?: AbortSignal;
}

export interface PullOptions extends PushOptions {
  /** `os/arch[/variant]`; undefined pulls the engine's own. */
  platform?: string;
}

/** What a push or pull reports as it goes, in the core's words. */
export interface TransferSink {
  /** A line for the operation's log. */
  log(line: string): void;
  /** A layer (blob) changed: its status and, where the engine says, bytes done of total. */
  layer(update: LayerUpdate): void;
}

export interface LayerUpdate {
  /** The blob's id as the engine reports it (shortened digest). */
  id: string;
  status: string;
  current?: number;
  total?: number;
  /** True once this layer needs no more transfer (pushed, exists, downloaded, already present). */
  done?: boolean;
}

export interface PushResult {
  /** The manifest digest the registry stored, when the engine says. */
  digest?: string;
}

export interface PullResult {
  imageId?: string;
}

/** A failure the engine reported, with a message fit to show a user. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * Whether `error` says the engine does not hold what was asked for (HTTP 404, or 400 for a
 * reference it cannot parse) — rather than that the engine failed (500, a broken connection, a
 * malformed answer): the one is the user's input, the other the engine's trouble.
 */
export function isNotOnEngine(error: unknown): boolean {
  if (error instanceof EngineAnswerError) return false;
  if (!(error instanceof EngineError)) return true;
  return error.statusCode === 404 || error.statusCode === 400;
}

/** The engine answered, but not what its API promises (malformed or wrong-typed JSON): nothing is built on it. */
export class EngineAnswerError extends EngineError {
  constructor(message: string) {
    super(message);
    this.name = 'EngineAnswerError';
  }
}

/** An operation stopped because its AbortSignal fired. */
export class CancelledError extends EngineError {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Why a registry refused, as far as its answer tells. */
export type RegistryFailure =
  | 'authentication-required'
  | 'authentication-denied'
  | 'name-unknown'
  | 'manifest-unknown'
  | 'tls'
  | 'unreachable'
  | 'other';

/** A registry's refusal of a push or pull, turned into one message that names the reason. */
export class RegistryError extends EngineError {
  constructor(
    message: string,
    readonly reason: RegistryFailure,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** An image cannot be deleted because containers use it. */
export class ImageInUseError extends EngineError {
  constructor(
    message: string,
    readonly containers: string[],
  ) {
    super(message, 409);
    this.name = 'ImageInUseError';
  }
}
