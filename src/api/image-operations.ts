/**
 * Image builds, pushes and pulls as the page and the CLI see them: long operations that return an
 * id at once and report through a record the page re-reads when `imageOperationsChanged` arrives.
 */

export type ImageOperationKind = 'build' | 'push' | 'pull';
export type ImageOperationStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface LayerProgress {
  /** Layer (blob) id as the engine reports it, shortened. */
  id: string;
  /** The engine's word for it: "Pushing", "Layer already exists", "Download complete"… */
  status: string;
  current?: number;
  total?: number;
}

export interface ImageOperation {
  id: string;
  kind: ImageOperationKind;
  status: ImageOperationStatus;
  /** The image reference built, pushed or pulled (for a multi-platform build: the manifest list). */
  ref: string;
  engineId: string;
  engineName: string;
  /** Milliseconds since the epoch. */
  started: number;
  ended?: number;
  /** Byte progress of a push or pull, 0–100, from the layers' current/total; undefined when unknown. */
  percent?: number;
  /** The latest step ("STEP 3/5: RUN dnf -y install httpd") or status line. */
  message?: string;
  /**
   * Why it failed, as one message fit to show: the failing build step, or the registry's refusal
   * named (authentication required or denied, repository name unknown, TLS).
   */
  error?: string;
  /** What the user should know that does not fail it: a non-bootc result, a localhost/ reference. */
  warnings: string[];
  layers: LayerProgress[];
  /** The resulting image id (builds and pulls). */
  imageId?: string;
  /** The manifest digest the registry stored (pushes, where the engine reports it). */
  digest?: string;
  /** How many log lines exist so far; read them with readImageOperationLog. */
  logLines: number;
  /** What a build was started from, so that "New build" can start from it again. */
  source?: ImageBuildSource;
}

/** A build's folder and settings, without its build arguments (they may hold tokens). */
export interface ImageBuildSource {
  contextDir: string;
  containerfile?: string;
  platforms: string[];
  noCache: boolean;
  pull: boolean;
}

export interface ImageBuildRequest {
  /** Folder sent as the build context. */
  contextDir: string;
  /** Relative to contextDir; default `Containerfile`, then `Dockerfile`. */
  containerfile?: string;
  /** The full reference to tag the result with, e.g. `quay.io/me/os:1`. */
  tag: string;
  /** Target platforms, e.g. `linux/amd64`; several build one image each, joined in a manifest list named `tag`. */
  platforms: string[];
  buildArgs: Record<string, string>;
  noCache: boolean;
  /** Pull the base image even when present. */
  pull: boolean;
  /** The engine to build on; default the first running one. */
  engineId?: string;
}

export interface ImagePushRequest {
  ref: string;
  engineId?: string;
  /**
   * For the CLI and standalone mode; inside Podman Desktop the credentials saved in its registry
   * settings apply. Never stored, logged or returned.
   */
  credentials?: { username: string; password: string };
  /** false for a plain-HTTP registry. Default: verify, except loopback registries in standalone mode. */
  tlsVerify?: boolean;
}

export interface ImagePullRequest {
  ref: string;
  /** e.g. `linux/arm64`; default the engine's own. */
  platform?: string;
  engineId?: string;
}

export interface ExampleImage {
  id: string;
  name: string;
  description: string;
  /** What it is: a base image to start from, or an example built on one. */
  category: 'base' | 'example';
  /** The image to pull, e.g. `quay.io/fedora/fedora-bootc:42`. */
  image: string;
  architectures: string[];
  /** The example's Containerfile, shipped with the catalog so the page works offline. */
  containerfile?: string;
  /** Where it comes from (shown as a link). */
  sourceUrl?: string;
}

export const SUPPORTED_PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
