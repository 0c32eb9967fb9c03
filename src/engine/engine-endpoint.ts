/**
 * Where the podman service lives: an explicit `--url`, podman's own `CONTAINER_HOST`, or the
 * usual socket paths. Pure: the environment (variables, uid, whether a path exists) is a
 * parameter, so every rule is unit-tested without touching the machine; processEndpointEnvironment()
 * gives the real one. Checking that a service answers there is checkEndpoint() in socket/podman-socket-connection.ts.
 */

import { existsSync } from 'node:fs';

import type { SshEndpoint } from '../ssh/ssh-endpoint';
import { describeConnectionError, isSshConnectionError } from '../ssh/ssh-errors';

/** A podman service reached through a local unix socket. */
export interface UnixEndpoint {
  kind: 'unix';
  /** Normalised `unix:///absolute/path`. */
  url: string;
  socketPath: string;
}

export type EngineEndpoint = UnixEndpoint | SshEndpoint;

/** Where the endpoint came from, to name it in messages. */
export type EndpointSource = 'url' | 'CONTAINER_HOST' | 'default';

export interface ResolvedEndpoint {
  endpoint: EngineEndpoint;
  source: EndpointSource;
}

/** What resolution reads of the machine. */
export interface EndpointEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  /** The caller's uid; undefined where there is none (Windows). */
  uid?: number;
  exists(path: string): boolean;
}

/** A value that is not an endpoint this project can use: bad input, named in the message. */
export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

export const ROOTFUL_SOCKET = '/run/podman/podman.sock';

const EXAMPLES = '`unix:///run/podman/podman.sock` or `ssh://user@host:22/run/user/1000/podman/podman.sock`';

/**
 * The endpoint to use: `url` when given, else `CONTAINER_HOST`, else the caller's rootless socket
 * when it exists (`$XDG_RUNTIME_DIR/podman/podman.sock`, or `/run/user/<uid>/podman/podman.sock`),
 * else the rootful socket. An ssh:// endpoint takes its key from `CONTAINER_SSHKEY` whichever way
 * it came (podman's `--identity` defaults to it too). Throws EndpointError for a value it cannot use.
 */
export function resolveEndpoint(url: string | undefined, environment: EndpointEnvironment): ResolvedEndpoint {
  const withKey = (endpoint: EngineEndpoint): EngineEndpoint => {
    const identityFile = environment.env.CONTAINER_SSHKEY;
    if (endpoint.kind === 'ssh' && identityFile) endpoint.identityFile = identityFile;
    return endpoint;
  };
  if (url !== undefined) {
    return { endpoint: withKey(parseEndpointUrl(url, '--url')), source: 'url' };
  }
  const containerHost = environment.env.CONTAINER_HOST;
  if (containerHost) {
    return { endpoint: withKey(parseEndpointUrl(containerHost, 'CONTAINER_HOST')), source: 'CONTAINER_HOST' };
  }
  for (const socketPath of rootlessSocketCandidates(environment)) {
    if (environment.exists(socketPath)) {
      return { endpoint: unixEndpoint(socketPath), source: 'default' };
    }
  }
  return { endpoint: unixEndpoint(ROOTFUL_SOCKET), source: 'default' };
}

/** The sockets a rootless podman listens on for this user, most specific first. */
function rootlessSocketCandidates(environment: EndpointEnvironment): string[] {
  const candidates: string[] = [];
  const runtimeDir = environment.env.XDG_RUNTIME_DIR;
  if (runtimeDir && runtimeDir.startsWith('/')) candidates.push(joinPath(runtimeDir, 'podman/podman.sock'));
  // root's podman listens on the rootful socket; /run/user/0 would be a rootless root, which is odd.
  if (environment.uid !== undefined && environment.uid !== 0) {
    const fallback = `/run/user/${environment.uid}/podman/podman.sock`;
    if (!candidates.includes(fallback)) candidates.push(fallback);
  }
  return candidates;
}

/**
 * Parses `unix:///absolute/path` or `ssh://[user@]host[:port]/absolute/socket/path`. `what` names
 * the value's origin in the message (`--url`, `CONTAINER_HOST`).
 */
export function parseEndpointUrl(value: string, what = 'url'): EngineEndpoint {
  const trimmed = value.trim();
  if (trimmed === '') throw new EndpointError(`${what} is empty; expected ${EXAMPLES}.`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'unix') return parseUnixUrl(trimmed, what);
  if (scheme === 'ssh') return parseSshUrl(trimmed, what);

  const shown = redact(trimmed);
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    throw new EndpointError(
      `${what} ${shown} is not supported: podman's API over plain TCP is unauthenticated; use a unix socket or ssh://, e.g. ${EXAMPLES}.`,
    );
  }
  if (scheme !== undefined && !trimmed.startsWith('/')) {
    throw new EndpointError(`${what} ${shown} has an unsupported scheme "${scheme}:"; expected ${EXAMPLES}.`);
  }
  if (trimmed.startsWith('/')) {
    throw new EndpointError(`${what} ${shown} is a path, not a URL; did you mean unix://${trimmed}?`);
  }
  throw new EndpointError(`${what} ${shown} is not a URL; expected ${EXAMPLES}.`);
}

