/**
 * The kept `libpod/info` of a local podman service: used again while its socket is the same file,
 * asked again once a new service made a new socket at the path, and never a reason to fail.
 */

import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, test } from 'vitest';

import type { EngineInfo } from '../../../src/engine/container-engine';
import { engineInfoCache } from '../../../src/engine/socket/engine-info-cache';

const INFO: EngineInfo = {
  id: 'podman:rootful@host:/var/lib/containers/storage',
  name: 'podman (rootful)',
  type: 'podman',
  rootful: true,
  graphRoot: '/var/lib/containers/storage',
};

let dir: string;
let servers: Server[] = [];

async function listen(path: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(path, resolve));
  servers.push(server);
  return server;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-info-cache-'));
});

afterEach(async () => {
  await Promise.all(servers.map(server => new Promise(resolve => server.close(resolve))));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

test('kept for the same socket; asked again once a new service made a new socket there', async () => {
  const socket = join(dir, 'podman.sock');
  const server = await listen(socket);
  const cache = engineInfoCache(join(dir, 'cache'));
  expect(cache.read(socket)).toBeUndefined();
  cache.write(socket, INFO);
  expect(cache.read(socket)).toEqual(INFO);
  // Private to the user: the folder 0700, the file 0600.
  expect(statSync(join(dir, 'cache')).mode & 0o777).toBe(0o700);
  const [file] = readdirSync(join(dir, 'cache'));
  expect(statSync(join(dir, 'cache', file)).mode & 0o777).toBe(0o600);

  await new Promise(resolve => server.close(resolve));
  expect(cache.read(socket)).toBeUndefined();
  await listen(socket);
  expect(cache.read(socket)).toBeUndefined();
  expect(engineInfoCache(join(dir, 'cache')).read(join(dir, 'other.sock'))).toBeUndefined();
});

test('a damaged or foreign file is no cache, and a cache that cannot be written is no failure', async () => {
  const socket = join(dir, 'podman.sock');
  await listen(socket);
  const cache = engineInfoCache(join(dir, 'cache'));
  cache.write(socket, INFO);
  const [file] = readdirSync(join(dir, 'cache'));
  writeFileSync(join(dir, 'cache', file), '{"socketPath": "/tmp/podman.sock", "stamp"');
  expect(cache.read(socket)).toBeUndefined();
  writeFileSync(join(dir, 'cache', file), JSON.stringify({ socketPath: socket, stamp: 'x', info: INFO }));
  expect(cache.read(socket)).toBeUndefined();

  // A folder that cannot be made (a file is in its place): nothing kept, nothing thrown.
  writeFileSync(join(dir, 'not-a-folder'), '');
  const unwritable = engineInfoCache(join(dir, 'not-a-folder'));
  expect(() => unwritable.write(socket, INFO)).not.toThrow();
  expect(unwritable.read(socket)).toBeUndefined();
});
