/**
 * The container part of the podman-socket adapter: create (not started), start, follow logs, wait,
 * stop, remove, list by label and inspect, over podman's Docker-compatible API.
 *
 * - Containers are created without a TTY, so the log stream is Docker's multiplexed one (an 8-byte
 *   header per frame: stream, 0, 0, 0, big-endian length); it is split here into text in the order
 *   the frames came, stdout and stderr each through its own UTF-8 decoder.
 * - Named volumes go in as `name:/target` binds: podman creates a missing one.
 * - Following logs and waiting are long requests: no request timeout, an AbortSignal ends them.
 */

import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

import type { ContainerSpec, ContainerSummary } from '../container-runtime';
import { containerState } from '../container-runtime';
import { EngineError } from '../container-engine';
import { COMPAT, readStream, SocketRequestError, type PodmanSocketClient } from './podman-socket-client';
import { startFailure } from '../runtime-errors';
import { loadTarStream } from '../../platform/lazy-packages';

export async function socketCreateContainer(
  client: PodmanSocketClient,
  engineName: string,
  spec: ContainerSpec,
): Promise<string> {
  const body = {
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: spec.labels,
    Env: spec.env ?? [],
    Tty: false,
    StopTimeout: spec.stopTimeoutSeconds ?? 10,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      Binds: [...spec.binds, ...spec.volumes.map(volume => `${volume.name}:${volume.target}`)],
      Privileged: spec.privileged,
      SecurityOpt: spec.securityOpt,
      ...(spec.network ? { NetworkMode: spec.network } : {}),
    },
  };
  const id = await socketCreateFromBody(client, engineName, {
    body,
    name: spec.name,
    doing: `Creating the container${spec.name ? ` ${spec.name}` : ''} from ${spec.image}`,
    notFound: `Image ${spec.image} not found on ${engineName}: pull it first`,
  });
  if (spec.files?.length) {
    try {
      await putFiles(client, id, spec.files);
    } catch (error) {
      await socketRemoveContainer(client, engineName, id).catch(() => undefined);
      throw error;
    }
  }
  return id;
}

/**
 * Docker's container create with a Docker-compatible body (sent as the body, never in the URL),
 * for this adapter and standalone mode's container engine: the new container's id. Not started.
 */
export async function socketCreateFromBody(
  client: PodmanSocketClient,
  engineName: string,
  request: { body: object; name?: string; platform?: string; doing: string; notFound: string },
): Promise<string> {
  const created = asRecord(
    await client.json({
      method: 'POST',
      path: `${COMPAT}/containers/create`,
      query: { name: request.name || undefined, platform: request.platform || undefined },
      body: request.body,
      doing: request.doing,
      messages: { 404: request.notFound },
    }),
  );
  const id = typeof created.Id === 'string' ? created.Id : '';
  if (!id) throw new EngineError(`Creating a container on ${engineName}: the engine answered without an id`);
  return id;
}

/** The files as one tar extracted at `/` of the container (Docker's PUT …/archive). */
async function putFiles(client: PodmanSocketClient, id: string, files: NonNullable<ContainerSpec['files']>) {
  const archive = (await loadTarStream()).pack();
  for (const file of files) {
    if (!file.path.startsWith('/')) throw new EngineError(`Not an absolute path in the container: ${file.path}`);
    archive.entry({ name: file.path.slice(1), mode: file.mode, uid: 0, gid: 0 }, file.content);
  }
  archive.finalize();
  await client.json({
    method: 'PUT',
    path: `${COMPAT}/containers/${encodeURIComponent(id)}/archive`,
    query: { path: '/' },
    file: archive,
    headers: { 'Content-Type': 'application/x-tar' },
    doing: `Copying ${files.map(file => file.path).join(', ')} into container ${id}`,
  });
}

export async function socketStartContainer(client: PodmanSocketClient, engineName: string, id: string): Promise<void> {
  await client
    .json({
      method: 'POST',
      path: `${COMPAT}/containers/${encodeURIComponent(id)}/start`,
      ok: [204, 304],
      doing: `Starting container ${id}`,
      messages: { 404: `Container ${id} not found on ${engineName}` },
    })
    .catch((error: unknown) => {
      throw startFailure(error, id);
    });
}

export async function socketStopContainer(
  client: PodmanSocketClient,
  engineName: string,
  id: string,
  timeoutSeconds = 10,
): Promise<void> {
  try {
    await client.json({
      method: 'POST',
      path: `${COMPAT}/containers/${encodeURIComponent(id)}/stop`,
      query: { t: timeoutSeconds },
      ok: [204, 304],
      doing: `Stopping container ${id} on ${engineName}`,
    });
  } catch (error) {
    // Already gone is as good as stopped.
    if (error instanceof SocketRequestError && error.statusCode === 404) return;
    throw error;
  }
}

export async function socketRemoveContainer(client: PodmanSocketClient, engineName: string, id: string): Promise<void> {
  try {
    await client.json({
      method: 'DELETE',
      path: `${COMPAT}/containers/${encodeURIComponent(id)}`,
      query: { force: true },
      doing: `Removing container ${id} on ${engineName}`,
    });
  } catch (error) {
    if (error instanceof SocketRequestError && error.statusCode === 404) return;
    throw error;
  }
}

