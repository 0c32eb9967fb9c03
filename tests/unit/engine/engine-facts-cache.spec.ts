/**
 * The remembered engine list and image facts (engine-facts-cache.ts): answered at once once known,
 * refreshed behind the answer when old or stale, a change told once, failures never remembered.
 */

import { describe, expect, test } from 'vitest';

import type { EngineInfo } from '../../../src/engine/container-engine';
import { RefreshingCache, withCachedEngineList } from '../../../src/engine/engine-facts-cache';
import { ENGINE, FakeEngine } from '../support/fake-engine';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

describe('RefreshingCache', () => {
  test('the first question waits; later ones are answered at once, an old answer refreshed behind it', async () => {
    let now = 0;
    const changed: string[] = [];
    const cache = new RefreshingCache<string>({ maxAgeMs: 1000, now: () => now, onChanged: key => changed.push(key) });
    let loads = 0;
    let next = deferred<string>();
    const load = () => {
      loads++;
      return next.promise;
    };
    const first = cache.get('k', load);
    const same = cache.get('k', load); // asked twice while loading: one load
    next.resolve('one');
    expect(await first).toBe('one');
    expect(await same).toBe('one');
    expect(loads).toBe(1);

    now = 500;
    expect(await cache.get('k', load)).toBe('one');
    expect(loads).toBe(1); // young enough: no refresh

    now = 2000;
    next = deferred<string>();
    expect(await cache.get('k', load)).toBe('one'); // old: answered at once…
    expect(loads).toBe(2); // …and refreshed behind
    next.resolve('two');
    await next.promise;
    await Promise.resolve();
    expect(await cache.get('k', load)).toBe('two');
    expect(changed).toEqual(['k']);
  });

  test('a stale mark refreshes on the next question; an unchanged refresh tells nobody', async () => {
    const changed: string[] = [];
    const cache = new RefreshingCache<{ arch: string[] }>({ maxAgeMs: 60_000, onChanged: key => changed.push(key) });
    let loads = 0;
    const load = async () => {
      loads++;
      return { arch: ['amd64'] };
    };
    await cache.get('k', load);
    cache.markStale();
    expect(await cache.get('k', load)).toEqual({ arch: ['amd64'] });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(loads).toBe(2);
    expect(changed).toEqual([]);
    cache.clear();
    await cache.get('k', load);
    expect(loads).toBe(3);
  });

  test('a failed first answer is not remembered; a failed refresh keeps the last good one', async () => {
    let now = 0;
    const cache = new RefreshingCache<string>({ maxAgeMs: 10, now: () => now });
    await expect(cache.get('k', async () => Promise.reject(new Error('no podman')))).rejects.toThrow('no podman');
    expect(await cache.get('k', async () => 'up')).toBe('up');
    now = 100;
    expect(await cache.get('k', async () => Promise.reject(new Error('blip')))).toBe('up');
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(await cache.get('k', async () => 'later')).toBe('up');
  });

  test('a value the owner does not keep (no engine yet) is asked again', async () => {
    const cache = new RefreshingCache<string[]>({ maxAgeMs: 60_000, keep: value => (value as string[]).length > 0 });
    expect(await cache.get('engines', async () => [])).toEqual([]);
    expect(await cache.get('engines', async () => ['podman'])).toEqual(['podman']);
  });
});

describe('withCachedEngineList', () => {
  test('listEngines from memory; every other call goes to the engine itself', async () => {
    const engine = new (class extends FakeEngine {
      calls_ = 0;
      override async listEngines(): Promise<EngineInfo[]> {
        this.calls_++;
        return [ENGINE];
      }
    })();
    engine.images.set('x', {});
    const cached = withCachedEngineList(engine, new RefreshingCache<EngineInfo[]>({ maxAgeMs: 60_000 }));
    expect(await cached.listEngines()).toEqual([ENGINE]);
    expect(await cached.listEngines()).toEqual([ENGINE]);
    expect(engine.calls_).toBe(1);
    expect((await cached.inspectImage(ENGINE.id, 'x')).id).toBe('x');
  });
});
