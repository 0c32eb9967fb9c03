/**
 * The podman-socket adapter against a fake podman on a unix socket: answers in podman 5's shapes
 * (the real podman 4 is covered by tests/integration/podman-socket-engine.spec.ts), odd fields,
 * errors, and what goes on the wire.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { EngineError } from '../../../src/engine/container-engine';
import { unixEndpoint } from '../../../src/engine/engine-endpoint';
import { checkEndpoint, engineIdFor, PodmanSocketEngine, toMillis } from '../../../src/engine/podman-socket';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const INFO = {
  host: { arch: 'arm64', os: 'linux', security: { rootless: true } },
  store: { graphRoot: '/home/me/.local/share/containers/storage' },
  version: { Version: '5.2.1' },
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Libpod-Api-Version': '5.2.1' });
  res.end(JSON.stringify(body));
}

describe('PodmanSocketEngine', () => {
  let dir: string;
  let socketPath: string;
  let server: Server;
  let routes: Record<string, Handler>;
  let requests: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podman-socket-spec-'));
    socketPath = join(dir, 'podman.sock');
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const handler = routes[req.url ?? ''];
      if (handler) handler(req, res);
      else json(res, 404, { cause: 'no such route', message: `no route ${req.url}`, response: 404 });
    });
    await new Promise<void>(resolve => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    routes = {};
    requests = [];
  });

  function engine(): PodmanSocketEngine {
    routes['/v4.0.0/libpod/info'] ??= (_req, res) => json(res, 200, INFO);
    return new PodmanSocketEngine(`unix://${socketPath}`);
  }

  test('listEngines maps /libpod/info', async () => {
    expect(await engine().listEngines()).toEqual([
      {
        id: `podman:${socketPath}`,
        name: 'podman (rootless)',
        type: 'podman',
        version: '5.2.1',
        rootful: false,
        os: 'linux',
        arch: 'arm64',
        graphRoot: '/home/me/.local/share/containers/storage',
      },
    ]);
  });

  test('listImages maps podman fields: null → empty, <none> dropped, seconds → ms, podman 5 flags', async () => {
    routes['/v4.0.0/libpod/images/json'] = (_req, res) =>
      json(res, 200, [
        {
          Id: 'aaa',
          RepoTags: ['quay.io/x/os:1'],
          RepoDigests: ['quay.io/x/os@sha256:1111'],
          Labels: { 'containers.bootc': '1' },
          Size: 1234,
          Created: 1_700_000_000,
          Digest: 'sha256:1111',
          Arch: 'arm64',
          IsManifestList: false,
        },
        { Id: 'bbb', RepoTags: null, RepoDigests: null, Labels: null, Size: 500, Created: 1_700_000_001 },
        { Id: 'ccc', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Labels: {}, Size: 1, Created: 0 },
        { Id: 'ddd', RepoTags: ['localhost/list:1'], Labels: null, Size: 600, Created: 1, IsManifestList: true },
      ]);
    const images = await engine().listImages();
    expect(images[0]).toEqual({
      id: 'aaa',
      engineId: `podman:${socketPath}`,
      engineName: 'podman (rootless)',
      repoTags: ['quay.io/x/os:1'],
      repoDigests: ['quay.io/x/os@sha256:1111'],
      labels: { 'containers.bootc': '1' },
      size: 1234,
      created: 1_700_000_000_000,
      digest: 'sha256:1111',
      arch: 'arm64',
      isManifestList: false,
    });
    expect(images[1]).toMatchObject({ repoTags: [], repoDigests: [], labels: {}, created: 1_700_000_001_000 });
    expect(images[1].isManifestList).toBeUndefined();
    expect(images[1].arch).toBeUndefined();
    expect(images[2]).toMatchObject({ repoTags: [], repoDigests: [] });
    expect(images[3].isManifestList).toBe(true);
  });

  test('inspectImage URL-encodes the reference and maps the ISO creation time', async () => {
    routes['/v4.0.0/libpod/images/quay.io%2Ffedora%2Ffedora-bootc%3A42/json'] = (_req, res) =>
      json(res, 200, {
        Id: 'eee',
        Digest: 'sha256:2222',
        RepoTags: ['quay.io/fedora/fedora-bootc:42'],
        RepoDigests: null,
        Created: '2024-05-01T10:00:00.123456789Z',
        Architecture: 'arm64',
        Os: 'linux',
        Variant: 'v8',
        Size: 99,
        Labels: null,
        Config: { Labels: { 'containers.bootc': '1' } },
      });
    const e = engine();
    const details = await e.inspectImage(e.id, 'quay.io/fedora/fedora-bootc:42');
    expect(details).toEqual({
      id: 'eee',
      engineId: e.id,
      repoTags: ['quay.io/fedora/fedora-bootc:42'],
      repoDigests: [],
      labels: { 'containers.bootc': '1' },
      arch: 'arm64',
      os: 'linux',
      variant: 'v8',
      size: 99,
      created: Date.parse('2024-05-01T10:00:00.123Z'),
      digest: 'sha256:2222',
    });
  });

  test('inspectManifest checks locally first, then maps the members', async () => {
    routes['/v4.0.0/libpod/manifests/localhost%2Fmulti%3A1/exists'] = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    routes['/v4.0.0/libpod/manifests/localhost%2Fmulti%3A1/json'] = (_req, res) =>
      json(res, 200, {
        manifests: [
          { digest: 'sha256:a', platform: { architecture: 'amd64', os: 'linux' } },
          { digest: 'sha256:b', platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
          { digest: 'sha256:c' },
        ],
      });
    const e = engine();
    expect(await e.inspectManifest(e.id, 'localhost/multi:1')).toEqual({
      engineId: e.id,
      members: [
        { digest: 'sha256:a', arch: 'amd64', os: 'linux' },
        { digest: 'sha256:b', arch: 'arm64', os: 'linux', variant: 'v8' },
        { digest: 'sha256:c', arch: 'unknown', os: 'unknown' },
      ],
    });
    expect(requests.filter(r => r.includes('/manifests/'))).toEqual([
      'GET /v4.0.0/libpod/manifests/localhost%2Fmulti%3A1/exists',
      'GET /v4.0.0/libpod/manifests/localhost%2Fmulti%3A1/json',
    ]);
  });

  test('inspectManifest of a plain image stops at the local check', async () => {
    routes['/v4.0.0/libpod/manifests/abc/exists'] = (_req, res) =>
      json(res, 500, { cause: 'image is not a manifest list', message: 'abc: image is not a manifest list' });
    const e = engine();
    const error = await e.inspectManifest(e.id, 'abc').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EngineError);
    // podman's status is kept (it says 500 for "not a manifest list").
    expect(error).toMatchObject({ message: 'abc is not a manifest list on podman (rootless)', statusCode: 500 });
    expect(requests.some(r => r.endsWith('/json') && r.includes('manifests'))).toBe(false);
  });

  test('other failures say what failed and what podman answered, with the status', async () => {
    routes['/v4.0.0/libpod/images/x/json'] = (_req, res) =>
      json(res, 500, { cause: 'boom', message: 'storage is corrupt\nstack…', response: 500 });
    const e = engine();
    const error = (await e.inspectImage(e.id, 'x').catch((err: unknown) => err)) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toBe('Inspecting image failed on podman (rootless): HTTP 500 — storage is corrupt');
    expect(error.statusCode).toBe(500);
  });

  test('a non-JSON error body is shown as text', async () => {
    routes['/v4.0.0/libpod/images/json'] = (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('bad gateway');
    };
    await expect(engine().listImages()).rejects.toThrow(
      'Listing images failed on podman (rootless): HTTP 502 — bad gateway',
    );
  });

  test('an empty reference is refused before any request', async () => {
    const e = engine();
    await expect(e.inspectImage(e.id, ' ')).rejects.toThrow(EngineError);
    expect(requests).toEqual([]);
  });

  test('DOCKER_HOST does not redirect the connection', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    try {
      const e = engine();
      expect((await e.listEngines())[0].version).toBe('5.2.1');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  test('a request that takes too long fails with a timeout message', async () => {
    routes['/v4.0.0/libpod/info'] = () => undefined; // never answers
    const slow = new PodmanSocketEngine(`unix://${socketPath}`, { requestTimeoutMs: 200 });
    await expect(slow.listEngines()).rejects.toThrow(/No podman service at unix:\/\/.*\(no answer within 0\.2 s\)/);
  });

  test('checkEndpoint: podman answers with its API version', async () => {
    routes['/_ping'] = (_req, res) => {
      res.writeHead(200, { 'Libpod-Api-Version': '5.2.1', 'Content-Type': 'text/plain' });
      res.end('OK');
    };
    expect(await checkEndpoint(unixEndpoint(socketPath))).toEqual({ apiVersion: '5.2.1' });
  });

  test('checkEndpoint: a Docker daemon is not podman', async () => {
    routes['/_ping'] = (_req, res) => {
      res.writeHead(200, { 'Api-Version': '1.43' });
      res.end('OK');
    };
    await expect(checkEndpoint(unixEndpoint(socketPath))).rejects.toThrow(/answers but is not podman/);
  });

  test('checkEndpoint: no answer in time', async () => {
    routes['/_ping'] = () => undefined;
    await expect(checkEndpoint(unixEndpoint(socketPath), { timeoutMs: 150 })).rejects.toThrow(
      /No podman service at .*\(no answer within 0\.15 s\)/,
    );
  });

  test('checkEndpoint: no socket', async () => {
    const error = (await checkEndpoint(unixEndpoint(join(dir, 'none.sock'))).catch((e: unknown) => e)) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toContain(`No podman service at unix://${dir}/none.sock (the socket does not exist).`);
  });
});

describe('engineIdFor', () => {
  test('unix: the socket path; ssh: the normalised URL', () => {
    expect(engineIdFor(unixEndpoint('/run/podman/podman.sock'))).toBe('podman:/run/podman/podman.sock');
    expect(new PodmanSocketEngine('ssh://core@vm/run/user/1000/podman/podman.sock').id).toBe(
      'podman:ssh://core@vm:22/run/user/1000/podman/podman.sock',
    );
  });
});

describe('toMillis', () => {
  test.each([
    [1_700_000_000, 1_700_000_000_000],
    [1_700_000_000_123, 1_700_000_000_123],
    ['2024-05-01T10:00:00Z', Date.parse('2024-05-01T10:00:00Z')],
    ['not a date', 0],
    [undefined, 0],
    [null, 0],
  ])('%j → %j', (value, expected) => {
    expect(toMillis(value)).toBe(expected);
  });
});
