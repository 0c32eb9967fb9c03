/**
 * The containers of the standalone container engine, with Podman Desktop's semantics:
 * `createContainer` starts the container unless told `start: false`, a delete is forced, and
 * `logsContainer` follows the log and returns at once, passing podman's bytes on as text. The
 * create and log requests are the socket adapter's (socketCreateFromBody, openContainerLog);
 * start, stop and delete stay here because Podman Desktop's differ from the adapter's: an engine
 * that says "already started/stopped" (304) or "no such container" (404) is an error to them.
 */

import type * as pd from '@podman-desktop/api';

import { EngineError } from '../engine/container-engine';
import { COMPAT } from '../engine/socket/podman-socket-client';
import { openContainerLog, socketCreateFromBody } from '../engine/socket/podman-socket-containers';
import type { StandaloneEngineContext } from './standalone-engine-context';
import { readEnvFiles } from './standalone-request-params';
import { asRecord, contain, required, textEvents } from './standalone-streams';

export class StandaloneContainers {
  readonly #engine: StandaloneEngineContext;

  constructor(engine: StandaloneEngineContext) {
    this.#engine = engine;
  }

  async listContainers(): Promise<pd.ContainerInfo[]> {
    const raw = await this.#engine.client.json<unknown>({
      method: 'GET',
      path: `${COMPAT}/containers/json`,
      query: { all: true },
      doing: 'Listing containers',
    });
    if (!Array.isArray(raw)) {
      throw new EngineError(`Listing containers: unexpected answer from ${this.#engine.options.endpoint.url}`);
    }
    return raw.map(item => ({ ...asRecord(item), ...this.#engine.fields }) as unknown as pd.ContainerInfo);
  }

  async inspectContainer(engineId: string, id: string): Promise<pd.ContainerInspectInfo> {
    this.#engine.checkEngine(engineId);
    const raw = await this.#engine.client.json<unknown>({
      method: 'GET',
      path: `${COMPAT}/containers/${encodeURIComponent(required(id, 'container id'))}/json`,
      doing: `Inspecting container ${id}`,
      messages: { 404: `Container ${id} not found on ${this.#engine.options.engineName}` },
    });
    return { ...this.#engine.fields, ...asRecord(raw) } as unknown as pd.ContainerInspectInfo;
  }

  async createContainer(engineId: string, createOptions: pd.ContainerCreateOptions): Promise<pd.ContainerCreateResult> {
    this.#engine.checkEngine(engineId);
    const { name, platform, start, pod, EnvFiles, ...body } = createOptions;
    if (pod !== undefined) {
      throw new EngineError('Creating a container in a pod is not supported by the standalone container engine');
    }
    if (EnvFiles?.length) body.Env = [...(body.Env ?? []), ...(await readEnvFiles(EnvFiles))];
    const id = await socketCreateFromBody(this.#engine.client, this.#engine.options.engineName, {
      body,
      name,
      platform,
      doing: `Creating a container${name ? ` ${name}` : ''} from ${body.Image ?? 'no image'}`,
      notFound: `Image ${body.Image ?? ''} not found on ${this.#engine.options.engineName}`,
    });
    // Podman Desktop starts the container unless told not to.
    if (start === true || start === undefined) await this.startContainer(engineId, id);
    return { id, engineId: this.#engine.options.engineId };
  }

  async startContainer(engineId: string, id: string): Promise<void> {
    await this.#changeState(engineId, id, 'start');
  }

  async stopContainer(engineId: string, id: string): Promise<void> {
    await this.#changeState(engineId, id, 'stop');
  }

  async #changeState(engineId: string, id: string, action: 'start' | 'stop'): Promise<void> {
    this.#engine.checkEngine(engineId);
    const [doing, already] = action === 'start' ? ['Starting', 'started'] : ['Stopping', 'stopped'];
    await this.#engine.client.json({
      method: 'POST',
      path: `${COMPAT}/containers/${encodeURIComponent(required(id, 'container id'))}/${action}`,
      ok: [204],
      doing: `${doing} container ${id}`,
      messages: {
        304: `Container ${id} is already ${already}`,
        404: `Container ${id} not found on ${this.#engine.options.engineName}`,
      },
    });
  }

  async deleteContainer(engineId: string, id: string): Promise<void> {
    this.#engine.checkEngine(engineId);
    // Like Podman Desktop: forced, so a running container is stopped and removed.
    await this.#engine.client.json({
      method: 'DELETE',
      path: `${COMPAT}/containers/${encodeURIComponent(required(id, 'container id'))}`,
      query: { force: true },
      doing: `Deleting container ${id}`,
      messages: { 404: `Container ${id} not found on ${this.#engine.options.engineName}` },
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
    this.#engine.checkEngine(engineId);
    required(id, 'container id');
    openContainerLog(this.#engine.client, this.#engine.options.engineName, id).then(
      response => {
        const text = textEvents(callback);
        this.#engine.streams.follow(response, {
          data: text.data,
          end: () => {
            text.end();
            callback('end', '');
          },
          error: () => callback('end', ''),
        });
      },
      () => contain(() => callback('end', ''), this.#engine.options.warn),
    );
  }
}
