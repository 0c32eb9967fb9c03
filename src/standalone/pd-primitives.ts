/**
 * The runtime classes of `@podman-desktop/api` (Disposable, EventEmitter, CancellationTokenSource)
 * for standalone mode, with the same behaviour as their VS Code-derived originals.
 */

export class Disposable {
  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  static from(...disposables: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => disposables.forEach(disposable => disposable.dispose()));
  }

  dispose(): void {
    const call = this.#callOnDispose;
    this.#callOnDispose = undefined;
    call?.();
  }
}

export type Listener<T> = (event: T) => unknown;
export type Event<T> = (
  listener: Listener<T>,
  thisArgs?: unknown,
  disposables?: { dispose(): unknown }[],
) => Disposable;

export class EventEmitter<T> {
  readonly #listeners = new Set<Listener<T>>();
  #disposed = false;

  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound: Listener<T> = thisArgs ? listener.bind(thisArgs) : listener;
    if (!this.#disposed) this.#listeners.add(bound);
    const disposable = new Disposable(() => this.#listeners.delete(bound));
    disposables?.push(disposable);
    return disposable;
  };

  fire(data: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(data);
      } catch (err: unknown) {
        console.error('standalone: an event listener threw', err);
      }
    }
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  dispose(): void {
    this.#disposed = true;
    this.#listeners.clear();
  }
}

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
  readonly onCancellationRequested: Event<unknown>;
}

export class CancellationTokenSource {
  readonly #emitter = new EventEmitter<unknown>();
  readonly #state = { cancelled: false };
  readonly token: CancellationToken;

  constructor() {
    const state = this.#state;
    this.token = {
      get isCancellationRequested() {
        return state.cancelled;
      },
      onCancellationRequested: this.#emitter.event,
    };
  }

  cancel(): void {
    if (this.#state.cancelled) return;
    this.#state.cancelled = true;
    this.#emitter.fire(undefined);
  }

  dispose(): void {
    this.#emitter.dispose();
  }
}

/** `ProgressLocation` is a real enum in the API; its values matter to extensions that compare them. */
export enum ProgressLocation {
  APP_ICON = 1,
  TASK_WIDGET = 2,
}
