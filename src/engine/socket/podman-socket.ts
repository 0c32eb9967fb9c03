/**
 * The podman-socket adapter of the container-engine port: dockerode over one podman service
 * socket, used by the CLI, standalone mode and the integration tests. Where the Docker-compatible
 * API lacks data (architecture, digest, manifest lists, graph root) it calls podman's libpod
 * endpoints through dockerode's modem.
 *
 * An ssh:// endpoint is reached through an SSH tunnel to the remote podman socket (ssh-tunnel.ts),
 * as podman's own remote client does; dispose() closes it.
 *
 * One instance serves exactly one engine. A service that does not answer is an error here, not an
 * empty engine list: the CLI must tell the user that the podman it was pointed at is not running
 * (with how to start it), rather than report "no images". Callers that aggregate several engines
 * (listBootcImages' callers) catch the EngineError.
 */

import type {
  BuildOptions,
  BuildResult,
  BuildSink,
  ContainerEngine,
  EngineImage,
  EngineInfo,
  ImageDetails,
  ManifestDetails,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  TransferSink,
} from '../container-engine';
import type { EngineInfoCache } from './engine-info-cache';
import type { ImageArchCache } from './image-arch-cache';
import { EngineAnswerError, EngineError } from '../container-engine';
import type { EngineEndpoint } from '../engine-endpoint';
import { connectionFailureMessage, parseEndpointUrl } from '../engine-endpoint';
import { findEngine, localEngineId } from '../engine-identity';
import { asRecord, optionalString, toEngineImage, toImageDetails, toManifestMember } from './podman-socket-answers';
import { LIBPOD, PodmanSocketClient, podmanMessage } from './podman-socket-client';
import type { ContainerSpec, ContainerSummary } from '../container-runtime';
import {
  socketCreateContainer,
  socketFollowLogs,
  socketInspectContainer,
  socketListContainers,
  socketRemoveContainer,
  socketStartContainer,
  socketStopContainer,
  socketWaitContainer,
} from './podman-socket-containers';
import { socketBuild } from './podman-socket-build';
import { socketDelete, socketPull, socketPush, socketTag, socketUntag } from './podman-socket-images';
import { openEngineConnection, type EngineConnection, type EngineDocker } from './podman-socket-connection';

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface PodmanSocketEngineOptions {
  /** Per-request timeout; a request that takes longer fails with an EngineError. */
  requestTimeoutMs?: number;
  /** The environment for SSH: HOME, SSH_AUTH_SOCK, CONTAINER_SSHKEY. Defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where a local service's `info` is kept between runs (the CLI's: podman takes ~1 s to answer it). */
  infoCache?: EngineInfoCache;
  /** Where a local service's image architectures are kept between runs (podman 4 lists none). */
  archCache?: ImageArchCache;
}

export class PodmanSocketEngine implements ContainerEngine {
  readonly endpoint: EngineEndpoint;
  /** The endpoint's id (`podman:/run/podman/podman.sock`, `podman:ssh://core@host:22/…`): an alias once the engine answered. */
  readonly endpointId: string;
  private readonly docker: EngineDocker;
  private readonly connection: EngineConnection;
  private readonly client: PodmanSocketClient;
  private readonly requestTimeoutMs: number;
  private known?: EngineInfo;
  private readonly infoCache?: EngineInfoCache;
  private readonly archCache?: ImageArchCache;
  private archs?: Map<string, string>;

  constructor(endpoint: EngineEndpoint | string, options: PodmanSocketEngineOptions = {}) {
    this.endpoint = typeof endpoint === 'string' ? parseEndpointUrl(endpoint) : endpoint;
    this.endpointId = engineIdFor(this.endpoint);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (this.endpoint.kind === 'unix') [this.infoCache, this.archCache] = [options.infoCache, options.archCache];
    this.connection = openEngineConnection(this.endpoint, options.env);
    this.docker = this.connection.docker;
    this.client = new PodmanSocketClient(this.docker, this.endpoint, this.requestTimeoutMs);
  }

