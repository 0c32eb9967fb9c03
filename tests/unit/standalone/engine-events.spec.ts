/**
 * The standalone engine's onEvent over a fake event stream: lazy start and stop, Podman Desktop's
 * event shape, reconnects with `since` and without repeats, and nothing that can throw out of it.
 */

import { PassThrough } from 'node:stream';

import type { ContainerJSONEvent } from '@podman-desktop/api';
import { afterEach, describe, expect, test } from 'vitest';

import { EngineEvents, toContainerJsonEvent } from '../../../src/standalone/standalone-engine-events';

const NOW_MS = 1_800_000_000_500;

interface Opened {
  since: number | undefined;
  signal: AbortSignal;
  stream: PassThrough;
}

function fakeEngine(options: { failOpens?: number } = {}) {
  const opened: Opened[] = [];
  const warnings: string[] = [];
  let failures = options.failOpens ?? 0;
  const events = new EngineEvents({
    open: async (since, signal) => {
      if (failures > 0) {
        failures--;
        opened.push({ since, signal, stream: new PassThrough() });
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      const stream = new PassThrough();
      opened.push({ since, signal, stream });
      return stream;
    },
    initialRetryMs: 5,
    maxRetryMs: 20,
    warn: message => warnings.push(message),
    now: () => NOW_MS,
  });
  return { events, opened, warnings };
}

function imageEvent(status: string, time: number, nano: number, name = 'localhost/x:1'): string {
  return `${JSON.stringify({
    status,
    id: 'abc',
    Type: 'image',
    Action: status,
    Actor: { ID: 'abc', Attributes: { name } },
    time,
    timeNano: nano,
  })}\n`;
}

async function until(probe: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise(resolve => setTimeout(resolve, 2));
  }
}

describe('EngineEvents', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  test('opens the stream on the first listener only, from the moment of subscription', async () => {
    const { events, opened } = fakeEngine();
    cleanups.push(() => events.dispose());
    expect(opened).toHaveLength(0);
    expect(events.active).toBe(false);

    const first = events.event(() => undefined);
    const second = events.event(() => undefined);
    await until(() => opened.length === 1);
    expect(opened[0].since).toBe(Math.floor(NOW_MS / 1000));
    expect(events.active).toBe(true);

    first.dispose();
    expect(opened[0].signal.aborted).toBe(false);
    second.dispose();
    second.dispose(); // twice is harmless
    expect(opened[0].signal.aborted).toBe(true);
    expect(opened[0].stream.destroyed).toBe(true);
    expect(events.active).toBe(false);

    // A new listener starts a new stream.
    events.event(() => undefined);
    await until(() => opened.length === 2);
  });

  test("delivers podman's event with Podman Desktop's status and id, across chunk boundaries", async () => {
    const { events, opened } = fakeEngine();
    cleanups.push(() => events.dispose());
    const received: ContainerJSONEvent[] = [];
    const receiver = {
      received,
      push(event: ContainerJSONEvent) {
        this.received.push(event);
      },
    };
    const disposables: { dispose(): void }[] = [];
    const subscription = events.event(receiver.push, receiver, disposables);
    expect(disposables).toEqual([subscription]);
    await until(() => opened.length === 1);

    const line = imageEvent('tag', 1_800_000_001, 1);
    opened[0].stream.write(line.slice(0, 20));
    opened[0].stream.write(`${line.slice(20)}not json\n`);
    // Docker ≥ 1.52 style: no status/id, only Action and Actor.ID.
    opened[0].stream.write(
      `${JSON.stringify({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'c1' }, time: 1_800_000_002 })}\n`,
    );
    await until(() => received.length === 2);
    expect(received[0]).toMatchObject({ status: 'tag', id: 'abc', Type: 'image' });
    expect(received[0]).not.toHaveProperty('type');
    expect(received[1]).toMatchObject({ status: 'health_status', id: 'c1', Type: 'container' });
  });

  test('reconnects after the stream ends, from the last event, without repeating it', async () => {
    const { events, opened, warnings } = fakeEngine();
    cleanups.push(() => events.dispose());
    const received: string[] = [];
    events.event(event => received.push(`${event.status}@${(event as { timeNano?: number }).timeNano}`));
    await until(() => opened.length === 1);

    opened[0].stream.write(imageEvent('tag', 1_800_000_010, 10));
    opened[0].stream.write(imageEvent('untag', 1_800_000_010, 9)); // podman's order is not strictly by time
    await until(() => received.length === 2);
    opened[0].stream.end();

    await until(() => opened.length === 2);
    expect(opened[1].since).toBe(1_800_000_010);
    // The replay of the same second repeats both; only the new event gets through.
    opened[1].stream.write(imageEvent('tag', 1_800_000_010, 10));
    opened[1].stream.write(imageEvent('untag', 1_800_000_010, 9));
    opened[1].stream.write(imageEvent('delete', 1_800_000_011, 11));
    await until(() => received.length === 3);
    expect(received).toEqual(['tag@10', 'untag@9', 'delete@11']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/interrupted .*reconnecting/);
  });

  test('keeps retrying a connection that fails, quietly, and stops retrying when disposed', async () => {
    const { events, opened, warnings } = fakeEngine({ failOpens: 3 });
    cleanups.push(() => events.dispose());
    const received: ContainerJSONEvent[] = [];
    const subscription = events.event(event => received.push(event));
    await until(() => opened.length === 4);
    expect(warnings).toHaveLength(1);
    opened[3].stream.write(imageEvent('tag', 1_800_000_020, 20));
    await until(() => received.length === 1);

    // A stream error is an interruption like any other.
    opened[3].stream.destroy(new Error('socket hang up'));
    await until(() => opened.length === 5);
    subscription.dispose();
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(opened).toHaveLength(5);
    expect(events.active).toBe(false);
  });

  test('a listener that throws is reported and the others still get the event', async () => {
    const { events, opened, warnings } = fakeEngine();
    cleanups.push(() => events.dispose());
    const received: ContainerJSONEvent[] = [];
    events.event(() => {
      throw new Error('boom');
    });
    events.event(event => received.push(event));
    await until(() => opened.length === 1);
    opened[0].stream.write(imageEvent('tag', 1_800_000_030, 30));
    await until(() => received.length === 1);
    expect(warnings).toEqual(['A container engine event listener failed: boom']);
  });

  test('dispose closes the stream and later subscriptions get nothing', async () => {
    const { events, opened } = fakeEngine();
    events.event(() => undefined);
    await until(() => opened.length === 1);
    events.dispose();
    expect(opened[0].stream.destroyed).toBe(true);
    const late = events.event(() => undefined);
    late.dispose();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(opened).toHaveLength(1);
  });
});

describe('toContainerJsonEvent', () => {
  test('keeps podman fields and fills status and id only when absent', () => {
    expect(toContainerJsonEvent({ status: 'pull', Type: 'image', Actor: { ID: '' } })).toEqual({
      status: 'pull',
      id: '',
      Type: 'image',
      Actor: { ID: '' },
    });
    expect(toContainerJsonEvent({})).toEqual({ status: '', id: '' });
  });
});
