/**
 * A VM's serial console. QEMU logs everything the guest writes to the serial port in the VM's
 * console.log, whether or not anyone is attached, so output is read from that file by byte offset
 * (the page restores its scrollback from it when re-opened). Input goes to the console's UNIX
 * socket, which QEMU serves to one client at a time: a writer keeps its connection for a short
 * while after the last keystroke, then lets it go for the next (a `vm console` in a terminal, say).
 */

import { open, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

import type { ConsoleChunk } from '../api/vms';

/** The most a read returns; a page asks again from `next`. */
export const MAX_CONSOLE_READ = 256 * 1024;

/**
 * Console output from byte `from` (negative: the last `-from` bytes). A log shorter than `from`
 * was started anew (the VM booted again after a delete): reading goes on from its start.
 */
export async function readConsole(logPath: string, from: number, max = MAX_CONSOLE_READ): Promise<ConsoleChunk> {
  const size = await stat(logPath).then(
    info => info.size,
    () => 0,
  );
  let start = from < 0 ? Math.max(0, size + from) : from;
  if (start > size) start = 0;
  const length = Math.min(max, size - start);
  if (length <= 0) return { data: '', next: start };
  const file = await open(logPath, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, start);
    // Stop before a UTF-8 sequence cut in two; its rest comes with the next read.
    let end = bytesRead;
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && (buffer[end - back - 1] & 0xc0) === 0x80) back++;
    if (back < 3 && end - back - 1 >= 0) {
      const lead = buffer[end - back - 1];
      const need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
      if (need > back) end -= back + 1;
    }
    return { data: buffer.subarray(0, end).toString('utf8'), next: start + end };
  } finally {
    await file.close();
  }
}

/** Keeps one connection to a console socket while input comes, and lets it go when idle. */
export class ConsoleWriter {
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #idle: NodeJS.Timeout | undefined;

  constructor(
    readonly socketPath: string,
    readonly idleMs = 3000,
  ) {}

  async write(data: string): Promise<void> {
    const socket = await this.#connection();
    await new Promise<void>((resolve, reject) => socket.write(data, error => (error ? reject(error) : resolve())));
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(), this.idleMs);
    this.#idle.unref();
  }

  close(): void {
    clearTimeout(this.#idle);
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#connecting = undefined;
  }

  #connection(): Promise<Socket> {
    if (this.#socket && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    this.#connecting ??= new Promise<Socket>((resolve, reject) => {
      // While another client is attached, QEMU serves this one (and its input) only once that one left.
      const socket = connect(this.socketPath);
      socket.once('connect', () => {
        this.#socket = socket;
        // Output is read from the log; what arrives here is dropped.
        socket.on('data', () => undefined);
        socket.on('close', () => {
          if (this.#socket === socket) this.#socket = undefined;
        });
        resolve(socket);
      });
      socket.once('error', error => {
        this.#connecting = undefined;
        reject(error);
      });
    });
    return this.#connecting;
  }
}
