/**
 * The harness itself: a private store shared by the CLI and the service, containers that run with
 * the machine's quirks, and a stop() that leaves nothing behind — even with a container running.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BUSYBOX_BASE, buildImage, createBusyboxBase } from './images';
import type { PodmanService } from './podman-service';
import { ping, startPodmanService } from './podman-service';
import { requireExecutable } from './run-process';

describe('startPodmanService', () => {
  let podman: PodmanService;

  beforeAll(async () => {
    podman = await startPodmanService();
  });

  afterAll(async () => {
    await podman?.stop();
  });

  test('the service answers on a socket inside its private dir', async () => {
    expect(podman.socketPath.startsWith(`${podman.dir}/`)).toBe(true);
    expect(podman.url).toBe(`unix://${podman.socketPath}`);
    expect(await ping(podman.socketPath)).toBe(true);
  });

  test('the CLI and the service share the private store', async () => {
    const { stdout } = await podman.podman(['info', '--format', '{{.Store.GraphRoot}}']);
    expect(stdout.trim()).toBe(podman.root);
    await createBusyboxBase(podman);
    const listed = await fetchJson(podman.socketPath, '/v4.0.0/libpod/images/json');
    expect(JSON.stringify(listed)).toContain(BUSYBOX_BASE);
  });

  test('built images run as containers (runtime, ulimits and network of the machine)', async () => {
    await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hello from the context\n' },
      'localhost/hello:1',
    );
    const { stdout } = await podman.podman(['run', '--rm', 'localhost/hello:1', 'cat', '/hello.txt']);
    expect(stdout).toBe('hello from the context\n');
  });

  test('stop() removes running containers, the service and the dir', async () => {
    const other = await startPodmanService();
    await createBusyboxBase(other);
    await other.podman(['run', '--detach', '--name', 'sleeper', BUSYBOX_BASE, 'sleep', '600']);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    expect(await ping(other.socketPath)).toBe(false);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(other.dir);
    await other.stop(); // twice is fine
  });

  test('a missing tool is a failure that says what to install', () => {
    expect(() => requireExecutable('no-such-tool-bootc-studio', 'no-such-package')).toThrow(
      /no-such-tool-bootc-studio is not installed.*apt-get install -y --no-install-recommends no-such-package/,
    );
  });
});

async function fetchJson(socketPath: string, path: string): Promise<unknown> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, agent: false }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.end();
  });
}
