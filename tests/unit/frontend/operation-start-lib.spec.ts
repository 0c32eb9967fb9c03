import { describe, expect, test, vi } from 'vitest';

import { OperationStart } from '../../../frontend/lib/operation-start.svelte';
import { refusal } from './fake-rpc';

describe('OperationStart', () => {
  test('hands the operation id on and is starting only while the backend answers', async () => {
    const start = new OperationStart();
    let answer!: (id: string) => void;
    const started = vi.fn();
    const running = start.run(() => new Promise<string>(resolve => (answer = resolve)), started);
    expect(start.starting).toBe(true);
    answer('op-7');
    await running;
    expect(started).toHaveBeenCalledWith('op-7');
    expect(start.starting).toBe(false);
    expect(start.error).toBeUndefined();
    expect(start.refused).toEqual({});
  });

  test('a refusal is kept as one message and by the fields it names, until they are edited', async () => {
    const start = new OperationStart();
    const started = vi.fn();
    await start.run(async () => {
      throw refusal({ ref: 'name a registry', platform: 'choose linux/amd64 or linux/arm64' });
    }, started);
    expect(started).not.toHaveBeenCalled();
    expect(start.starting).toBe(false);
    expect(start.error).toBe('ref: name a registry; platform: choose linux/amd64 or linux/arm64');
    expect(start.refused).toEqual({ ref: 'name a registry', platform: 'choose linux/amd64 or linux/arm64' });
    start.forget('ref');
    expect(start.refused).toEqual({ platform: 'choose linux/amd64 or linux/arm64' });
    start.forget();
    expect(start.refused).toEqual({});
  });

  test('a refusal that names no field is only a message; a new try clears the last one', async () => {
    const start = new OperationStart();
    await start.run(async () => {
      throw new Error('the engine is not running');
    }, vi.fn());
    expect(start.error).toBe('the engine is not running');
    expect(start.refused).toEqual({});
    await start.run(async () => 'op-1', vi.fn());
    expect(start.error).toBeUndefined();
  });
});
