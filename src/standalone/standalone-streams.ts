/**
 * The streams the standalone container engine follows for extension code (logs, pushes, pulls,
 * builds, events): each read to its end with exactly one of `end` and `error`, every callback of
 * extension code contained (its exception reported, never thrown into a stream), and all of them
 * closed at once by dispose(). Also the small readers of podman's answers the stand-in shares.
 */

import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

import { errorMessage } from '../api/errors';
import { EngineError } from '../engine/container-engine';

export class OpenStreams {
  /** Streams still open, closed by dispose(). */
  readonly #open = new Set<{ destroy(): void }>();
  readonly #warn: ((message: string) => void) | undefined;

  constructor(warn?: (message: string) => void) {
    this.#warn = warn;
  }

  /**
   * Reads a response to its end: exactly one of `end` and `error` is called. The stream is
   * registered so that dispose() can close it; a callback that throws is contained here.
   */
  follow(
    response: IncomingMessage,
    handlers: { data(chunk: Buffer): void; end(): void; error(error: unknown): void },
  ): void {
    let settled = false;
    const entry = { destroy: () => response.destroy() };
    this.#open.add(entry);
    const settle = (run: () => void): void => {
      if (settled) return;
      settled = true;
      this.#open.delete(entry);
      contain(run, this.#warn);
    };
    response.on('data', (chunk: Buffer) => {
      if (!settled) contain(() => handlers.data(chunk), this.#warn);
    });
    response.on('end', () => settle(() => handlers.end()));
    response.on('error', error => settle(() => handlers.error(error)));
    response.on('close', () => {
      if (!response.readableEnded) settle(() => handlers.error(new Error('the connection closed')));
    });
  }

  dispose(): void {
    for (const stream of [...this.#open]) stream.destroy();
    this.#open.clear();
  }
}

export function required(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new EngineError(`A ${what} is required`, 400);
  return value;
}

export function stripSha(id: string): string {
  return id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Runs a callback supplied by extension code; its exception is reported, never thrown into a stream. */
export function contain(run: () => void, warn?: (message: string) => void): void {
  try {
    run();
  } catch (error) {
    (warn ?? ((message: string) => console.warn(message)))(
      `A container engine callback failed: ${errorMessage(error)}`,
    );
  }
}

/**
 * A byte stream as Podman Desktop's text events: `first-message` before the first text, then
 * `data` per chunk of whole UTF-8 characters; `end()` flushes what the decoder still holds.
 */
export function textEvents(callback: (name: 'first-message' | 'data', data: string) => void): {
  data: (chunk: Buffer) => void;
  end: () => void;
} {
  const decoder = new StringDecoder('utf8');
  let first = true;
  const emit = (text: string) => {
    if (text === '') return;
    if (first) {
      first = false;
      callback('first-message', '');
    }
    callback('data', text);
  };
  return { data: chunk => emit(decoder.write(chunk)), end: () => emit(decoder.end()) };
}