  /**
   * Lets go of the connection: an SSH tunnel is closed (unless another engine or check on the same
   * endpoint still holds it), and its open streams end. Nothing to do for a unix socket.
   */
  dispose(): void {
    this.connection.close();
  }

  /**
   * The engine's id: for a local podman, its store's identity once the service has answered
   * (engine-identity.ts), so records outlive the socket; the endpoint's id until then.
   */
  get id(): string {
    return this.known?.id ?? this.endpointId;
  }

  /** The engine's name as far as known: `podman (rootful)` once the service has answered. */
  get name(): string {
    return this.known?.name ?? engineName(this.endpoint, undefined);
  }

  async listEngines(): Promise<EngineInfo[]> {
    return [await this.fetchInfo()];
  }

  async listImages(): Promise<EngineImage[]> {
    const info = await this.info();
    const raw = await this.get<unknown>(`${LIBPOD}/images/json`, 'Listing images');
    if (!Array.isArray(raw)) throw this.unexpected('Listing images');
    const images = raw.map(item => toEngineImage(asRecord(item), info));
    if (this.archCache && this.endpoint.kind === 'unix') {
      // What is kept of the images listed now; the rest is dropped at the next write.
      const kept = this.archCache.read(this.endpoint.socketPath);
      this.archs = new Map(images.flatMap(image => (kept.has(image.id) ? [[image.id, kept.get(image.id)!]] : [])));
      for (const image of images) {
        const arch = image.arch ?? this.archs.get(image.id);
        if (arch) image.arch = arch;
      }
    }
    return images;
  }

  async inspectImage(engineId: string, idOrRef: string): Promise<ImageDetails> {
    await this.checkEngine(engineId);
    checkReference(idOrRef);
    const info = await this.info();
    const raw = await this.get<unknown>(`${LIBPOD}/images/${encodeURIComponent(idOrRef)}/json`, 'Inspecting image', {
      404: `Image ${idOrRef} not found on ${info.name}`,
    });
    // An answer without an image id is not an inspect: nothing may be built or run from it.
    if (!isRecord(raw) || typeof raw.Id !== 'string' || raw.Id === '') throw this.unexpected('Inspecting image');
    const details = toImageDetails(raw, info.id);
    if (this.archCache && this.endpoint.kind === 'unix' && details.arch) {
      this.archs ??= this.archCache.read(this.endpoint.socketPath);
      this.archs.set(details.id, details.arch);
      this.archCache.write(this.endpoint.socketPath, this.archs);
    }
    return details;
  }

  async inspectManifest(engineId: string, idOrRef: string): Promise<ManifestDetails> {
    await this.checkEngine(engineId);
    checkReference(idOrRef);
    const info = await this.info();
    const path = `${LIBPOD}/manifests/${encodeURIComponent(idOrRef)}`;
    // podman 4's manifests/{name}/json falls back to the *registry* when the local image is not a
    // list (a network round trip, or a misleading "connection refused"); exists/ is local only.
    await this.get<unknown>(`${path}/exists`, 'Inspecting manifest list', {
      404: `Manifest list ${idOrRef} not found on ${info.name}`,
      500: `${idOrRef} is not a manifest list on ${info.name}`,
    });
    const raw = asRecord(
      await this.get<unknown>(`${path}/json`, 'Inspecting manifest list', {
        404: `Manifest list ${idOrRef} not found on ${info.name}`,
      }),
    );
    const manifests = raw.manifests;
    if (!Array.isArray(manifests)) throw new EngineError(`${idOrRef} is not a manifest list on ${info.name}`);
    return { engineId: info.id, members: manifests.map(item => toManifestMember(asRecord(item))) };
  }

