/**
 * The `containerEngine` namespace of standalone mode's Podman Desktop stand-in: what the extension
 * calls on `@podman-desktop/api`, served by dockerode over ONE podman socket, with Podman Desktop's
 * semantics (packages/main/src/plugin/container-registry.ts and extension-loader.ts), because
 * extension code relies on them:
 *
 * - every returned object carries `engineId`, `engineName` and `engineType: 'podman'`;
 * - `buildImage` tars the context (root-owned entries; a Containerfile outside it is added), reports
 *   `stream` chunks, a failing step as `error`, then `finish`, and resolves at stream end — also
 *   after an `error` event, as Podman Desktop does: callers must treat any `error` as failure;
 * - `pushImage` resolves as soon as the push stream is open, before anything is pushed; progress,
 *   and registry errors, arrive as JSON text in `data` chunks; `end` marks completion;
 * - `pullImage` resolves when the pull completes and rejects on failure;
 * - `createContainer` starts the container unless `start: false`;
 * - `logsContainer` follows the log, returns at once and cannot be cancelled;
 * - `onEvent` is fed by podman's event stream (see standalone-engine-events.ts).
 *
 * Where the stand-in decides something Podman Desktop leaves to its own settings, it says so where
 * it does it: TLS for loopback registries (standalone-registry-tls.ts), manifest detection.
 */

import type * as pd from '@podman-desktop/api';

import type { IncomingMessage } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

