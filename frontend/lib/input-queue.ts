/**
 * Typing sent through the bridge in order: what is typed while a send is under way goes in the next
 * one, so keystrokes neither overtake each other nor wait for a call each. Used by the console and
 * the SSH terminal.
 */
export class InputQueue {
  #pending = '';
  #sending = false;
  #closed = false;

  constructor(
    private readonly send: (data: string) => Promise<void>,
    private readonly failed: (error: unknown) => void,
    private readonly sent: () => void = () => undefined,
  ) {}

  push(data: string): void {
    this.#pending += data;
    void this.#flush();
  }

  close(): void {
    this.#closed = true;
  }

  async #flush(): Promise<void> {
    if (this.#sending || !this.#pending || this.#closed) return;
    this.#sending = true;
    const data = this.#pending;
    this.#pending = '';
    try {
      await this.send(data);
      this.sent();
    } catch (error: unknown) {
      this.failed(error);
    } finally {
      this.#sending = false;
      if (this.#pending) void this.#flush();
    }
  }
}