function parseUnixUrl(value: string, what: string): UnixEndpoint {
  const rest = value.slice('unix:'.length);
  // unix:///abs/path — the authority must be empty; unix://relative/path would mean "host relative".
  if (!rest.startsWith('///')) {
    throw new EndpointError(
      `${what} ${value} needs an absolute socket path after unix:// (three slashes), e.g. unix:///run/podman/podman.sock.`,
    );
  }
  let socketPath: string;
  try {
    socketPath = decodeURIComponent(rest.slice(2).replace(/[?#].*$/, ''));
  } catch {
    throw new EndpointError(`${what} ${value} has a malformed %-escape in its path.`);
  }
  if (socketPath === '/' || socketPath.endsWith('/')) {
    throw new EndpointError(`${what} ${value} names a directory, not a socket, e.g. unix:///run/podman/podman.sock.`);
  }
  return unixEndpoint(socketPath);
}

function parseSshUrl(value: string, what: string): SshEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new EndpointError(`${what} ${redact(value)} is not a valid ssh:// URL; expected ${EXAMPLES}.`);
  }
  if (parsed.password) {
    throw new EndpointError(
      `${what} ${redact(value)} contains a password; use an SSH key (CONTAINER_SSHKEY) or an ssh-agent instead.`,
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new EndpointError(`${what} ${value} has no host; expected ${EXAMPLES}.`);
  const socketPath = decodeURIComponent(parsed.pathname);
  if (!socketPath || socketPath === '/' || socketPath.endsWith('/')) {
    throw new EndpointError(
      `${what} ${value} needs the podman socket path on the remote host, e.g. ssh://core@${parsed.host}/run/user/1000/podman/podman.sock.`,
    );
  }
  const port = parsed.port ? Number(parsed.port) : 22;
  // The URL parser takes any port up to 65535, 0 included: nothing listens there.
  if (port < 1) throw new EndpointError(`${what} ${redact(value)} has port ${port}; a port is 1 to 65535.`);
  const user = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    kind: 'ssh',
    url: `ssh://${user ? `${encodeURIComponent(user)}@` : ''}${hostPart}:${port}${encodeURI(socketPath)}`,
    user,
    host,
    port,
    socketPath,
  };
}

export function unixEndpoint(socketPath: string): UnixEndpoint {
  if (!socketPath.startsWith('/')) {
    throw new EndpointError(`Socket path ${socketPath} is relative; give an absolute path.`);
  }
  return { kind: 'unix', url: `unix://${socketPath}`, socketPath };
}

/**
 * The message for an endpoint that does not answer, with how to start a service there. `cause`
 * is a short reason (e.g. `connection refused`), never a secret.
 */
export function noServiceMessage(endpoint: EngineEndpoint, cause: string): string {
  if (endpoint.kind === 'ssh') {
    return (
      `No podman service reachable at ${endpoint.url} (${cause}). ` +
      `On ${endpoint.host}, start one with \`systemctl --user enable --now podman.socket\` ` +
      `(or \`sudo systemctl enable --now podman.socket\` for root's podman), or pass --url.`
    );
  }
  const start =
    endpoint.socketPath === ROOTFUL_SOCKET
      ? '`sudo systemctl start podman.socket`'
      : '`systemctl --user start podman.socket`';
  return (
    `No podman service at ${endpoint.url} (${cause}). ` +
    `Start one with ${start} or \`podman system service --time=0 ${endpoint.url} &\`, or pass --url.`
  );
}

/**
 * The message for a request that reached no service: an SSH failure's own message (it names the
 * endpoint and what failed: host key, authentication, socket path…), else noServiceMessage.
 */
export function connectionFailureMessage(endpoint: EngineEndpoint, error: unknown, timeoutMs?: number): string {
  if (isSshConnectionError(error)) return error.message;
  return noServiceMessage(endpoint, describeConnectionError(error, timeoutMs));
}

/** The value with any `user:password@` password replaced, so messages never carry it. */
function redact(value: string): string {
  return value.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

function joinPath(dir: string, rest: string): string {
  return `${dir.replace(/\/+$/, '')}/${rest}`;
}

/** The environment of this process, for resolveEndpoint. */
export function processEndpointEnvironment(): EndpointEnvironment {
  return { env: process.env, uid: process.getuid?.(), exists: existsSync };
}
