/**
 * A set of listeners told of each change in turn: a listener that throws does not keep the others
 * from hearing (its failure is its own).
 */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();

  get size(): number {
    return this.#listeners.size;
  }

  add(listener: (value: T) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  emit(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
