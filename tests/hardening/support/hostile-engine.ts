/**
 * A hostile engine: an HTTP server on a unix socket that answers podman's REST paths the way the
 * case says — malformed, oversized, wrong-typed, cut short — and records every request, so a spec
 * can tell that nothing was created (no POST, PUT or DELETE reached it).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How the engine answers one path: a status, headers and a body, or a misbehaviour. */
export type Answer =
  | { status?: number; headers?: Record<string, string>; body: string | Buffer }
  | { cut: string; claimed: number }
  | { hang: true };

/** The first rule whose pattern matches `METHOD path` answers; the rest get `defaults`. */
export type Rules = [RegExp, Answer][];

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** What a well-behaved podman 4.3 answers to the calls the CLI makes first. */
export const GOOD_ANSWERS: Rules = [
  [/^GET \/_ping/, { headers: { 'Libpod-Api-Version': '4.3.1', 'Content-Type': 'text/plain' }, body: 'OK' }],
  [
    /^GET \/v4\.0\.0\/libpod\/info/,
    {
      headers: JSON_HEADERS,
      body: JSON.stringify({
        host: { hostname: 'hostile', os: 'linux', arch: 'amd64', security: { rootless: false } },
        store: { graphRoot: '/var/lib/containers/storage' },
        version: { Version: '4.3.1' },
      }),
    },
  ],
  [/^GET \/v4\.0\.0\/libpod\/images\/json/, { headers: JSON_HEADERS, body: '[]' }],
];

export interface HostileEngine {
  socketPath: string;
  url: string;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Sets how the engine answers from now on (rules first, then GOOD_ANSWERS). */
  answer(rules: Rules): void;
  stop(): Promise<void>;
}

export async function startHostileEngine(socketPath: string): Promise<HostileEngine> {
  let rules: Rules = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const line = `${req.method} ${req.url}`;
    requests.push(line);
    req.resume();
    const answer = [...rules, ...GOOD_ANSWERS].find(([pattern]) => pattern.test(line))?.[1] ?? {
      status: 404,
      headers: JSON_HEADERS,
      body: JSON.stringify({ cause: 'no such path', message: `no such path ${req.url}`, response: 404 }),
    };
    if ('hang' in answer) return;
    if ('cut' in answer) {
      res.writeHead(200, { ...JSON_HEADERS, 'Content-Length': String(answer.claimed) });
      res.write(answer.cut);
      res.socket?.destroy();
      return;
    }
    res.writeHead(answer.status ?? 200, answer.headers ?? JSON_HEADERS);
    res.end(answer.body);
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(socketPath, () => done());
  });
  return {
    socketPath,
    url: `unix://${socketPath}`,
    requests,
    answer: next => {
      rules = next;
    },
    stop: () =>
      new Promise<void>(done => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
