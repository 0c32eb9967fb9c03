/**
 * Calls `run` at most once per `intervalMs` however often `request` is called: the first request
 * runs at once, later ones within the interval collapse into one trailing run. Progress changes
 * many times a second; the page only needs to hear "changed" a few times a second.
 */
export class Throttle {
  #last = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly run: () => void,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  request(): void {
    if (this.#timer) return;
    const wait = this.#last + this.intervalMs - this.now();
    if (wait <= 0) {
      this.#fire();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fire();
    }, wait);
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#last = this.now();
    this.run();
  }
}
