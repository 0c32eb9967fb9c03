/**
 * What can go wrong on the way to a podman socket over SSH, each as one message that names the
 * endpoint (its URL never holds a password: parseEndpointUrl refuses one) and says what to do.
 */

import type { SshEndpoint } from './ssh-endpoint';

export type SshFailure =
  /** The host name does not resolve. */
  | 'dns'
  /** Nothing accepts TCP connections there, or the network is in the way. */
  | 'network'
  /** No SSH handshake within the time limit. */
  | 'timeout'
  | 'host-key-unknown'
  | 'host-key-mismatch'
  | 'host-key-revoked'
  /** The server accepted none of the keys tried. */
  | 'auth'
  /** The identity file (CONTAINER_SSHKEY) cannot be used: missing, unreadable, encrypted, public. */
  | 'identity'
  /** The SSH server does not allow unix-socket forwarding. */
  | 'forwarding-refused'
  /** SSH works, but no podman service listens at the socket path there. */
  | 'socket-missing'
  /** An established SSH connection went away. */
  | 'lost'
  /** The connection was closed on purpose (the engine was disposed). */
  | 'closed'
  /** Anything else the SSH layer reported. */
  | 'protocol';

/**
 * A failure of the SSH transport; its message is complete and meant for the user as it is. A
 * container engine's request wraps it in an EngineError (engine/podman-socket-client.ts).
 */
export class SshConnectionError extends Error {
  constructor(
    message: string,
    readonly failure: SshFailure,
  ) {
    super(message);
    this.name = 'SshConnectionError';
  }
}

export function isSshConnectionError(error: unknown): error is SshConnectionError {
  return error instanceof SshConnectionError;
}

/** `user@host:port`, as the SSH connection sees it. */
export function sshTarget(endpoint: SshEndpoint, user: string): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${user}@${host}:${endpoint.port}`;
}

/** `ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts`, the way to add a host after checking it. */
export function keyscanCommand(endpoint: SshEndpoint): string {
  const port = endpoint.port === 22 ? '' : `-p ${endpoint.port} `;
  return `ssh-keyscan ${port}${endpoint.host} >> ~/.ssh/known_hosts`;
}

export function networkFailure(
  endpoint: SshEndpoint,
  reason: string,
  failure: 'dns' | 'network' | 'timeout',
): SshConnectionError {
  return new SshConnectionError(
    `Cannot reach the SSH server of ${endpoint.url} at ${endpoint.host}:${endpoint.port} (${reason}). ` +
      'Check the host name and port, and that sshd runs there.',
    failure,
  );
}

export function unknownHostKey(
  endpoint: SshEndpoint,
  knownHostsPath: string,
  keyType: string,
  fingerprint: string,
  knownTypes: readonly string[],
): SshConnectionError {
  const others = knownTypes.length > 0 ? ` (it lists only ${knownTypes.join(', ')} keys for it)` : '';
  return new SshConnectionError(
    `The SSH host key of ${endpoint.host}:${endpoint.port} (${keyType} ${fingerprint}) is not in ${knownHostsPath}${others}; ` +
      `refusing to connect to ${endpoint.url} through an unknown host. If that fingerprint is the host's, add its key with ` +
      `\`${keyscanCommand(endpoint)}\` (or connect once with ssh), then retry.`,
    'host-key-unknown',
  );
}

export function mismatchedHostKey(
  endpoint: SshEndpoint,
  knownHostsPath: string,
  line: number,
  keyType: string,
  fingerprint: string,
): SshConnectionError {
  const name = endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`;
  return new SshConnectionError(
    `The SSH host key of ${endpoint.host}:${endpoint.port} has changed: it presents ${keyType} ${fingerprint}, ` +
      `which differs from the key in ${knownHostsPath} line ${line}; refusing to connect to ${endpoint.url}. ` +
      'Someone could be intercepting the connection, or the host was reinstalled. If the change is expected, remove the ' +
      `old key with \`ssh-keygen -R '${name}'\` and add the new one with \`${keyscanCommand(endpoint)}\`.`,
    'host-key-mismatch',
  );
}