  async buildImage(engineId: string, options: BuildOptions, sink: BuildSink): Promise<BuildResult> {
    await this.checkEngine(engineId);
    const info = await this.info();
    return socketBuild(this.client, info.name, options, sink);
  }

  async pushImage(engineId: string, ref: string, options: PushOptions, sink: TransferSink): Promise<PushResult> {
    await this.checkEngine(engineId);
    checkReference(ref);
    const info = await this.info();
    return socketPush(this.client, info.name, ref, options, sink);
  }

  async pullImage(engineId: string, ref: string, options: PullOptions, sink: TransferSink): Promise<PullResult> {
    await this.checkEngine(engineId);
    checkReference(ref);
    const info = await this.info();
    return socketPull(this.client, info.name, ref, options, sink);
  }

  async tagImage(engineId: string, source: string, target: string): Promise<void> {
    await this.checkEngine(engineId);
    checkReference(source);
    checkReference(target);
    const info = await this.info();
    await socketTag(this.client, info.name, source, target);
  }

  async untagImage(engineId: string, ref: string): Promise<void> {
    this.checkEngine(engineId);
    checkReference(ref);
    const info = await this.info();
    await socketUntag(this.client, info.name, ref);
  }

  async deleteImage(engineId: string, idOrRef: string): Promise<void> {
    await this.checkEngine(engineId);
    checkReference(idOrRef);
    const info = await this.info();
    await socketDelete(this.client, info.name, idOrRef);
  }

  async createContainer(engineId: string, spec: ContainerSpec): Promise<string> {
    await this.checkEngine(engineId);
    const info = await this.info();
    return socketCreateContainer(this.client, info.name, spec);
  }

  async startContainer(engineId: string, id: string): Promise<void> {
    await this.checkEngine(engineId);
    await socketStartContainer(this.client, this.name, id);
  }

  async followContainerLogs(
    engineId: string,
    id: string,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.checkEngine(engineId);
    await socketFollowLogs(this.client, this.name, id, onText, signal);
  }

  async waitContainer(engineId: string, id: string, signal?: AbortSignal): Promise<number> {
    await this.checkEngine(engineId);
    return socketWaitContainer(this.client, this.name, id, signal);
  }

  async stopContainer(engineId: string, id: string, timeoutSeconds?: number): Promise<void> {
    await this.checkEngine(engineId);
    await socketStopContainer(this.client, this.name, id, timeoutSeconds);
  }

  async removeContainer(engineId: string, id: string): Promise<void> {
    await this.checkEngine(engineId);
    await socketRemoveContainer(this.client, this.name, id);
  }

  async listContainers(engineId: string, label: string): Promise<ContainerSummary[]> {
    await this.checkEngine(engineId);
    return socketListContainers(this.client, label);
  }

  async inspectContainer(engineId: string, id: string): Promise<ContainerSummary> {
    await this.checkEngine(engineId);
    return socketInspectContainer(this.client, this.name, id);
  }

  /** Info from the last successful answer (this run's, or a kept one of the same socket), or a fresh one. */
  private async info(): Promise<EngineInfo> {
    if (!this.known && this.infoCache && this.endpoint.kind === 'unix') {
      this.known = this.infoCache.read(this.endpoint.socketPath);
    }
    return this.known ?? this.fetchInfo();
  }

