/**
 * podman's streamed answers (build, push, pull, the `/events` stream) are newline-delimited JSON
 * arriving in arbitrary chunks: a chunk may hold several objects or half of one, and a multi-byte
 * character may straddle two. This splits such a stream into parsed values and never throws from a
 * stream handler (a line that is not JSON goes to `onText`, never to an uncaught exception that
 * would take the process down).
 */

import { StringDecoder } from 'node:string_decoder';

export class JsonLines {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';

  constructor(
    private readonly onValue: (value: unknown) => void,
    private readonly onText: (line: string) => void = () => undefined,
  ) {}

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.parse(line);
    }
  }

  /** Parses what is left after the last newline (a stream need not end with one). */
  end(): void {
    this.buffer += this.decoder.end();
    const rest = this.buffer;
    this.buffer = '';
    this.parse(rest);
  }

  private parse(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      this.onText(trimmed);
      return;
    }
    this.onValue(value);
  }
}
