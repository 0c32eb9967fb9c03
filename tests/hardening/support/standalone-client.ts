/**
 * The built standalone mode (`node dist/standalone.js`) in a child process, and a client that
 * speaks to it as the browser does (raw HTTP requests and WebSockets, with or without the session
 * cookie, from its own origin or another) — for the exposure audit.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';

import { WebSocket } from 'ws';

const STANDALONE = resolve(__dirname, '../../../dist/standalone.js');

export interface StandaloneChild {
  child: ChildProcess;
  /** The URL it printed (with the token). */
  url: string;
  origin: string;
  port: number;
  token: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startStandaloneChild(args: string[], env: NodeJS.ProcessEnv): Promise<StandaloneChild> {
  const child = spawn(process.execPath, [STANDALONE, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>(done => child.on('close', () => done()));
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Open (http:\/\/\S+)/.exec(output);
      if (match) done(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('close', code => fail(new Error(`standalone mode exited (${code}) before it listened:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    child,
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token') ?? '',
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (none added but Host, unless given). */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      res => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

/**
 * A WebSocket handshake with these headers: the status the server answered (101 when it took the
 * socket, which is then closed).
 */
export function upgrade(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('audit-key-012345').toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      done(res.statusCode ?? 0);
    });
    req.on('response', res => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', error => {
      // The server ends the socket after writing its refusal: a reset without a parsed answer is a refusal too.
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') done(0);
      else fail(error);
    });
    req.end();
  });
}

/** A WebSocket as the page opens it: the session cookie, its own origin. Messages are JSON. */
export async function openSocket(
  origin: string,
  path: string,
  cookie: string,
): Promise<{ ws: WebSocket; messages: unknown[] }> {
  const ws = new WebSocket(`${origin.replace('http', 'ws')}${path}`, { headers: { Cookie: cookie, Origin: origin } });
  const messages: unknown[] = [];
  ws.on('message', raw => messages.push(JSON.parse(raw.toString())));
  await new Promise<void>((done, fail) => {
    ws.once('open', () => done());
    ws.once('error', fail);
  });
  return { ws, messages };
}
