/**
 * The `containerEngine` namespace of standalone mode's Podman Desktop stand-in: what the extension
 * calls on `@podman-desktop/api`, served over ONE podman socket through the socket adapter's client,
 * with Podman Desktop's semantics (packages/main/src/plugin/container-registry.ts and
 * extension-loader.ts), because extension code relies on them:
 *
 * - every returned object carries `engineId`, `engineName` and `engineType: 'podman'`;
 * - builds: standalone-builds.ts; pushes and pulls: standalone-transfers.ts; containers and their
 *   logs: standalone-containers.ts; `onEvent` is fed by podman's event stream
 *   (standalone-engine-events.ts);
 * - the requests the socket adapter already makes (a build with its context, libpod's pull, a
 *   container create, a followed log) are its own (engine/socket/); what the parts keep is Podman
 *   Desktop's side: its options, its events and when its calls resolve.
 *
 * Where the stand-in decides something Podman Desktop leaves to its own settings, it says so where
 * it does it: TLS for loopback registries (standalone-registry-tls.ts), manifest detection.
 */

import type * as pd from '@podman-desktop/api';

import { EngineError } from '../engine/container-engine';
import type { EngineEndpoint } from '../engine/engine-endpoint';
import { createDockerode } from '../engine/socket/podman-socket-connection';
import { COMPAT, LIBPOD, PodmanSocketClient } from '../engine/socket/podman-socket-client';
import { EngineEvents } from './standalone-engine-events';
import { isLoopbackRegistry } from './standalone-registry-tls';
import { StandaloneBuilds } from './standalone-builds';
import { StandaloneContainers } from './standalone-containers';
import type { StandaloneEngineContext } from './standalone-engine-context';
import { StandaloneTransfers } from './standalone-transfers';
import { asRecord, numberOrUndefined, OpenStreams, required, stripSha } from './standalone-streams';

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECTION_NAME = 'podman';

type ContainerEngineApi = typeof pd.containerEngine;

/** The part of Podman Desktop's `containerEngine` namespace the stand-in implements. */
export type StandaloneContainerEngine = Pick<
  ContainerEngineApi,
  | 'listImages'
  | 'getImageInspect'
  | 'inspectManifest'
  | 'info'
  | 'listInfos'
  | 'tagImage'
  | 'deleteImage'
  | 'buildImage'
  | 'pushImage'
  | 'pullImage'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'deleteContainer'
  | 'inspectContainer'
  | 'listContainers'
  | 'logsContainer'
  | 'onEvent'
> & {
  /** Stops the event stream and every log, push and pull stream still open. */
  dispose(): void;
};

export interface StandaloneContainerEngineOptions {
  endpoint: EngineEndpoint;
  /** The id every call takes and every answer carries, e.g. engineIdFor(endpoint). */
  engineId: string;
  engineName: string;
  /** The connection's name in provider.getContainerConnections(); pullImage matches on it. */
  connectionName?: string;
  /** The environment for SSH endpoints (SSH_AUTH_SOCK). Defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Timeout of each non-streaming request. Default 60 s. */
  requestTimeoutMs?: number;
  /**
   * Registries (`host[:port]`) pushed to and pulled from with `tlsVerify=false`. Default: loopback
   * registries only (see standalone-registry-tls.ts).
   */
  insecureRegistry?: (registry: string) => boolean;
  /** Where event-stream interruptions and failing listeners are reported. Default console.warn. */
  warn?: (message: string) => void;
  /** Event stream reconnect delays (first, and at most); defaults 1 s and 30 s. */
  eventsRetryMs?: { initial: number; max: number };
}

/** The `provider.getContainerConnections()` entry for the stand-in's engine. */
export function containerConnectionFor(options: {
  endpoint: EngineEndpoint;
  engineName: string;
  connectionName?: string;
}): pd.ProviderContainerConnection {
  return {
    providerId: 'podman',
    connection: {
      name: options.connectionName ?? DEFAULT_CONNECTION_NAME,
      displayName: options.engineName,
      type: 'podman',
      endpoint: { socketPath: options.endpoint.socketPath },
      status: () => 'started',
    },
  };
}

export function createStandaloneContainerEngine(options: StandaloneContainerEngineOptions): StandaloneContainerEngine {
  return new StandaloneEngine(options).api();
}

type EngineFields = { engineId: string; engineName: string; engineType: 'podman' };

class StandaloneEngine {
  private readonly client: PodmanSocketClient;
  private readonly fields: EngineFields;
  private readonly connectionName: string;
  private readonly insecure: (registry: string) => boolean;
  private readonly events: EngineEvents;
  /** Streams still open (logs, pushes, pulls, builds), closed by dispose(). */
  private readonly streams: OpenStreams;
  private readonly containers: StandaloneContainers;
  private readonly transfers: StandaloneTransfers;
  private readonly builds: StandaloneBuilds;

