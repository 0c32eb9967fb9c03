/**
 * A podman socket on another host, reached the way podman's own remote client reaches it: one SSH
 * connection (ssh2), and per HTTP request one `direct-streamlocal@openssh.com` channel to the remote
 * unix socket (OpenSSH's unix-socket forwarding). No command runs on the remote host, so a plain
 * podman host with `podman.socket` enabled is enough.
 *
 * - The host key must be in ~/.ssh/known_hosts (ssh-known-hosts.ts); an unknown or changed key is
 *   refused with how to add it, never accepted silently.
 * - Keys: ssh-auth.ts (CONTAINER_SSHKEY, else the ssh-agent, then the default keys).
 * - The connection is opened on the first request, shared by every request after it (streams and
 *   many at once), opened again on the next request once it has dropped, and closed after a while
 *   without requests. While no request is open its TCP socket does not keep Node running, so a CLI
 *   exits when its work is done.
 * - SshSocketAgent hands dockerode's HTTP requests those channels; acquireSshTunnel shares one
 *   tunnel among the users of an endpoint (checkEndpoint, then the engine) and closes it when the
 *   last lets go.
 */

import { existsSync, readFileSync } from 'node:fs';
import type { ClientRequestArgs } from 'node:http';
import { Agent } from 'node:http';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';

import type { AnyAuthMethod, AuthenticationType, ClientChannel, NextAuthHandler } from 'ssh2';
import { Client } from 'ssh2';

import type { LoadedAuth, SshAuthSource } from './ssh-auth';
import { chooseSshAuth, describeAuthSource, loadSshAuth } from './ssh-auth';
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

/** Where an SSH connection for `endpoint` looks for its settings, from `env`. */
export interface SshSettings {
  user: string;
  home: string;
  knownHostsPath: string;
  auth: SshAuthSource[];
}