export function revokedHostKey(
  endpoint: SshEndpoint,
  knownHostsPath: string,
  line: number,
  fingerprint: string,
): SshConnectionError {
  return new SshConnectionError(
    `The SSH host key of ${endpoint.host}:${endpoint.port} (${fingerprint}) is marked @revoked in ${knownHostsPath} ` +
      `line ${line}; refusing to connect to ${endpoint.url}.`,
    'host-key-revoked',
  );
}

export function authFailure(endpoint: SshEndpoint, user: string, tried: readonly string[]): SshConnectionError {
  const what =
    tried.length > 0
      ? `tried ${tried.join('; ')}`
      : 'no key to try: set CONTAINER_SSHKEY, start an ssh-agent, or create ~/.ssh/id_ed25519';
  return new SshConnectionError(
    `SSH authentication as ${sshTarget(endpoint, user)} failed for ${endpoint.url} (${what}). ` +
      `The public key must be in ~${user}/.ssh/authorized_keys on ${endpoint.host} (\`ssh-copy-id\` adds it).`,
    'auth',
  );
}

export function identityFailure(endpoint: SshEndpoint, path: string, problem: string): SshConnectionError {
  return new SshConnectionError(
    `Cannot use the SSH key ${path} (CONTAINER_SSHKEY) for ${endpoint.url}: ${problem}.`,
    'identity',
  );
}

export function forwardingRefused(endpoint: SshEndpoint, user: string): SshConnectionError {
  return new SshConnectionError(
    `The SSH server of ${sshTarget(endpoint, user)} refuses to forward connections to the unix socket ` +
      `${endpoint.socketPath} for ${endpoint.url} (administratively prohibited). Podman's remote API needs ` +
      '`AllowStreamLocalForwarding yes` (the default) in its sshd_config.',
    'forwarding-refused',
  );
}

export function socketMissing(endpoint: SshEndpoint, user: string, reason: string): SshConnectionError {
  return new SshConnectionError(
    `SSH to ${sshTarget(endpoint, user)} works, but nothing accepts connections at ${endpoint.socketPath} there ` +
      `(${reason}) for ${endpoint.url}. Is \`podman system service\` running there? Start it with ` +
      '`systemctl --user enable --now podman.socket` (or `sudo systemctl enable --now podman.socket` for ' +
      `root's podman). If it runs: check the socket path, that ${user} may open it, and that the server's ` +
      'sshd_config allows forwarding (AllowTcpForwarding and AllowStreamLocalForwarding).',
    'socket-missing',
  );
}

export function connectionLost(endpoint: SshEndpoint, reason: string): SshConnectionError {
  return new SshConnectionError(
    `The SSH connection to ${endpoint.host}:${endpoint.port} for ${endpoint.url} was lost (${reason}).`,
    'lost',
  );
}

export function connectionClosed(endpoint: SshEndpoint): SshConnectionError {
  return new SshConnectionError(`The SSH connection for ${endpoint.url} has been closed.`, 'closed');
}

export function protocolFailure(endpoint: SshEndpoint, reason: string): SshConnectionError {
  return new SshConnectionError(
    `SSH to ${endpoint.host}:${endpoint.port} failed for ${endpoint.url}: ${reason}.`,
    'protocol',
  );
}

/** A short human reason for a connection failure, from a Node error code. */
export function describeConnectionError(error: unknown, timeoutMs?: number): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ABORT_ERR' || code === 'ETIMEDOUT') {
    return timeoutMs ? `no answer within ${formatSeconds(timeoutMs)}` : 'no answer in time';
  }
  switch (code) {
    case 'ENOENT':
      return 'the socket does not exist';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied on the socket';
    case 'ENOTSOCK':
      return 'the path is not a socket';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200) || 'unknown error';
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}
