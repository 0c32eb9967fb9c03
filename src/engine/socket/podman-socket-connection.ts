/**
 * The connection to one podman service: dockerode over its unix socket, or over an SSH tunnel to a
 * remote podman socket (as podman's own remote client does), and the quick check that a podman
 * service answers there before anything else is asked of it.
 */

import type Dockerode from 'dockerode';

import { EngineError } from '../container-engine';
import type { EngineEndpoint } from '../engine-endpoint';
import { connectionFailureMessage } from '../engine-endpoint';
import { loadDockerode } from '../../platform/lazy-packages';
import { isPlainGet, plainDial } from './plain-dial';
import { SshSocketAgent } from '../../ssh/ssh-channel';
import { acquireSshTunnel } from '../../ssh/ssh-tunnel-leases';

/**
 * A local service that is not there fails at once (no socket file, connection refused); this only
 * decides when one that accepted the connection is too slow to count. Ten CLI processes starting
 * together on a busy two-core machine saw no answer within 3 s from a podman that was serving builds.
 */
const DEFAULT_PING_TIMEOUT_MS = 30_000;
/** An SSH ping includes the TCP connect, the handshake and authentication. */
const DEFAULT_SSH_PING_TIMEOUT_MS = 15_000;
/** How long checkEndpoint keeps its SSH connection for the engine that usually follows it. */
const CHECK_LINGER_MS = 10_000;

/**
 * What of dockerode is used: its modem, which sends a request over the endpoint's transport.
 * dockerode itself is loaded at the first request (see lazyDockerode).
 */
export interface EngineDocker {
  modem: Pick<Dockerode['modem'], 'dial'>;
}

/** Dockerode for an endpoint, and how to let go of its connection. */
export interface EngineConnection {
  docker: EngineDocker;
  /**
   * Closes an SSH tunnel once no other user of the same endpoint holds it (after `lingerMs`, if
   * given). Nothing to do for a unix socket. Safe to call twice.
   */
  close(lingerMs?: number): void;
}

/**
 * Dockerode for an endpoint. Every connection option is set explicitly, because docker-modem
 * merges in DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH from the environment otherwise, and
 * a DOCKER_HOST meant for another tool would silently redirect or break the podman connection.
 *
 * ssh:// goes through an SSH tunnel to the remote podman socket (unix-socket forwarding, like
 * podman's remote client), not docker-modem's SSH transport: that one runs `docker system
 * dial-stdio` on the remote host and ignores the socket path.
 */
export function openEngineConnection(
  endpoint: EngineEndpoint,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EngineConnection {
  const neutral = { ca: undefined, cert: undefined, key: undefined, timeout: undefined, version: undefined };
  if (endpoint.kind === 'unix') {
    const docker = lazyDockerode(
      { ...neutral, socketPath: endpoint.socketPath, host: undefined, port: undefined, protocol: 'http' },
      endpoint.socketPath,
    );
    return { docker, close: () => undefined };
  }
  const lease = acquireSshTunnel(endpoint, { env });
  // docker-modem hands `agent` to every http.request; @types/dockerode does not declare it.
  const options: Dockerode.DockerOptions & { agent: SshSocketAgent } = {
    ...neutral,
    socketPath: undefined,
    // Requests go to this name over the tunnel's channels; nothing resolves or dials it.
    host: 'podman',
    port: undefined,
    protocol: 'http',
    agent: new SshSocketAgent(lease.tunnel, endpoint.socketPath),
  };
  const docker = lazyDockerode(options);
  return { docker, close: lingerMs => lease.release(lingerMs) };
}

/**
 * Dockerode for an endpoint, for callers that never close it. Over SSH the tunnel disconnects by
 * itself when idle and never keeps the process alive while no request is open.
 */
export function createDockerode(
  endpoint: EngineEndpoint,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EngineDocker {
  return openEngineConnection(endpoint, env).docker;
}

/**
 * Dockerode with `options`, loaded and made at the first request: a CLI command or an activation
 * that never calls the engine never loads it (with gRPC and protobufjs, its load is the slowest
 * part of starting). A failure to load it is the request's error. On a local socket, a plain GET
 * (ping, info, listing, inspect) is sent with node:http instead, answered the same (plain-dial.ts).
 */
type Dial = EngineDocker['modem']['dial'];

function lazyDockerode(options: Dockerode.DockerOptions, socketPath?: string): EngineDocker {
  let docker: Promise<Dockerode> | undefined;
  return {
    modem: {
      dial(request: Parameters<Dial>[0], callback?: Parameters<Dial>[1]): void {
        if (socketPath !== undefined && isPlainGet(request)) {
          plainDial(socketPath, request, (error, data) => callback?.(error as Error, data as object | null));
          return;
        }
        docker ??= loadDockerode().then(DockerodeClass => new DockerodeClass(options));
        docker.then(
          ready => {
            try {
              ready.modem.dial(request, callback);
            } catch (error) {
              callback?.(error as Error, null);
            }
          },
          (error: unknown) => callback?.(error as Error, null),
        );
      },
    },
  };
}

export interface EndpointCheck {
  /** The libpod API version the service reports, e.g. `4.3.1`. */
  apiVersion: string;
}

/**
 * Checks that a podman service answers at `endpoint` (GET /_ping, short timeout). Rejects with an
 * EngineError that says how to start one, or that the socket belongs to something other than podman.
 */
export async function checkEndpoint(
  endpoint: EngineEndpoint,
  options: { timeoutMs?: number; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<EndpointCheck> {
  const timeoutMs =
    options.timeoutMs ?? (endpoint.kind === 'ssh' ? DEFAULT_SSH_PING_TIMEOUT_MS : DEFAULT_PING_TIMEOUT_MS);
  const { docker, close } = openEngineConnection(endpoint, options.env);
  const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/_ping',
        method: 'GET',
        isStream: true,
        statusCodes: { 200: true },
        abortSignal: AbortSignal.timeout(timeoutMs),
      },
      (error: unknown, response: unknown) => {
        if (error) {
          const status = (error as { statusCode?: number }).statusCode;
          reject(
            new EngineError(
              status === undefined
                ? connectionFailureMessage(endpoint, error, timeoutMs)
                : `The service at ${endpoint.url} answered /_ping with HTTP ${status}; is it podman?`,
              status,
            ),
          );
          return;
        }
        const stream = response as NodeJS.ReadableStream & { headers?: Record<string, string | string[] | undefined> };
        stream.resume();
        resolve(stream.headers ?? {});
      },
    );
  }).finally(() => close(CHECK_LINGER_MS));
  const apiVersion = headers['libpod-api-version'];
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    throw new EngineError(
      `The service at ${endpoint.url} answers but is not podman (no Libpod-Api-Version header); Bootc Studio needs podman's API.`,
    );
  }
  return { apiVersion };
}
