/**
 * What the Dashboard and the disk build form show of the engines (the engine list; an image's
 * architectures and labels) comes from what is already known: the first question waits for the
 * engine, later ones are answered at once while a refresh runs in the background, and a refresh
 * that finds something else tells the page through `onChanged` (a push: "engines changed"). Asking
 * podman (its /info, two inspects) takes a second or more per visit otherwise.
 *
 * Only what the pages show goes through here: a build reads the image it starts from afresh.
 */

import { isDeepStrictEqual } from 'node:util';

import type { ContainerEngine, EngineInfo } from './container-engine';

export interface RefreshingCacheOptions {
  /** An answer older than this is refreshed in the background the next time it is asked for. */
  maxAgeMs: number;
  /** A background refresh found a value other than the one answered before. */
  onChanged?(key: string): void;
  /** Whether a value may be answered from memory later (an empty engine list is asked again). */
  keep?(value: unknown): boolean;
  now?(): number;
}

interface Entry<V> {
  value?: { data: V };
  at: number;
  stale: boolean;
  pending?: Promise<V>;
}

/** Values by key, answered from memory once known and refreshed in the background. */
export class RefreshingCache<V> {
  readonly #entries = new Map<string, Entry<V>>();

  constructor(private readonly options: RefreshingCacheOptions) {}

  /**
   * The known value at once (refreshing it in the background when old or marked stale); the first
   * time, what `load` answers. A failed first load rejects and is not kept; a failed background
   * refresh keeps the old value.
   */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.#entries.get(key);
    if (entry?.value && (this.options.keep?.(entry.value.data) ?? true)) {
      if (entry.stale || this.#now() - entry.at > this.options.maxAgeMs)
        void this.#load(key, load).catch(() => undefined);
      return Promise.resolve(entry.value.data);
    }
    return this.#load(key, load);
  }

  /** Known values are refreshed the next time they are asked for (and still answered at once). */
  markStale(): void {
    for (const entry of this.#entries.values()) entry.stale = true;
  }

  /** Everything is forgotten: the next question waits for a fresh answer. */
  clear(): void {
    this.#entries.clear();
  }

  #load(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.#entries.get(key) ?? { at: 0, stale: true };
    if (entry.pending) return entry.pending;
    this.#entries.set(key, entry);
    const pending = load().then(
      data => {
        const previous = entry.value;
        entry.value = { data };
        entry.at = this.#now();
        entry.stale = false;
        entry.pending = undefined;
        if (previous && !isDeepStrictEqual(previous.data, data)) this.options.onChanged?.(key);
        return data;
      },
      (error: unknown) => {
        entry.pending = undefined;
        if (!entry.value) this.#entries.delete(key);
        throw error;
      },
    );
    entry.pending = pending;
    return pending;
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/**
 * The engine with its `listEngines` answered by `cache`; every other call goes to the engine as it is.
 */
export function withCachedEngineList(engine: ContainerEngine, cache: RefreshingCache<EngineInfo[]>): ContainerEngine {
  const listEngines = () => cache.get('engines', () => engine.listEngines());
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'listEngines') return listEngines;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
