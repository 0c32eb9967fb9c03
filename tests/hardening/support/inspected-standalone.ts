/**
 * Standalone mode (`node dist/standalone.js`, what `npm start` runs) with Node's inspector on a
 * loopback port of its own, so that a test can read the backend's heap from outside: a full GC
 * (`HeapProfiler.collectGarbage`), then `process.memoryUsage()` evaluated in the process. Nothing
 * in the product is changed or exposed for it; the inspector exists only in the test's process tree.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import WebSocket from 'ws';

const ENTRY = resolve(__dirname, '../../../dist/standalone.js');

export interface HeapFigures {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
}

export interface InspectedStandalone {
  /** The printed URL, with the session token. */
  url: string;
  origin: string;
  token: string;
  pid: number;
  output(): string;
  /** The backend's memory after a full garbage collection (two, so weak references are cleared too). */
  heap(): Promise<HeapFigures>;
  /** SIGTERM, then the exit code (standalone stops the extension); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startInspectedStandalone(args: string[], env: NodeJS.ProcessEnv): Promise<InspectedStandalone> {
  if (!existsSync(ENTRY)) throw new Error('dist/standalone.js is missing: run `npm run build` first');
  const child: ChildProcess = spawn(process.execPath, ['--inspect=127.0.0.1:0', ENTRY, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>(done => child.once('exit', code => done(code)));
  const stop = async (graceMs = 60_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return exited;
  };

  let url: string;
  let inspector: string;
  try {
    [url, inspector] = await new Promise<[string, string]>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`standalone mode printed no URL within 60 s:\n${output}`)), 60_000);
      const check = () => {
        const page = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
        const debug = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/.exec(output);
        if (page && debug) {
          clearTimeout(timer);
          done([page[1], debug[1]]);
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      void exited.then(code => {
        clearTimeout(timer);
        fail(new Error(`standalone mode exited with ${code} before printing its URL:\n${output}`));
      });
    });
  } catch (err: unknown) {
    await stop(5000);
    throw err;
  }

  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') as string,
    pid: child.pid as number,
    output: () => output,
    heap: () => readHeap(inspector),
    stop,
  };
}

/** One inspector session: two full GCs, then the process's own memoryUsage(). */
async function readHeap(inspectorUrl: string): Promise<HeapFigures> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
  });
  let nextId = 1;
  const pending = new Map<number, { done(value: unknown): void; fail(error: Error): void }>();
  socket.on('message', raw => {
    const message = JSON.parse(raw.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id as number);
    if (message.error) waiting.fail(new Error(message.error.message));
    else waiting.done(message.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((done, fail) => {
      const id = nextId++;
      pending.set(id, { done, fail });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('HeapProfiler.collectGarbage');
    await send('HeapProfiler.collectGarbage');
    const result = (await send('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(result.result.value) as HeapFigures;
  } finally {
    socket.close();
  }
}
