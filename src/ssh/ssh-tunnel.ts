/**
 * A podman socket on another host, reached the way podman's own remote client reaches it: one SSH
 * connection (ssh2), and per HTTP request one `direct-streamlocal@openssh.com` channel to the remote
 * unix socket (OpenSSH's unix-socket forwarding). No command runs on the remote host, so a plain
 * podman host with `podman.socket` enabled is enough.
 *
 * - The host key must be in ~/.ssh/known_hosts (ssh-known-hosts.ts); an unknown or changed key is
 *   refused with how to add it, never accepted silently.
 * - Keys: ssh-auth.ts (CONTAINER_SSHKEY, else the ssh-agent, then the default keys), offered in
 *   turn by ssh-login.ts.
 * - The connection is opened on the first request, shared by every request after it (streams and
 *   many at once), opened again on the next request once it has dropped, and closed after a while
 *   without requests. While no request is open its TCP socket does not keep Node running, so a CLI
 *   exits when its work is done.
 * - SshSocketAgent (ssh-channel.ts) hands dockerode's HTTP requests those channels;
 *   acquireSshTunnel (ssh-tunnel-leases.ts) shares one tunnel among the users of an endpoint
 *   (checkEndpoint, then the engine) and closes it when the last lets go.
 */

import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import type { AnyAuthMethod, AuthenticationType, Client, NextAuthHandler } from 'ssh2';

