/**
 * OpenSSH's unix-socket forwarding (`direct-streamlocal@openssh.com`) as Node's HTTP client wants
 * it: a channel to a socket path on the remote host, that channel as the socket of one HTTP
 * request, and an HTTP agent whose every connection is a new channel.
 */

import type { ClientRequestArgs } from 'node:http';
import { Agent } from 'node:http';
import { Duplex } from 'node:stream';

import type { Client, ClientChannel } from 'ssh2';

/**
 * Opens a channel to `socketPath`. A server that never answers counts as a dead connection after
 * `timeoutMs` (the request would otherwise hold the process open forever).
 */
export function forwardTo(client: Client, socketPath: string, timeoutMs: number): Promise<ClientChannel> {
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

/** What SshSocketAgent asks for each connection: SshTunnel.openStream. */
export interface SocketStreamSource {
  openStream(socketPath: string): Promise<Duplex>;
}

/**
 * An HTTP agent whose every connection is a new channel to the remote podman socket: Node's HTTP
 * client, and dockerode with it, run unchanged over SSH, streaming and concurrent requests included.
 */
export class SshSocketAgent extends Agent {
  constructor(
    private readonly tunnel: SocketStreamSource,
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