  constructor(private readonly options: StandaloneContainerEngineOptions) {
    const docker = createDockerode(options.endpoint, options.env);
    // An aborted request says so in the words of Podman Desktop's dockerode, not as a cancellation.
    this.client = new PodmanSocketClient(
      docker,
      options.endpoint,
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      {
        abortError: doing => new EngineError(`${doing}: the operation was aborted`),
      },
    );
    this.fields = { engineId: options.engineId, engineName: options.engineName, engineType: 'podman' };
    this.connectionName = options.connectionName ?? DEFAULT_CONNECTION_NAME;
    this.insecure = options.insecureRegistry ?? isLoopbackRegistry;
    this.streams = new OpenStreams(options.warn);
    const context: StandaloneEngineContext = {
      client: this.client,
      fields: this.fields,
      options,
      streams: this.streams,
      insecure: registry => this.insecure(registry),
      checkEngine: engineId => this.checkEngine(engineId),
      checkConnection: connection => this.checkConnection(connection),
    };
    this.containers = new StandaloneContainers(context);
    this.transfers = new StandaloneTransfers(context);
    this.builds = new StandaloneBuilds(context);
    this.events = new EngineEvents({
      open: (since, signal) =>
        this.client.stream({
          method: 'GET',
          path: `${COMPAT}/events`,
          query: { since },
          doing: 'Following engine events',
          signal,
        }),
      initialRetryMs: options.eventsRetryMs?.initial,
      maxRetryMs: options.eventsRetryMs?.max,
      warn: options.warn,
    });
  }

  api(): StandaloneContainerEngine {
    return {
      listImages: listOptions => this.listImages(listOptions),
      getImageInspect: (engineId, id) => this.getImageInspect(engineId, id),
      inspectManifest: (engineId, id) => this.inspectManifest(engineId, id),
      info: engineId => this.info(engineId),
      listInfos: infoOptions => this.listInfos(infoOptions),
      tagImage: (engineId, imageId, repo, tag) => this.tagImage(engineId, imageId, repo, tag),
      deleteImage: (engineId, id) => this.deleteImage(engineId, id),
      buildImage: (context, eventCollect, buildOptions) => this.builds.buildImage(context, eventCollect, buildOptions),
      pushImage: (engineId, imageTag, callback, authInfo) =>
        this.transfers.pushImage(engineId, imageTag, callback, authInfo),
      pullImage: (connection, imageName, callback, platform, token) =>
        this.transfers.pullImage(connection, imageName, callback, platform, token),
      createContainer: (engineId, createOptions) => this.containers.createContainer(engineId, createOptions),
      startContainer: (engineId, id) => this.containers.startContainer(engineId, id),
      stopContainer: (engineId, id) => this.containers.stopContainer(engineId, id),
      deleteContainer: (engineId, id) => this.containers.deleteContainer(engineId, id),
      inspectContainer: (engineId, id) => this.containers.inspectContainer(engineId, id),
      listContainers: () => this.containers.listContainers(),
      logsContainer: (engineId, id, callback) => this.containers.logsContainer(engineId, id, callback),
      onEvent: this.events.event,
      dispose: () => this.dispose(),
    };
  }

  dispose(): void {
    this.events.dispose();
    this.streams.dispose();
  }

  // ── images ────────────────────────────────────────────────────────────────────────────────

  async listImages(listOptions?: pd.ListImagesOptions): Promise<pd.ImageInfo[]> {
    if (listOptions?.provider) this.checkConnection(listOptions.provider);
    // The libpod list: podman 4.3's Docker-compatible list answers `digests=true` (which Podman
    // Desktop asks for) with an empty body.
    const raw = await this.client.json<unknown>({
      method: 'GET',
      path: `${LIBPOD}/images/json`,
      doing: 'Listing images',
    });
    if (!Array.isArray(raw))
      throw new EngineError(`Listing images: unexpected answer from ${this.options.endpoint.url}`);
    return raw.map(item => this.toImageInfo(asRecord(item)));
  }

  private toImageInfo(raw: Record<string, unknown>): pd.ImageInfo {
    const hex = stripSha(String(raw.Id ?? ''));
    // podman ≥ 5.0.2 says whether an image is a manifest list; podman 4 does not, and then the
    // stand-in leaves isManifest undefined rather than guess (Podman Desktop guesses from size and
    // labels; callers that need certainty ask inspectManifest).
    const said = raw.IsManifestList ?? raw.isManifestList;
    const image: pd.ImageInfo = {
      ...(raw as object),
      ...this.fields,
      Id: `sha256:${hex}`,
      Digest: typeof raw.Digest === 'string' && raw.Digest !== '' ? raw.Digest : `sha256:${hex}`,
      isManifest: typeof said === 'boolean' ? said : undefined,
    } as pd.ImageInfo;
    if (image.isManifest === undefined) delete image.isManifest;
    return image;
  }