  private async fetchInfo(): Promise<EngineInfo> {
    const answer = await this.get<unknown>(`${LIBPOD}/info`, 'Reading engine info');
    if (!isRecord(answer)) throw this.unexpected('Reading engine info');
    const raw = answer;
    const host = asRecord(raw.host);
    const store = asRecord(raw.store);
    const version = asRecord(raw.version);
    const rootless = asRecord(host.security).rootless;
    const rootful = typeof rootless === 'boolean' ? !rootless : undefined;
    const graphRoot = optionalString(store.graphRoot);
    const hostname = optionalString(host.hostname);
    const stableId = this.endpoint.kind === 'unix' ? localEngineId({ hostname, graphRoot, rootful }) : undefined;
    this.known = {
      id: stableId ?? this.endpointId,
      ...(stableId ? { aliases: [this.endpointId] } : {}),
      ...(hostname ? { hostname } : {}),
      name: engineName(this.endpoint, rootful),
      type: 'podman',
      version: optionalString(version.Version),
      rootful,
      os: optionalString(host.os),
      arch: optionalString(host.arch),
      graphRoot,
      remote: this.endpoint.kind === 'ssh',
    };
    if (this.endpoint.kind === 'unix') this.infoCache?.write(this.endpoint.socketPath, this.known);
    return this.known;
  }

  /** Any id that means this engine (findEngine), before or after it first answered. */
  private async checkEngine(engineId: string): Promise<void> {
    if (engineId === this.id || engineId === this.endpointId) return;
    if (findEngine([await this.info()], engineId)) return;
    throw new EngineError(`Unknown engine ${engineId}; this connection serves ${this.id}`, 404);
  }

  /**
   * GET a libpod path. `messages` gives the user-facing message per HTTP status; any other failure
   * says what was being done and what podman answered.
   */
  private get<T>(path: string, doing: string, messages: Record<number, string> = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path,
          method: 'GET',
          statusCodes: { 200: true, 204: true },
          abortSignal: AbortSignal.timeout(this.requestTimeoutMs),
        },
        (error: unknown, data: unknown) => {
          if (!error) {
            resolve(data as T);
            return;
          }
          const status = (error as { statusCode?: unknown }).statusCode;
          if (typeof status !== 'number') {
            reject(
              new EngineError(`${doing}: ${connectionFailureMessage(this.endpoint, error, this.requestTimeoutMs)}`),
            );
            return;
          }
          const known = messages[status];
          if (known) {
            reject(new EngineError(known, status));
            return;
          }
          const reason = podmanMessage((error as { json?: unknown }).json, 300);
          reject(
            new EngineError(`${doing} failed on ${this.name}: HTTP ${status}${reason ? ` — ${reason}` : ''}`, status),
          );
        },
      );
    });
  }

  private unexpected(doing: string): EngineError {
    return new EngineAnswerError(`${doing} failed on ${this.name}: unexpected answer from ${this.endpoint.url}`);
  }
}

/**
 * The id of the engine at `endpoint` (engine-identity.ts), asked of the service; the endpoint's own
 * id when the service does not answer (the caller reports that soon enough).
 */
export async function stableEngineId(
  endpoint: EngineEndpoint,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  return (await stableEngine(endpoint, env)).id;
}

/** The engine's stable id and its name (`podman (rootful)`), whichever socket serves it this time. */
export async function stableEngine(
  endpoint: EngineEndpoint,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<{ id: string; name: string }> {
  const engine = new PodmanSocketEngine(endpoint, { env, requestTimeoutMs: 10_000 });
  try {
    const [info] = await engine.listEngines();
    return { id: info.id, name: info.name };
  } catch {
    return { id: engine.endpointId, name: engineName(endpoint, undefined) };
  } finally {
    engine.dispose();
  }
}

export function engineIdFor(endpoint: EngineEndpoint): string {
  return endpoint.kind === 'unix' ? `podman:${endpoint.socketPath}` : `podman:${endpoint.url}`;
}

function engineName(endpoint: EngineEndpoint, rootful: boolean | undefined): string {
  const mode = rootful === undefined ? '' : rootful ? ' (rootful)' : ' (rootless)';
  return endpoint.kind === 'ssh' ? `podman${mode} on ${endpoint.host}` : `podman${mode}`;
}

function checkReference(idOrRef: string): void {
  if (typeof idOrRef !== 'string' || idOrRef.trim() === '') {
    throw new EngineError('An image id or reference is required', 400);
  }
}

export { toMillis } from './podman-socket-answers';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
