/**
 * A QMP client (QEMU's machine protocol) on the VM's UNIX socket: newline-delimited JSON, a
 * greeting from QEMU, `qmp_capabilities` to enter command mode, then commands answered in order
 * (`{"return": …}` or `{"error": {class, desc}}`) with events (`{"event": …}`) in between.
 */

import { connect, type Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: unknown;
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    description: string,
  ) {
    super(`QEMU refused ${command}: ${description}`);
    this.name = 'QmpError';
  }
}

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class QmpClient {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  readonly #eventListeners = new Set<(event: QmpEvent) => void>();
  #buffer = '';
  #closed: Error | undefined;
  #onClose = new Set<() => void>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#data(chunk));
    socket.on('error', error => this.#close(error));
    socket.on('close', () => this.#close(new Error('QEMU closed its QMP socket')));
  }

  /** Connects, reads the greeting and enters command mode; rejects when no QMP answers within `timeoutMs`. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = connect(path);
    const client = new QmpClient(socket);
    const timer = setTimeout(
      () => socket.destroy(new Error(`QMP at ${path} did not answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        client.#pending.push({ command: 'greeting', resolve: () => resolve(), reject });
      });
      await client.execute('qmp_capabilities');
      return client;
    } catch (error: unknown) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ command, resolve: value => resolve(value as T), reject });
      this.#socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Resolves when the socket closes (QEMU quit, or `close()`). */
  whenClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise(resolve => this.#onClose.add(resolve));
  }

  close(): void {
    this.#socket.destroy();
  }

  #data(chunk: string): void {
    this.#buffer += chunk;
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline).trim();
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line) this.#message(line);
    }
  }

  #message(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message.event === 'string') {
      for (const listener of this.#eventListeners) listener({ event: message.event, data: message.data });
      return;
    }
    const pending = this.#pending.shift();
    if (!pending) return;
    if ('QMP' in message || 'return' in message) pending.resolve(message.return);
    else if (typeof message.error === 'object' && message.error !== null) {
      const error = message.error as { class?: unknown; desc?: unknown };
      pending.reject(
        new QmpError(pending.command, String(error.class ?? 'GenericError'), String(error.desc ?? 'no reason given')),
      );
    } else pending.resolve(undefined);
  }

  #close(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    for (const pending of this.#pending.splice(0)) pending.reject(error);
    for (const resolve of this.#onClose) resolve();
    this.#onClose.clear();
  }
}

/** QEMU's run state (`running`, `paused`, `shutdown`, `internal-error`, …), through QMP. */
export async function queryStatus(client: QmpClient): Promise<string> {
  const status = await client.execute<{ status?: string }>('query-status');
  return status?.status ?? 'unknown';
}
