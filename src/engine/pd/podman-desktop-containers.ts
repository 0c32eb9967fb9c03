/**
 * The container part of the engine port over Podman Desktop's `containerEngine`, with its documented
 * semantics handled here:
 *
 * - `createContainer` starts the container unless `start: false`: it is always passed.
 * - Containers get a TTY: `logsContainer` hands its chunks over as strings, and the 8-byte frame
 *   headers of a non-TTY (multiplexed) log do not survive that conversion. The text then has `\r\n`
 *   line ends, which the port allows.
 * - `logsContainer` follows and returns at once; its stream cannot be cancelled through the API.
 *   An abort here only stops passing the text on (the stream ends by itself when the container
 *   exits or is removed).
 * - There is no wait call: waiting polls `inspectContainer` once a second.
 * - `stopContainer` takes no timeout: the container's own applies, so it is set at creation
 *   (`StopTimeout`; podman's compat API would record 0 and kill at once).
 * - `listContainers` lists every engine's containers; the label filter is applied here.
 *
 * Engine facts the plan needs (graph root, rootful) are not in `containerEngine.info()`: they are
 * read from podman's own `libpod/info` over the connection's socket (`endpoint.socketPath`, which
 * Podman Desktop gives for local podman, podman machines and — on Windows — named pipes).
 */

import { request } from 'node:http';

import { errorMessage } from '../../api/errors';
import { CancelledError, EngineError } from '../container-engine';
import type { ContainerSpec, ContainerSummary } from '../container-runtime';
import { containerState } from '../container-runtime';
import { startFailure } from '../runtime-errors';

/*
 * The parts of Podman Desktop's API this module uses, as extension-api.d.ts documents them; written
 * out because only podman-desktop.ts may import @podman-desktop/api.
 */
interface PdContainerInfo {
  engineId: string;
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Labels?: Record<string, string> | null;
}
interface PdContainerInspect {
  Id: string;
  Name?: string;
  Image?: string;
  State?: { Status?: string; ExitCode?: number; Running?: boolean };
  Config?: { Labels?: Record<string, string> | null; Image?: string };
}

export interface PdContainersApi {
  createContainer(
    engineId: string,
    options: {
      name?: string;
      Image: string;
      Cmd: string[];
      Env?: string[];
      Labels?: Record<string, string>;
      Tty?: boolean;
      StopTimeout?: number;
      HostConfig?: { Binds?: string[]; Privileged?: boolean; SecurityOpt?: string[]; NetworkMode?: string };
      start?: boolean;
    },
  ): Promise<{ id: string }>;
  startContainer(engineId: string, id: string): Promise<void>;
  logsContainer(engineId: string, id: string, callback: (name: string, data: string) => void): Promise<void>;
  inspectContainer(engineId: string, id: string): Promise<PdContainerInspect>;
  listContainers(): Promise<PdContainerInfo[]>;
  stopContainer(engineId: string, id: string): Promise<void>;
  deleteContainer(engineId: string, id: string): Promise<void>;
}

const WAIT_POLL_MS = 1000;

/**
 * `<doing> failed: <why>`, said once: an error that already names what was being done (the
 * standalone stand-in's own "Starting container X failed: HTTP 500 …") is not wrapped again.
 */
export function failure(doing: string, error: unknown): string {
  const message = errorMessage(error);
  return message.startsWith(doing) ? message : `${doing} failed: ${message}`;
}
const DEFAULT_STOP_TIMEOUT_SECONDS = 10;

export class PdContainers {
  constructor(
    private readonly api: PdContainersApi,
    private readonly pollMs = WAIT_POLL_MS,
  ) {}

  async create(engineId: string, spec: ContainerSpec): Promise<string> {
    if (spec.files?.length) {
      throw new EngineError("Podman Desktop's API cannot copy files into a container: bind them instead");
    }
    const created = await this.api
      .createContainer(engineId, {
        ...(spec.name ? { name: spec.name } : {}),
        Image: spec.image,
        Cmd: spec.cmd,
        Env: spec.env ?? [],
        Labels: spec.labels,
        Tty: true,
        StopTimeout: spec.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS,
        HostConfig: {
          Binds: [...spec.binds, ...spec.volumes.map(volume => `${volume.name}:${volume.target}`)],
          Privileged: spec.privileged,
          SecurityOpt: spec.securityOpt,
          ...(spec.network ? { NetworkMode: spec.network } : {}),
        },
        start: false,
      })
      .catch((error: unknown) => {
        throw new EngineError(failure(`Creating the container from ${spec.image}`, error));
      });
    if (!created?.id) throw new EngineError(`Creating the container from ${spec.image}: no id in the answer`);
    return created.id;
  }

  async start(engineId: string, id: string): Promise<void> {
    await this.api.startContainer(engineId, id).catch((error: unknown) => {
      const explained = startFailure(error, id);
      throw explained !== error ? explained : new EngineError(failure(`Starting container ${id}`, error));
    });
  }

