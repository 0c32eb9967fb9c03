/**
 * The container-engine port: what the core needs of an engine, in the core's own words. Two
 * adapters implement it — podman-desktop.ts (Podman Desktop's API, inside Podman Desktop) and
 * podman-socket.ts (dockerode over a podman socket: CLI, standalone mode, tests) — and one
 * contract test suite holds them to the same behaviour. Later issues extend it (build, push,
 * pull, containers).
 */

export interface EngineInfo {
  /** Stable within a session; the key every other call takes. */
  id: string;
  name: string;
  type: 'podman' | 'docker';
  version?: string;
  /** True when the engine runs as root (a rootful podman machine or root's podman on Linux). */
  rootful?: boolean;
  os?: string;
  arch?: string;
  /** The engine's actual image store root, e.g. /var/lib/containers/storage. */
  graphRoot?: string;
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

export interface ContainerEngine {
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
