import { errorMessage } from '../../src/api/errors';

export type ReadBuildLog = (from: number) => Promise<{ text: string; next: number }>;

/**
 * Follows a build's log by byte offset: it remembers where the last read ended and only ever asks
 * from there, however often it is told to look again. The first read starts at 0; every later one
 * at the `next` the backend gave (which may also be smaller, when the file was rewritten). Reads never overlap: a poll asked for during a read runs once
 * that read is done. Plain TypeScript (no Svelte, no xterm), so the follow logic is tested alone.
 */
export class LogFollower {
  readonly #read: ReadBuildLog;
  readonly #write: (text: string) => void;
  readonly #onError: (message: string | undefined) => void;
  #next = 0;
  #reading: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(read: ReadBuildLog, write: (text: string) => void, onError: (message: string | undefined) => void) {
    this.#read = read;
    this.#write = write;
    this.#onError = onError;
  }

  /** The offset the next read starts from. */
  get next(): number {
    return this.#next;
  }

  /** Reads whatever was written since the last read; resolves once caught up. */
  poll(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = this.#drain().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  stop(): void {
    this.#stopped = true;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      try {
        // The backend may answer in chunks: keep reading while it moves on.
        for (;;) {
          const { text, next } = await this.#read(this.#next);
          if (this.#stopped) return;
          if (text) this.#write(text);
          const moved = next > this.#next;
          // The backend's offset wins, even a smaller one: the file was rewritten by a newer build.
          this.#next = next;
          if (!moved || !text) break;
        }
        this.#onError(undefined);
      } catch (err: unknown) {
        if (this.#stopped) return;
        this.#onError(errorMessage(err));
        return;
      }
    } while (this.#again && !this.#stopped);
  }
}