export async function socketWaitContainer(
  client: PodmanSocketClient,
  engineName: string,
  id: string,
  signal?: AbortSignal,
): Promise<number> {
  const doing = `Waiting for container ${id}`;
  const response = await client.stream({
    method: 'POST',
    path: `${COMPAT}/containers/${encodeURIComponent(id)}/wait`,
    doing,
    messages: { 404: `Container ${id} not found on ${engineName}` },
    signal,
  });
  const chunks: Buffer[] = [];
  await readStream(response, chunk => chunks.push(chunk), signal, doing);
  const answer = asRecord(safeJson(Buffer.concat(chunks).toString('utf8')));
  const code = answer.StatusCode;
  if (typeof code !== 'number') throw new EngineError(`${doing}: the engine answered without an exit code`);
  const error = asRecord(answer.Error).Message;
  if (typeof error === 'string' && error) throw new EngineError(`${doing}: ${error}`);
  return code;
}

export async function socketFollowLogs(
  client: PodmanSocketClient,
  engineName: string,
  id: string,
  onText: (text: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const doing = `Following the log of container ${id}`;
  const response = await openContainerLog(client, engineName, id, signal);
  const demux = new LogDemuxer(onText);
  try {
    await readStream(response, chunk => demux.push(chunk), signal, doing);
  } catch (error) {
    // An abort is how a caller stops following: not a failure.
    if (signal?.aborted) return;
    throw error;
  }
  demux.end();
}

/**
 * The container's log (stdout and stderr, from the start), followed: the open stream as podman
 * sends it — Docker's 8-byte frame headers for a container without a TTY, plain text with one. For
 * this adapter (which demultiplexes it) and standalone mode's container engine (which passes it on
 * as Podman Desktop does).
 */
export function openContainerLog(
  client: PodmanSocketClient,
  engineName: string,
  id: string,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  return client.stream({
    method: 'GET',
    path: `${COMPAT}/containers/${encodeURIComponent(id)}/logs`,
    query: { follow: true, stdout: true, stderr: true },
    doing: `Following the log of container ${id}`,
    messages: { 404: `Container ${id} not found on ${engineName}` },
    signal,
  });
}

export async function socketListContainers(client: PodmanSocketClient, label: string): Promise<ContainerSummary[]> {
  const raw = await client.json<unknown>({
    method: 'GET',
    path: `${COMPAT}/containers/json`,
    query: { all: true, filters: JSON.stringify({ label: [label] }) },
    doing: 'Listing containers',
  });
  if (!Array.isArray(raw)) throw new EngineError('Listing containers: unexpected answer');
  return raw.map(item => {
    const record = asRecord(item);
    const names = Array.isArray(record.Names) ? record.Names.filter(name => typeof name === 'string') : [];
    return {
      id: String(record.Id ?? ''),
      name: String(names[0] ?? '').replace(/^\//, ''),
      image: String(record.Image ?? ''),
      state: containerState(record.State),
      labels: stringRecord(record.Labels),
    };
  });
}

export async function socketInspectContainer(
  client: PodmanSocketClient,
  engineName: string,
  id: string,
): Promise<ContainerSummary> {
  const raw = asRecord(
    await client.json({
      method: 'GET',
      path: `${COMPAT}/containers/${encodeURIComponent(id)}/json`,
      doing: `Inspecting container ${id}`,
      messages: { 404: `Container ${id} not found on ${engineName}` },
    }),
  );
  const state = asRecord(raw.State);
  const config = asRecord(raw.Config);
  const summary: ContainerSummary = {
    id: String(raw.Id ?? id),
    name: String(raw.Name ?? '').replace(/^\//, ''),
    image: String(config.Image ?? raw.Image ?? ''),
    state: containerState(state.Status),
    labels: stringRecord(config.Labels),
  };
  if (summary.state === 'exited' || summary.state === 'stopped') {
    if (typeof state.ExitCode === 'number') summary.exitCode = state.ExitCode;
  }
  return summary;
}

/**
 * Docker's multiplexed log stream → text. A frame may arrive split over several chunks, and a chunk
 * may hold several frames; a stream that does not start with a valid header is taken as plain text
 * (a container created with a TTY).
 */
export class LogDemuxer {
  #pending: Buffer = Buffer.alloc(0);
  #plain: boolean | undefined;
  readonly #decoders = [new StringDecoder('utf8'), new StringDecoder('utf8')];

  constructor(private readonly onText: (text: string) => void) {}

  push(chunk: Buffer): void {
    if (this.#plain === undefined) {
      const first = chunk[0];
      this.#plain = !(first <= 2 && chunk.length >= 4 && chunk[1] === 0 && chunk[2] === 0 && chunk[3] === 0);
    }
    if (this.#plain) {
      this.#emit(this.#decoders[0].write(chunk));
      return;
    }
    this.#pending = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    while (this.#pending.length >= 8) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + size) break;
      const stream = this.#pending[0] === 2 ? 1 : 0;
      this.#emit(this.#decoders[stream].write(this.#pending.subarray(8, 8 + size)));
      this.#pending = this.#pending.subarray(8 + size);
    }
  }

  end(): void {
    for (const decoder of this.#decoders) this.#emit(decoder.end());
  }

  #emit(text: string): void {
    if (text) this.onText(text);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(asRecord(value))) if (typeof item === 'string') out[key] = item;
  return out;
}