export function sshSettings(endpoint: SshEndpoint, env: Env): SshSettings {
  const home = env.HOME || homedir();
  return {
    user: endpoint.user ?? userInfo().username,
    home,
    knownHostsPath: join(home, '.ssh', 'known_hosts'),
    auth: chooseSshAuth({
      identityFile: endpoint.identityFile ?? (env.CONTAINER_SSHKEY || undefined),
      agentSocket: env.SSH_AUTH_SOCK || undefined,
      home,
      exists: existsSync,
    }),
  };
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
    const { methods, skipped } = loadSshAuth(endpoint, settings.auth, path => readFileSync(path));
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

/** The keys to offer, one after the other, and what became of each for the failure message. */
class AuthAttempts {
  private readonly queue: LoadedAuth[];
  private readonly tried: string[] = [];
  private current?: LoadedAuth;
  private refusedAll?: AuthenticationType[];

  constructor(
    methods: readonly LoadedAuth[],
    private readonly user: string,
  ) {
    this.queue = [...methods];
  }

  /** The next method, or false when none is left (ssh2 then fails authentication). */
  next(methodsLeft: AuthenticationType[] | null): AnyAuthMethod | false {
    if (methodsLeft && !methodsLeft.includes('publickey')) {
      this.refusedAll = methodsLeft;
      return false;
    }
    const method = this.queue.shift();
    this.current = method;
    if (!method) return false;
    this.tried.push(describeAuthSource(method.source));
    return method.type === 'agent'
      ? { type: 'agent', username: this.user, agent: method.agent }
      : { type: 'publickey', username: this.user, key: method.key };
  }

  noteAgentProblem(problem: string): void {
    if (this.current?.type === 'agent' && this.tried.length > 0) {
      this.tried[this.tried.length - 1] += ` (unusable: ${problem})`;
    }
  }

  describeTried(): string[] {
    const tried = [...this.tried];
    if (this.refusedAll) tried.push(`the server accepts no keys, only: ${this.refusedAll.join(', ') || 'nothing'}`);
    return tried;
  }
}

/**
 * Opens a channel to `socketPath`. A server that never answers counts as a dead connection after
 * `timeoutMs` (the request would otherwise hold the process open forever).
 */
function forwardTo(client: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
  return new Promise<ClientChannel>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`no answer to the channel request within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    try {
      client.openssh_forwardOutStreamLocal(socketPath, (error, channel) => {
        clearTimeout(timer);
        if (done) {
          channel?.destroy();
          return;
        }
        done = true;
        if (error) reject(error);
        else resolve(channel);
      });
    } catch (error) {
      // "Not connected": the socket closed since the last request.
      clearTimeout(timer);
      done = true;
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function readKnownHosts(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // No file (or an unreadable one): every host is unknown, and the message says how to add it.
    return '';
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

/**
 * An SSH channel as the socket of one HTTP request: a plain Duplex whose destroy() closes the
 * channel and emits 'close' (an ssh2 channel's own destroy does neither at once), with the socket
 * methods Node's HTTP client may call. `failure` keeps why it was failed, for the reader of a
 * response cut short (Node reports that only as "aborted").
 */
export class ChannelSocket extends Duplex {
  failure?: Error;
  private readonly channel: ClientChannel;

  constructor(
    channel: ClientChannel,
    /** The SSH connection the channel belongs to. */
    readonly client: Client,
  ) {
    super({ allowHalfOpen: false });
    this.channel = channel;
    channel.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.on('end', () => this.push(null));
    channel.on('error', (error: Error) => this.destroy(error));
    channel.on('close', () => {
      // Whatever the server sent is read before the stream ends; writes after this go nowhere.
      if (!this.writableEnded) this.end();
    });
  }

  /** Ends the stream with `error` (a dropped or closed connection). */
  fail(error: Error): void {
    this.failure ??= error;
    this.destroy(error);
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // ssh2 drops writes to a channel that is no longer open without calling back.
    if ((this.channel.outgoing as { state?: string } | undefined)?.state !== 'open') {
      callback(new Error('the SSH channel is closed'));
      return;
    }
    this.channel.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.channel.destroy();
    callback(error);
  }

  setTimeout(_ms: number, _callback?: () => void): this {
    return this;
  }

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

/** The reason a response's socket was failed by the tunnel, if it was. */
export function tunnelFailureOf(response: { socket?: unknown }): Error | undefined {
  return response.socket instanceof ChannelSocket ? response.socket.failure : undefined;
}

/**
 * An HTTP agent whose every connection is a new channel to the remote podman socket: Node's HTTP
 * client, and dockerode with it, run unchanged over SSH, streaming and concurrent requests included.
 */
export class SshSocketAgent extends Agent {
  constructor(
    private readonly tunnel: SshTunnel,
    private readonly socketPath: string,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.tunnel.openStream(this.socketPath).then(
      stream => callback?.(null, stream),
      (error: unknown) => callback?.(error instanceof Error ? error : new Error(String(error)), undefined as never),
    );
    return undefined;
  }
}

export interface SshTunnelLease {
  readonly tunnel: SshTunnel;
  /**
   * Lets go of the tunnel. When no lease is left it is closed — after `lingerMs` if given, so that
   * a quick check followed by real work (the CLI's checkEndpoint, then the engine) shares one
   * connection. Safe to call twice.
   */
  release(lingerMs?: number): void;
}

interface Shared {
  tunnel: SshTunnel;
  leases: number;
  linger?: NodeJS.Timeout;
}

const shared = new Map<string, Shared>();

/** A lease on the tunnel for `endpoint` with these settings, shared with other users of the same. */
export function acquireSshTunnel(endpoint: SshEndpoint, options: SshTunnelOptions = {}): SshTunnelLease {
  const env = options.env ?? process.env;
  const settings = sshSettings(endpoint, env);
  const key = JSON.stringify([
    settings.user,
    endpoint.url,
    settings.auth,
    settings.knownHostsPath,
    options.readyTimeoutMs,
    options.idleDisconnectMs,
  ]);
  let entry = shared.get(key);
  if (!entry) {
    entry = { tunnel: new SshTunnel(endpoint, { ...options, env }), leases: 0 };
    shared.set(key, entry);
  }
  const held = entry;
  clearTimeout(held.linger);
  held.linger = undefined;
  held.leases++;
  let released = false;
  return {
    tunnel: held.tunnel,
    release(lingerMs = 0) {
      if (released) return;
      released = true;
      held.leases--;
      if (held.leases > 0) return;
      const end = () => {
        if (held.leases > 0 || shared.get(key) !== held) return;
        shared.delete(key);
        held.tunnel.close();
      };
      if (lingerMs <= 0) {
        end();
        return;
      }
      clearTimeout(held.linger);
      held.linger = setTimeout(end, lingerMs);
      held.linger.unref();
    },
  };
}

/**
 * Closes every shared tunnel at once, leases or not (a process shutting down; tests that must
 * start from no connection).
 */
export function closeSharedSshTunnels(): void {
  for (const entry of shared.values()) {
    clearTimeout(entry.linger);
    entry.tunnel.close();
  }
  shared.clear();
}