  followLogs(engineId: string, id: string, onText: (text: string) => void, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      if (signal?.aborted) {
        finish();
        return;
      }
      signal?.addEventListener('abort', finish, { once: true });
      this.api
        .logsContainer(engineId, id, (name, data) => {
          if (done) return;
          if (name === 'data' && data) onText(data);
          else if (name === 'end') finish();
        })
        .catch((error: unknown) => {
          if (done) return;
          done = true;
          reject(new EngineError(failure(`Following the log of container ${id}`, error)));
        });
    });
  }

  async wait(engineId: string, id: string, signal?: AbortSignal): Promise<number> {
    for (;;) {
      if (signal?.aborted) throw new CancelledError(`Waiting for container ${id}: cancelled`);
      const info = await this.inspect(engineId, id);
      if (info.state === 'exited' || info.state === 'stopped') return info.exitCode ?? -1;
      await delay(this.pollMs, signal);
    }
  }

  async stop(engineId: string, id: string): Promise<void> {
    await this.api.stopContainer(engineId, id).catch((error: unknown) => {
      if (isGoneOrStopped(error)) return;
      throw new EngineError(failure(`Stopping container ${id}`, error));
    });
  }

  async remove(engineId: string, id: string): Promise<void> {
    await this.api.deleteContainer(engineId, id).catch((error: unknown) => {
      if (isGoneOrStopped(error)) return;
      throw new EngineError(failure(`Removing container ${id}`, error));
    });
  }

  async list(engineId: string, label: string): Promise<ContainerSummary[]> {
    const [key, ...rest] = label.split('=');
    const value = rest.length > 0 ? rest.join('=') : undefined;
    const all = await this.api.listContainers();
    return all
      .filter(container => container.engineId === engineId)
      .filter(container => {
        const labels = container.Labels ?? {};
        return key in labels && (value === undefined || labels[key] === value);
      })
      .map(container => ({
        id: container.Id,
        name: (container.Names?.[0] ?? '').replace(/^\//, ''),
        image: container.Image ?? '',
        state: containerState(container.State),
        labels: { ...(container.Labels ?? {}) },
      }));
  }

  async inspect(engineId: string, id: string): Promise<ContainerSummary> {
    const raw = await this.api.inspectContainer(engineId, id).catch((error: unknown) => {
      throw new EngineError(failure(`Inspecting container ${id}`, error));
    });
    const summary: ContainerSummary = {
      id: raw.Id ?? id,
      name: (raw.Name ?? '').replace(/^\//, ''),
      image: raw.Config?.Image ?? raw.Image ?? '',
      state: containerState(raw.State?.Status),
      labels: { ...(raw.Config?.Labels ?? {}) },
    };
    if ((summary.state === 'exited' || summary.state === 'stopped') && typeof raw.State?.ExitCode === 'number') {
      summary.exitCode = raw.State.ExitCode;
    }
    return summary;
  }
}

/** Engines answer "no such container", "not found" or "already stopped" (HTTP 404/304) in their own words. */
function isGoneOrStopped(error: unknown): boolean {
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (status === 404 || status === 304) return true;
  return /no such container|not found|already stopped|not running|is not running/i.test(errorMessage(error));
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface LibpodFacts {
  graphRoot?: string;
  rootful?: boolean;
  version?: string;
  os?: string;
  arch?: string;
}

/**
 * podman's `libpod/info` over a socket or named pipe: the graph root and whether the engine is
 * rootful. Undefined when the socket does not answer within `timeoutMs` or is not podman (docker).
 * podman sums up its store to answer: about 2 s on a quiet but shared machine, 2-22 s while twenty
 * builders start on it, so the wait is long enough for a busy podman rather than report no graph root.
 */
export function readLibpodFacts(socketPath: string, timeoutMs = 30_000): Promise<LibpodFacts | undefined> {
  return new Promise(resolve => {
    const req = request({ socketPath, path: '/v4.0.0/libpod/info', method: 'GET', timeout: timeoutMs }, response => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) return resolve(undefined);
        try {
          const raw = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            host?: { security?: { rootless?: unknown }; os?: unknown; arch?: unknown };
            store?: { graphRoot?: unknown };
            version?: { Version?: unknown };
          };
          const rootless = raw.host?.security?.rootless;
          resolve({
            graphRoot: typeof raw.store?.graphRoot === 'string' ? raw.store.graphRoot : undefined,
            rootful: typeof rootless === 'boolean' ? !rootless : undefined,
            version: typeof raw.version?.Version === 'string' ? raw.version.Version : undefined,
            os: typeof raw.host?.os === 'string' ? raw.host.os : undefined,
            arch: typeof raw.host?.arch === 'string' ? raw.host.arch : undefined,
          });
        } catch {
          resolve(undefined);
        }
      });
      response.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