import { errorMessage } from '../api/errors';
import { packBuildContext } from '../engine/build-context';
import { EngineError } from '../engine/container-engine';
import type { EngineEndpoint } from '../engine/engine-endpoint';
import { JsonLines } from '../engine/json-lines';
import { createDockerode } from '../engine/socket/podman-socket-connection';
import { COMPAT, LIBPOD, PodmanSocketClient } from '../engine/socket/podman-socket-client';
import { registryAuthHeader } from '../engine/registry-auth';
import { EngineEvents } from './standalone-engine-events';
import { isLoopbackRegistry, skipsTlsVerify } from './standalone-registry-tls';
import {
  buildQuery,
  containerfileInContext,
  fromImageQuery,
  platformQuery,
  pullFailure,
  readEnvFiles,
  toPullEvent,
} from './standalone-request-params';

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
  private readonly open = new Set<{ destroy(): void }>();

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
      buildImage: (context, eventCollect, buildOptions) => this.buildImage(context, eventCollect, buildOptions),
      pushImage: (engineId, imageTag, callback, authInfo) => this.pushImage(engineId, imageTag, callback, authInfo),
      pullImage: (connection, imageName, callback, platform, token) =>
        this.pullImage(connection, imageName, callback, platform, token),
      createContainer: (engineId, createOptions) => this.createContainer(engineId, createOptions),
      startContainer: (engineId, id) => this.startContainer(engineId, id),
      stopContainer: (engineId, id) => this.stopContainer(engineId, id),
      deleteContainer: (engineId, id) => this.deleteContainer(engineId, id),
      inspectContainer: (engineId, id) => this.inspectContainer(engineId, id),
      listContainers: () => this.listContainers(),
      logsContainer: (engineId, id, callback) => this.logsContainer(engineId, id, callback),
      onEvent: this.events.event,
      dispose: () => this.dispose(),
    };
  }

  dispose(): void {
    this.events.dispose();
    for (const stream of [...this.open]) stream.destroy();
    this.open.clear();
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

  // ── build ─────────────────────────────────────────────────────────────────────────────────

  async buildImage(
    context: string,
    eventCollect: (eventName: 'stream' | 'error' | 'finish', data: string) => void,
    buildOptions?: pd.BuildImageOptions,
  ): Promise<unknown> {
    if (buildOptions?.provider) this.checkConnection(buildOptions.provider);
    const contextDir = resolvePath(required(context, 'build context'));
    const { dockerfile, extraFiles } = await containerfileInContext(contextDir, buildOptions?.containerFile);
    const signal = buildOptions?.abortController?.signal;

    eventCollect('stream', `Uploading the build context from ${contextDir}...Can take a while...\r\n`);
    let tar: Readable;
    try {
      tar = await packBuildContext(contextDir, extraFiles, signal);
    } catch (error) {
      const failure = new EngineError(`Reading the build context ${contextDir} failed: ${errorMessage(error)}`);
      eventCollect('error', failure.message);
      throw failure;
    }
    // A context file that cannot be read breaks the upload; say that, not "no podman service".
    let tarFailure: unknown;
    tar.once('error', error => (tarFailure = error));
    let response: IncomingMessage;
    try {
      response = await this.client.stream({
        method: 'POST',
        path: `${COMPAT}/build`,
        query: buildQuery(buildOptions, dockerfile),
        file: tar,
        headers: { 'Content-Type': 'application/x-tar' },
        doing: `Building image${buildOptions?.tag ? ` ${buildOptions.tag}` : ''}`,
        signal,
      });
    } catch (error) {
      tar.destroy();
      const failure =
        tarFailure !== undefined && !signal?.aborted
          ? new EngineError(`Reading the build context ${contextDir} failed: ${errorMessage(tarFailure)}`)
          : error;
      eventCollect('error', errorMessage(failure));
      throw failure;
    }
    eventCollect('stream', `Building image ${buildOptions?.tag ?? ''}...\r\n`);

    return new Promise<unknown>((resolve, reject) => {
      const output: unknown[] = [];
      const splitter = new JsonLines(
        value => {
          output.push(value);
          const event = asRecord(value);
          if (typeof event.stream === 'string' && event.stream !== '') {
            eventCollect('stream', event.stream);
          } else if (typeof event.error === 'string' && event.error !== '') {
            eventCollect('error', event.error);
          } else if (asRecord(event.errorDetail).message) {
            eventCollect('error', String(asRecord(event.errorDetail).message));
          }
        },
        line => eventCollect('stream', `${line}\n`),
      );
      this.follow(response, {
        data: chunk => splitter.push(chunk),
        end: () => {
          splitter.end();
          eventCollect('finish', '');
          resolve(output);
        },
        error: error => {
          splitter.end();
          const message = signal?.aborted ? 'The build was aborted' : errorMessage(error);
          eventCollect('finish', message);
          reject(new EngineError(message));
        },
      });
    });
  }

  // ── push and pull ─────────────────────────────────────────────────────────────────────────

  async pushImage(
    engineId: string,
    imageTag: string,
    callback: (name: string, data: string) => void,
    authInfo?: pd.ContainerAuthInfo,
  ): Promise<void> {
    this.checkEngine(engineId);
    required(imageTag, 'image tag');
    const response = await this.client.stream({
      method: 'POST',
      path: `${COMPAT}/images/${encodeURIComponent(imageTag)}/push`,
      // The Docker-compatible push (the one Podman Desktop uses, so progress arrives in Docker's
      // JSON shape) honours podman's tlsVerify parameter.
      query: { tlsVerify: skipsTlsVerify(imageTag, this.insecure) ? false : undefined },
      headers: authInfo ? { 'X-Registry-Auth': registryAuthHeader(authInfo) } : undefined,
      doing: `Pushing ${imageTag}`,
      messages: { 404: `Image ${imageTag} not found on ${this.options.engineName}` },
    });
    const text = textEvents(callback);
    this.follow(response, {
      data: text.data,
      end: () => {
        text.end();
        callback('end', '');
      },
      // Podman Desktop has no handler here (a broken stream would be an uncaught error); the
      // stand-in reports it the way registry errors arrive, then ends.
      error: error => {
        callback('data', `${JSON.stringify({ error: `Push of ${imageTag} interrupted: ${errorMessage(error)}` })}\n`);
        callback('end', '');
      },
    });
  }

  async pullImage(
    connection: pd.ContainerProviderConnection,
    imageName: string,
    callback: (event: pd.PullEvent) => void,
    platform?: string,
    token?: pd.CancellationToken,
  ): Promise<void> {
    this.checkConnection(connection);
    required(imageName, 'image name');
    const abort = new AbortController();
    if (token?.isCancellationRequested) throw new EngineError(`Pull of ${imageName} cancelled`);
    const cancellation = token?.onCancellationRequested(() => abort.abort());
    try {
      const insecure = skipsTlsVerify(imageName, this.insecure);
      let response: IncomingMessage;
      try {
        response = insecure
          ? await this.client.stream({
              // Only libpod's pull honours tlsVerify (podman 4's Docker-compatible one ignores it).
              method: 'POST',
              path: `${LIBPOD}/images/pull`,
              query: { reference: imageName, tlsVerify: false, policy: 'always', ...platformQuery(platform) },
              doing: `Pulling ${imageName}`,
              signal: abort.signal,
            })
          : await this.client.stream({
              method: 'POST',
              path: `${COMPAT}/images/create`,
              query: { ...fromImageQuery(imageName), platform: platform || undefined },
              doing: `Pulling ${imageName}`,
              signal: abort.signal,
            });
      } catch (error) {
        throw pullFailure(imageName, error);
      }

      await new Promise<void>((resolve, reject) => {
        let failure: string | undefined;
        const splitter = new JsonLines(value => {
          const event = toPullEvent(asRecord(value));
          if (event.error && failure === undefined) failure = event.error;
          callback(event);
        });
        this.follow(response, {
          data: chunk => splitter.push(chunk),
          end: () => {
            splitter.end();
            if (failure !== undefined) reject(new EngineError(`Pulling ${imageName} failed: ${failure.trim()}`));
            else resolve();
          },
          error: error =>
            reject(
              new EngineError(
                abort.signal.aborted
                  ? `Pull of ${imageName} cancelled`
                  : `Pulling ${imageName}: ${errorMessage(error)}`,
              ),
            ),
        });
      });
    } finally {
      cancellation?.dispose();
    }
  }

  // ── containers ────────────────────────────────────────────────────────────────────────────

  async listContainers(): Promise<pd.ContainerInfo[]> {
    const raw = await this.client.json<unknown>({
      method: 'GET',
      path: `${COMPAT}/containers/json`,
      query: { all: true },
      doing: 'Listing containers',
    });
    if (!Array.isArray(raw)) {
      throw new EngineError(`Listing containers: unexpected answer from ${this.options.endpoint.url}`);
    }
    return raw.map(item => ({ ...asRecord(item), ...this.fields }) as unknown as pd.ContainerInfo);
  }

  async inspectContainer(engineId: string, id: string): Promise<pd.ContainerInspectInfo> {
    this.checkEngine(engineId);
    const raw = await this.client.json<unknown>({
      method: 'GET',
      path: `${COMPAT}/containers/${encodeURIComponent(required(id, 'container id'))}/json`,
      doing: `Inspecting container ${id}`,
      messages: { 404: `Container ${id} not found on ${this.options.engineName}` },
    });
    return { ...this.fields, ...asRecord(raw) } as unknown as pd.ContainerInspectInfo;
  }

  async createContainer(engineId: string, createOptions: pd.ContainerCreateOptions): Promise<pd.ContainerCreateResult> {
    this.checkEngine(engineId);
    const { name, platform, start, pod, EnvFiles, ...body } = createOptions;
    if (pod !== undefined) {
      throw new EngineError('Creating a container in a pod is not supported by the standalone container engine');
    }
    if (EnvFiles?.length) body.Env = [...(body.Env ?? []), ...(await readEnvFiles(EnvFiles))];
    const created = asRecord(
      await this.client.json({
        method: 'POST',
        path: `${COMPAT}/containers/create`,
        query: { name: name || undefined, platform: platform || undefined },
        body,
        doing: `Creating a container${name ? ` ${name}` : ''} from ${body.Image ?? 'no image'}`,
        messages: { 404: `Image ${body.Image ?? ''} not found on ${this.options.engineName}` },
      }),
    );
    const id = typeof created.Id === 'string' ? created.Id : '';
    if (!id) throw new EngineError(`Creating a container: unexpected answer from ${this.options.endpoint.url}`);
    if (start === true || start === undefined) await this.startContainer(engineId, id);
    return { id, engineId: this.options.engineId };
  }

  async startContainer(engineId: string, id: string): Promise<void> {
    await this.changeState(engineId, id, 'start');
  }

  async stopContainer(engineId: string, id: string): Promise<void> {
    await this.changeState(engineId, id, 'stop');
  }

  private async changeState(engineId: string, id: string, action: 'start' | 'stop'): Promise<void> {
    this.checkEngine(engineId);
    const [doing, already] = action === 'start' ? ['Starting', 'started'] : ['Stopping', 'stopped'];
    await this.client.json({
      method: 'POST',
      path: `${COMPAT}/containers/${encodeURIComponent(required(id, 'container id'))}/${action}`,
      ok: [204],
      doing: `${doing} container ${id}`,
      messages: {
        304: `Container ${id} is already ${already}`,
        404: `Container ${id} not found on ${this.options.engineName}`,
      },
    });
  }

  async deleteContainer(engineId: string, id: string): Promise<void> {
    this.checkEngine(engineId);
    // Like Podman Desktop: forced, so a running container is stopped and removed.
    await this.client.json({
      method: 'DELETE',
      path: `${COMPAT}/containers/${encodeURIComponent(required(id, 'container id'))}`,
      query: { force: true },
      doing: `Deleting container ${id}`,
      messages: { 404: `Container ${id} not found on ${this.options.engineName}` },
    });
  }

  /**
   * Follows the container's log (stdout and stderr, from the start) and returns at once, as Podman
   * Desktop does: `first-message` before the first chunk, `data` per chunk, `end` when the log
   * ends. The chunks are what podman sends, like Podman Desktop's: plain text for a container
   * created with `Tty: true`; for one without a TTY each frame keeps Docker's 8-byte stream header.
   * A log that cannot be opened (no such container) ends at once with `end`.
   */
  async logsContainer(engineId: string, id: string, callback: (name: string, data: string) => void): Promise<void> {
    this.checkEngine(engineId);
    required(id, 'container id');
    this.client
      .stream({
        method: 'GET',
        path: `${COMPAT}/containers/${encodeURIComponent(id)}/logs`,
        query: { follow: true, stdout: true, stderr: true },
        doing: `Reading the logs of container ${id}`,
      })
      .then(
        response => {
          const text = textEvents(callback);
          this.follow(response, {
            data: text.data,
            end: () => {
              text.end();
              callback('end', '');
            },
            error: () => callback('end', ''),
          });
        },
        () => contain(() => callback('end', ''), this.options.warn),
      );
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  /**
   * Reads a response to its end: exactly one of `end` and `error` is called. The stream is
   * registered so that dispose() can close it; a callback that throws is contained here.
   */
  private follow(
    response: IncomingMessage,
    handlers: { data(chunk: Buffer): void; end(): void; error(error: unknown): void },
  ): void {
    let settled = false;
    const entry = { destroy: () => response.destroy() };
    this.open.add(entry);
    const settle = (run: () => void): void => {
      if (settled) return;
      settled = true;
      this.open.delete(entry);
      contain(run, this.options.warn);
    };
    response.on('data', (chunk: Buffer) => {
      if (!settled) contain(() => handlers.data(chunk), this.options.warn);
    });
    response.on('end', () => settle(() => handlers.end()));
    response.on('error', error => settle(() => handlers.error(error)));
    response.on('close', () => {
      if (!response.readableEnded) settle(() => handlers.error(new Error('the connection closed')));
    });
  }

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

function required(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new EngineError(`A ${what} is required`, 400);
  return value;
}

function stripSha(id: string): string {
  return id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Runs a callback supplied by extension code; its exception is reported, never thrown into a stream. */
function contain(run: () => void, warn?: (message: string) => void): void {
  try {
    run();
  } catch (error) {
    (warn ?? ((message: string) => console.warn(message)))(
      `A container engine callback failed: ${errorMessage(error)}`,
    );
  }
}

/**
 * A byte stream as Podman Desktop's text events: `first-message` before the first text, then
 * `data` per chunk of whole UTF-8 characters; `end()` flushes what the decoder still holds.
 */
function textEvents(callback: (name: 'first-message' | 'data', data: string) => void): {
  data: (chunk: Buffer) => void;
  end: () => void;
} {
  const decoder = new StringDecoder('utf8');
  let first = true;
  const emit = (text: string) => {
    if (text === '') return;
    if (first) {
      first = false;
      callback('first-message', '');
    }
    callback('data', text);
  };
  return { data: chunk => emit(decoder.write(chunk)), end: () => emit(decoder.end()) };
}