  async getImageInspect(engineId: string, id: string): Promise<pd.ImageInspectInfo> {
    this.checkEngine(engineId);
    const raw = await this.client.json<unknown>({
      method: 'GET',
      path: `${COMPAT}/images/${encodeURIComponent(required(id, 'image id'))}/json`,
      doing: `Inspecting image ${id}`,
      messages: { 404: `Image ${id} not found on ${this.options.engineName}` },
    });
    return { ...this.fields, ...asRecord(raw) } as unknown as pd.ImageInspectInfo;
  }

  async inspectManifest(engineId: string, id: string): Promise<pd.ManifestInspectInfo> {
    this.checkEngine(engineId);
    const path = `${LIBPOD}/manifests/${encodeURIComponent(required(id, 'manifest id'))}`;
    // podman 4's manifests/{name}/json falls back to the *registry* when the local image is not a
    // list (a network round trip, or a misleading "connection refused"); exists/ is local only.
    await this.client.json({
      method: 'GET',
      path: `${path}/exists`,
      doing: `Inspecting manifest ${id}`,
      messages: {
        404: `Manifest list ${id} not found on ${this.options.engineName}`,
        500: `${id} is not a manifest list on ${this.options.engineName}`,
      },
    });
    const raw = await this.client.json<unknown>({
      method: 'GET',
      path: `${path}/json`,
      doing: `Inspecting manifest ${id}`,
      messages: { 404: `Manifest list ${id} not found on ${this.options.engineName}` },
    });
    return { ...asRecord(raw), ...this.fields } as unknown as pd.ManifestInspectInfo;
  }

  async tagImage(engineId: string, imageId: string, repo: string, tag?: string): Promise<void> {
    this.checkEngine(engineId);
    await this.client.json({
      method: 'POST',
      path: `${COMPAT}/images/${encodeURIComponent(required(imageId, 'image id'))}/tag`,
      query: { repo: required(repo, 'repository'), tag: tag || undefined },
      doing: `Tagging image ${imageId} as ${repo}${tag ? `:${tag}` : ''}`,
      messages: { 404: `Image ${imageId} not found on ${this.options.engineName}` },
    });
  }

  async deleteImage(engineId: string, id: string): Promise<void> {
    this.checkEngine(engineId);
    // Like Podman Desktop: forced, so an image used by a stopped container goes too.
    await this.client.json({
      method: 'DELETE',
      path: `${COMPAT}/images/${encodeURIComponent(required(id, 'image id'))}`,
      query: { force: true },
      doing: `Deleting image ${id}`,
      messages: { 404: `Image ${id} not found on ${this.options.engineName}` },
    });
  }

  // ── engine info ───────────────────────────────────────────────────────────────────────────

  async info(engineId: string): Promise<pd.ContainerEngineInfo> {
    this.checkEngine(engineId);
    const raw = asRecord(
      await this.client.json({ method: 'GET', path: `${LIBPOD}/info`, doing: 'Reading engine info' }),
    );
    const host = asRecord(raw.host);
    const store = asRecord(raw.store);
    const memTotal = numberOrUndefined(host.memTotal);
    const memFree = numberOrUndefined(host.memFree);
    return {
      ...this.fields,
      cpus: numberOrUndefined(host.cpus),
      cpuIdle: numberOrUndefined(asRecord(host.cpuUtilization).idlePercent),
      memory: memTotal,
      memoryUsed: memTotal !== undefined && memFree !== undefined ? memTotal - memFree : undefined,
      diskSize: numberOrUndefined(store.graphRootAllocated),
      diskUsed: numberOrUndefined(store.graphRootUsed),
    };
  }

  /** Running engines only, as Podman Desktop: one that does not answer is left out, not an error. */
  async listInfos(infoOptions?: pd.ListInfosOptions): Promise<pd.ContainerEngineInfo[]> {
    if (infoOptions?.provider) this.checkConnection(infoOptions.provider);
    try {
      return [await this.info(this.options.engineId)];
    } catch {
      return [];
    }
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  private checkEngine(engineId: string): void {
    if (engineId !== this.options.engineId) {
      throw new EngineError(`No engine ${engineId}: the standalone engine is ${this.options.engineId}`, 404);
    }
  }

  private checkConnection(connection: pd.ContainerProviderConnection): void {
    const matches =
      connection?.endpoint?.socketPath === this.options.endpoint.socketPath && connection.name === this.connectionName;
    if (!matches) {
      throw new EngineError(
        `No running engine for the connection ${connection?.name ?? '(none)'}: the standalone engine is ${this.connectionName} at ${this.options.endpoint.url}`,
        404,
      );
    }
  }
}