import { loadSsh2 } from '../platform/lazy-packages';
import { loadSshAuth } from './ssh-auth';
import { ChannelSocket, forwardTo } from './ssh-channel';
import type { SshEndpoint } from './ssh-endpoint';
import type { SshConnectionError } from './ssh-errors';
import {
  authFailure,
  connectionClosed,
  connectionLost,
  describeConnectionError,
  forwardingRefused,
  isSshConnectionError,
  mismatchedHostKey,
  networkFailure,
  protocolFailure,
  revokedHostKey,
  socketMissing,
  unknownHostKey,
} from './ssh-errors';
import {
  blobKeyType,
  keyFingerprint,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from './ssh-known-hosts';
import { AuthAttempts, readKnownHosts, sshSettings } from './ssh-login';

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_READY_TIMEOUT_MS = 15_000;
const DEFAULT_IDLE_DISCONNECT_MS = 60_000;
/** TCP keepalive on the SSH socket: a peer that vanished is noticed without SSH-level timers. */
const TCP_KEEPALIVE_MS = 30_000;

/** SSH channel-open failure reasons (RFC 4254 §5.1). */
const OPEN_ADMINISTRATIVELY_PROHIBITED = 1;
const OPEN_CONNECT_FAILED = 2;

export interface SshTunnelOptions {
  /** HOME (known_hosts, default keys), SSH_AUTH_SOCK, CONTAINER_SSHKEY. Default process.env. */
  env?: Env;
  /** Time allowed for TCP connect + SSH handshake + authentication. Default 15 s. */
  readyTimeoutMs?: number;
  /** The SSH connection is closed after this long without any open request. Default 60 s. */
  idleDisconnectMs?: number;
}

interface Live {
  client: Client;
  socket: Socket;
  /** Why the connection ended, once an error said so. */
  lastError?: string;
}

export class SshTunnel {
  readonly endpoint: SshEndpoint;
  /** The remote user: the URL's, else the local one (as podman does). */
  readonly user: string;
  private readonly env: Env;
  private readonly readyTimeoutMs: number;
  private readonly idleDisconnectMs: number;
  private live?: Live;
  private connecting?: Promise<Live>;
  /** Requests waiting for a channel, and channels open: while either exists the socket is ref'd. */
  private pending = 0;
  private readonly streams = new Set<ChannelSocket>();
  private idleTimer?: NodeJS.Timeout;
  private closed = false;
  /** Connections being closed on purpose, whose 'close' is not a loss. */
  private readonly leaving = new WeakSet<Client>();

  constructor(endpoint: SshEndpoint, options: SshTunnelOptions = {}) {
    this.endpoint = endpoint;
    this.env = options.env ?? process.env;
    this.user = sshSettings(endpoint, this.env).user;
    this.readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.idleDisconnectMs = options.idleDisconnectMs ?? DEFAULT_IDLE_DISCONNECT_MS;
  }

  /** Whether an SSH connection is up right now (for tests and diagnostics). */
  get connected(): boolean {
    return this.live !== undefined;
  }

  /** Channels open right now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * A stream to `socketPath` on the remote host (default: the endpoint's), connecting first when
   * needed. Rejects with an SshConnectionError that says what failed.
   */
  async openStream(socketPath: string = this.endpoint.socketPath): Promise<Duplex> {
    if (this.closed) throw connectionClosed(this.endpoint);
    this.pending++;
    this.updateRef();
    try {
      // A connection that died while idle is only noticed when a channel is asked of it: one retry.
      for (let attempt = 1; ; attempt++) {
        const live = await this.connect();
        try {
          const channel = await forwardTo(live.client, socketPath, this.readyTimeoutMs);
          if (this.closed) {
            channel.destroy();
            throw connectionClosed(this.endpoint);
          }
          const stream = new ChannelSocket(channel, live.client);
          this.streams.add(stream);
          stream.once('close', () => {
            this.streams.delete(stream);
            this.updateRef();
          });
          return stream;
        } catch (error) {
          if (isSshConnectionError(error)) throw error;
          const reason = (error as { reason?: unknown }).reason;
          if (reason === OPEN_ADMINISTRATIVELY_PROHIBITED) throw forwardingRefused(this.endpoint, this.user);
          if (reason === OPEN_CONNECT_FAILED) throw socketMissing(this.endpoint, this.user, 'connect failed');
          if (typeof reason === 'number') throw socketMissing(this.endpoint, this.user, shortMessage(error));
          this.drop(live);
          if (attempt >= 2) throw connectionLost(this.endpoint, shortMessage(error));
        }
      }
    } finally {
      this.pending--;
      this.updateRef();
    }
  }

  /** Closes the connection and every stream on it; later requests fail. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    const error = connectionClosed(this.endpoint);
    for (const stream of [...this.streams]) stream.fail(error);
    if (this.live) this.drop(this.live);
  }

  private connect(): Promise<Live> {
    if (this.live) return Promise.resolve(this.live);
    this.connecting ??= this.establish().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Ends a connection on purpose (idle, close, or found dead). */
  private drop(live: Live): void {
    this.leaving.add(live.client);
    if (this.live === live) this.live = undefined;
    live.client.end();
    live.socket.destroy();
  }

  /** Ref the socket while requests need it; after the last one, unref it and start the idle timer. */
  private updateRef(): void {
    const busy = this.pending > 0 || this.streams.size > 0;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (busy) {
      this.live?.socket.ref();
      return;
    }
    this.live?.socket.unref();
    if (this.live && !this.closed) {
      const live = this.live;
      this.idleTimer = setTimeout(() => {
        if (this.live === live && this.pending === 0 && this.streams.size === 0) this.drop(live);
      }, this.idleDisconnectMs);
      this.idleTimer.unref();
    }
  }

  private async establish(): Promise<Live> {
    const endpoint = this.endpoint;
    const settings = sshSettings(endpoint, this.env);
    // Keys first: a CONTAINER_SSHKEY that cannot be used fails before any network traffic.
    const { methods, skipped } = await loadSshAuth(endpoint, settings.auth, path => readFileSync(path));
    const { Client } = await loadSsh2();
    const knownHosts = parseKnownHosts(readKnownHosts(settings.knownHostsPath));

    return new Promise<Live>((resolve, reject) => {
      const client = new Client();
      const socket = new Socket();
      const live: Live = { client, socket };
      let settled = false;
      let hostKeyError: SshConnectionError | undefined;
      const auth = new AuthAttempts(methods, settings.user);

      const fail = (error: SshConnectionError): void => {
        if (settled) return;
        settled = true;
        this.leaving.add(client);
        client.end();
        socket.destroy();
        reject(error);
      };

      client.on('error', (error: Error & { level?: string; code?: unknown }) => {
        if (settled) {
          live.lastError = shortMessage(error);
          return;
        }
        // Not fatal: ssh2 reports them and goes on with the next key.
        if (error.level === 'agent') {
          auth.noteAgentProblem(shortMessage(error));
          return;
        }
        if (error.level === 'client-authentication' && /^Error signing/.test(error.message)) return;
        if (hostKeyError) {
          fail(hostKeyError);
        } else if (error.level === 'client-authentication') {
          fail(
            authFailure(endpoint, settings.user, [...auth.describeTried(), ...skipped.map(key => `skipped ${key}`)]),
          );
        } else if (error.level === 'client-timeout') {
          fail(networkFailure(endpoint, `no SSH handshake within ${this.readyTimeoutMs / 1000} s`, 'timeout'));
        } else if (error.level === 'client-socket' || error.level === 'client-dns') {
          const code = error.code;
          fail(
            networkFailure(
              endpoint,
              code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host not found (DNS)' : describeConnectionError(error),
              code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'network',
            ),
          );
        } else {
          fail(protocolFailure(endpoint, shortMessage(error)));
        }
      });
      client.on('ready', () => {
        if (settled) return;
        if (this.closed) {
          // close() came while this connection was being made: nobody will use or end it.
          fail(connectionClosed(endpoint));
          return;
        }
        settled = true;
        this.live = live;
        this.updateRef();
        resolve(live);
      });
      client.on('close', () => {
        if (!settled) {
          fail(hostKeyError ?? protocolFailure(endpoint, 'the server closed the connection during the handshake'));
          return;
        }
        if (this.live === live) this.live = undefined;
        // Streams still open on it end with the reason (none are left after an idle disconnect).
        const error = this.closed
          ? connectionClosed(endpoint)
          : connectionLost(
              endpoint,
              live.lastError ?? (this.leaving.has(client) ? 'it stopped answering' : 'the server closed it'),
            );
        for (const stream of [...this.streams]) if (stream.client === client) stream.fail(error);
        this.updateRef();
      });

      socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
      // Connect first: ssh2 takes a socket that is not connecting for one already connected.
      socket.connect({ host: endpoint.host, port: endpoint.port });
      client.connect({
        sock: socket,
        username: settings.user,
        readyTimeout: this.readyTimeoutMs,
        keepaliveInterval: 0,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownHosts, endpoint.host, endpoint.port) as never },
        hostVerifier: (key: Buffer): boolean => {
          const verdict = verifyHostKey(knownHosts, endpoint.host, endpoint.port, key);
          if (verdict.status === 'trusted') return true;
          const fingerprint = keyFingerprint(key);
          const keyType = blobKeyType(key);
          hostKeyError =
            verdict.status === 'unknown'
              ? unknownHostKey(endpoint, settings.knownHostsPath, keyType, fingerprint, verdict.knownTypes)
              : verdict.status === 'mismatch'
                ? mismatchedHostKey(endpoint, settings.knownHostsPath, verdict.entry.line, keyType, fingerprint)
                : revokedHostKey(endpoint, settings.knownHostsPath, verdict.entry.line, fingerprint);
          return false;
        },
        authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler) => {
          next(auth.next(methodsLeft) as AnyAuthMethod);
        },
      });
    });
  }
}

function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .split('\n')[0]
      .replace(/^\(SSH\) /, '')
      .slice(0, 200) || 'unknown error'
  );
}
