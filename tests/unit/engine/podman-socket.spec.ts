/**
 * The podman-socket adapter against a fake podman on a unix socket: answers in podman 5's shapes
 * (the real podman 4 is covered by tests/integration/podman-socket-engine.spec.ts), odd fields,
 * errors, and what goes on the wire.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { EngineError, ImageInUseError, RegistryError } from '../../../src/engine/container-engine';
import { unixEndpoint } from '../../../src/engine/engine-endpoint';
import { checkEndpoint } from '../../../src/engine/socket/podman-socket-connection';
import { engineIdFor, PodmanSocketEngine, toMillis } from '../../../src/engine/socket/podman-socket';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const INFO = {
  host: { arch: 'arm64', os: 'linux', hostname: 'box', security: { rootless: true } },
  store: { graphRoot: '/home/me/.local/share/containers/storage' },
  version: { Version: '5.2.1' },
};

const STABLE_ID = 'podman:rootless@box:/home/me/.local/share/containers/storage';

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
        id: STABLE_ID,
        aliases: [`podman:${socketPath}`],
        hostname: 'box',
        name: 'podman (rootless)',
        type: 'podman',
        version: '5.2.1',
        rootful: false,
        os: 'linux',
        arch: 'arm64',
        graphRoot: '/home/me/.local/share/containers/storage',
        remote: false,
      },
    ]);
  });

  test("a local podman's id is its host, store and mode, whatever socket serves it; old ids still reach it", async () => {
    const first = engine();
    const [info] = await first.listEngines();
    // Another service on another socket, same store: the same engine.
    const other = new PodmanSocketEngine(`unix://${socketPath}`);
    expect((await other.listEngines())[0].id).toBe(info.id);
    expect(info.id).not.toContain(socketPath);
    // A record's id from a socket that is gone (standalone mode's previous run) still reaches it.
    routes['/v4.0.0/libpod/images/x/json'] = (_req, res) => json(res, 200, { Id: 'x', Architecture: 'arm64' });
    const fresh = new PodmanSocketEngine(`unix://${socketPath}`);
    expect((await fresh.inspectImage('podman:/tmp/bootc-studio-service-gone/podman.sock', 'x')).id).toBe('x');
    expect((await fresh.inspectImage(info.id, 'x')).engineId).toBe(info.id);
    await expect(fresh.inspectImage('podman:rootful@box:/var/lib/containers/storage', 'x')).rejects.toThrow(
      /Unknown engine/,
    );
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
      engineId: STABLE_ID,
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
  test('an ssh:// engine connects on its first request, not when made; dispose closes it, twice is fine', async () => {
    const home = mkdtempSync(join(tmpdir(), 'podman-socket-spec-home-'));
    try {
      // Port 1 on loopback: nothing listens, so a connection attempt would fail at once.
      const remote = new PodmanSocketEngine('ssh://core@127.0.0.1:1/run/podman/podman.sock', { env: { HOME: home } });
      await expect(remote.listImages()).rejects.toThrow(
        'Cannot reach the SSH server of ssh://core@127.0.0.1:1/run/podman/podman.sock at 127.0.0.1:1 (connection refused)',
      );
      remote.dispose();
      remote.dispose();
      await expect(remote.listImages()).rejects.toThrow('has been closed');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

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

/**
 * Image operations on the wire: what the adapter asks podman for (endpoints, query, headers) and
 * how it reads podman's streamed answers, against a fake podman that answers as podman 4.3 does.
 */
describe('PodmanSocketEngine image operations', () => {
  let dir: string;
  let socketPath: string;
  let server: Server;
  let routes: Record<string, Handler>;
  let requests: { method: string; url: URL; headers: IncomingMessage['headers']; body: Buffer }[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podman-socket-images-'));
    socketPath = join(dir, 'podman.sock');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://podman');
        requests.push({ method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks) });
        const handler = routes[`${req.method} ${url.pathname}`];
        if (handler) handler(req, res);
        else
          json(res, 404, { cause: 'no such route', message: `no route ${req.method} ${url.pathname}`, response: 404 });
      });
    });
    await new Promise<void>(resolve => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    routes = { 'GET /v4.0.0/libpod/info': (_req, res) => json(res, 200, INFO) };
    requests = [];
  });

  function stream(res: ServerResponse, lines: unknown[]): void {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const line of lines) res.write(`${JSON.stringify(line)}\n`);
    res.end();
  }

  const sink = () => {
    const logs: string[] = [];
    const layers: unknown[] = [];
    return { logs, layers, log: (line: string) => logs.push(line), layer: (update: unknown) => layers.push(update) };
  };

  test('build sends the context as a tar, one platform parameter per platform and the build args as JSON', async () => {
    const context = join(dir, 'ctx');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\n');
    routes['POST /v1.41/build'] = (_req, res) =>
      stream(res, [
        { stream: 'STEP 1/1: FROM scratch\n' },
        { stream: 'COMMIT quay.io/me/os:1\n' },
        { aux: { ID: 'sha256:feedbeef' } },
        { stream: 'Successfully built feedbeef\n' },
      ]);
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    const out = sink();
    const result = await engine.buildImage(
      engine.id,
      {
        contextDir: context,
        containerfile: 'Containerfile',
        tag: 'quay.io/me/os:1',
        platforms: ['linux/arm64'],
        buildArgs: { VERSION: '42' },
        noCache: true,
        pull: false,
      },
      out,
    );
    expect(result).toEqual({ imageId: 'feedbeef' });
    expect(out.logs).toEqual(['STEP 1/1: FROM scratch', 'COMMIT quay.io/me/os:1', 'Successfully built feedbeef']);
    const build = requests.find(request => request.url.pathname === '/v1.41/build')!;
    expect(build.url.searchParams.getAll('platform')).toEqual(['linux/arm64']);
    expect(build.url.searchParams.get('t')).toBe('quay.io/me/os:1');
    expect(build.url.searchParams.get('dockerfile')).toBe('Containerfile');
    expect(JSON.parse(build.url.searchParams.get('buildargs')!)).toEqual({ VERSION: '42' });
    expect(build.url.searchParams.get('nocache')).toBe('true');
    expect(build.url.searchParams.has('pull')).toBe(false);
    expect(build.headers['content-type']).toBe('application/x-tar');
    expect(build.body.includes(Buffer.from('Containerfile'))).toBe(true);
  });

  test('a failing step in the build stream rejects with its message, although the HTTP status was 200', async () => {
    const context = join(dir, 'ctx-fail');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nRUN false\n');
    routes['POST /v1.41/build'] = (_req, res) =>
      stream(res, [
        { stream: 'STEP 2/2: RUN false\n' },
        {
          errorDetail: { message: 'building at STEP "RUN false": exit status 1\n' },
          error: 'building at STEP "RUN false": exit status 1\n',
        },
      ]);
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    const options = {
      contextDir: context,
      containerfile: 'Containerfile',
      tag: 'localhost/x:1',
      platforms: ['linux/amd64'],
      buildArgs: {},
      noCache: false,
      pull: false,
    };
    await expect(engine.buildImage(engine.id, options, sink())).rejects.toThrow(
      'building at STEP "RUN false": exit status 1',
    );
  });

  test('push: libpod push with destination, tlsVerify and X-Registry-Auth; blob lines become layers', async () => {
    routes['GET /v4.0.0/libpod/manifests/127.0.0.1%3A5000%2Fme%2Fos%3A1/exists'] = (_req, res) =>
      json(res, 404, { cause: 'image not known', message: 'no', response: 404 });
    routes['POST /v4.0.0/libpod/images/127.0.0.1%3A5000%2Fme%2Fos%3A1/push'] = (_req, res) =>
      stream(res, [
        { stream: 'Getting image source signatures\n' },
        { stream: 'Copying blob sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n' },
        { stream: 'Writing manifest to image destination\n' },
      ]);
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    const out = sink();
    await engine.pushImage(
      engine.id,
      '127.0.0.1:5000/me/os:1',
      { tlsVerify: false, credentials: { username: 'me', password: 's3cret' } },
      out,
    );
    const push = requests.find(request => request.url.pathname.endsWith('/push'))!;
    expect(push.url.searchParams.get('destination')).toBe('127.0.0.1:5000/me/os:1');
    expect(push.url.searchParams.get('tlsVerify')).toBe('false');
    expect(push.url.searchParams.get('quiet')).toBe('false');
    expect(push.url.search).not.toContain('s3cret');
    const auth = push.headers['x-registry-auth'] as string;
    expect(JSON.parse(Buffer.from(auth.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'))).toEqual({
      username: 'me',
      password: 's3cret',
      serveraddress: '127.0.0.1:5000',
    });
    expect(out.layers).toEqual([{ id: '0123456789ab', status: 'Copying' }]);
  });

  test('push: an error in the stream, or before it, is one RegistryError', async () => {
    const path = '/v4.0.0/libpod/images/127.0.0.1%3A5000%2Fme%2Fos%3A1/push';
    routes['POST ' + path] = (_req, res) =>
      stream(res, [{ error: 'trying to reuse blob sha256:aa at destination: unauthorized: authentication required' }]);
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    const streamed = await engine.pushImage(engine.id, '127.0.0.1:5000/me/os:1', {}, sink()).catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(RegistryError);
    expect((streamed as RegistryError).reason).toBe('authentication-required');

    routes['POST ' + path] = (_req, res) =>
      json(res, 400, {
        cause: 'connection refused',
        message: 'pushing image: dial tcp 127.0.0.1:5000: connect: connection refused',
        response: 400,
      });
    const before = await engine.pushImage(engine.id, '127.0.0.1:5000/me/os:1', {}, sink()).catch((e: unknown) => e);
    expect(before).toBeInstanceOf(RegistryError);
    expect((before as Error).message).toBe(
      'Push of 127.0.0.1:5000/me/os:1 failed: 127.0.0.1:5000 is unreachable (connection refused)',
    );
  });

  test('push of a manifest list uses libpod manifest push with all=true', async () => {
    routes['GET /v4.0.0/libpod/manifests/localhost%2Flist%3A1/exists'] = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    routes['POST /v4.0.0/libpod/manifests/localhost%2Flist%3A1/registry/localhost%2Flist%3A1'] = (_req, res) =>
      json(res, 200, { Id: `sha256:${'c'.repeat(64)}` });
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    expect(await engine.pushImage(engine.id, 'localhost/list:1', {}, sink())).toEqual({
      digest: `sha256:${'c'.repeat(64)}`,
    });
    const push = requests.find(request => request.url.pathname.includes('/registry/'))!;
    expect(push.url.searchParams.get('all')).toBe('true');
  });

  test('pull: libpod pull with the platform split into os and arch; the final id is the result', async () => {
    routes['POST /v4.0.0/libpod/images/pull'] = (_req, res) =>
      stream(res, [{ stream: 'Trying to pull quay.io/me/os:1...\n' }, { images: ['abc'], id: 'abc' }]);
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    expect(await engine.pullImage(engine.id, 'quay.io/me/os:1', { platform: 'linux/arm64' }, sink())).toEqual({
      imageId: 'abc',
    });
    const pull = requests.find(request => request.url.pathname.endsWith('/pull'))!;
    expect(Object.fromEntries(pull.url.searchParams)).toMatchObject({
      reference: 'quay.io/me/os:1',
      os: 'linux',
      arch: 'arm64',
      policy: 'always',
      quiet: 'false',
    });
  });

  test('untag: libpod untag of that tag only; the only tag of an image is refused, nothing sent', async () => {
    routes['GET /v1.41/images/127.0.0.1%3A5000%2Fdemo%3A1/json'] = (_req, res) =>
      json(res, 200, { Id: 'sha256:abc', RepoTags: ['localhost/demo:1', '127.0.0.1:5000/demo:1'] });
    routes['POST /v4.0.0/libpod/images/127.0.0.1%3A5000%2Fdemo%3A1/untag'] = (_req, res) => {
      res.statusCode = 201;
      res.end();
    };
    routes['GET /v1.41/images/localhost%2Fonly%3A1/json'] = (_req, res) =>
      json(res, 200, { Id: 'sha256:def', RepoTags: ['localhost/only:1'] });
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    await engine.untagImage(engine.id, '127.0.0.1:5000/demo:1');
    const untag = requests.find(request => request.method === 'POST')!;
    expect(untag.url.pathname).toBe('/v4.0.0/libpod/images/127.0.0.1%3A5000%2Fdemo%3A1/untag');
    expect(Object.fromEntries(untag.url.searchParams)).toEqual({ repo: '127.0.0.1:5000/demo', tag: '1' });

    requests.length = 0;
    await expect(engine.untagImage(engine.id, 'localhost/only:1')).rejects.toThrow(/only tag/);
    expect(requests.some(request => request.method !== 'GET')).toBe(false);
  });

  test('delete: refuses an image a container uses, naming it; otherwise deletes (forced when by id)', async () => {
    routes['GET /v1.41/images/sha256%3Aabc/json'] = (_req, res) =>
      json(res, 200, { Id: 'sha256:abc', RepoTags: ['a:1', 'b:1'] });
    routes['GET /v1.41/containers/json'] = (_req, res) =>
      json(res, 200, [
        { Id: 'c1', Names: ['/web'], ImageID: 'sha256:abc' },
        { Id: 'c2', Names: ['/db'], ImageID: 'sha256:other' },
      ]);
    routes['DELETE /v1.41/images/sha256%3Aabc'] = (_req, res) => json(res, 200, [{ Deleted: 'abc' }]);
    const engine = new PodmanSocketEngine(`unix://${socketPath}`);
    const error = await engine.deleteImage(engine.id, 'sha256:abc').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageInUseError);
    expect((error as ImageInUseError).containers).toEqual(['web']);
    expect(requests.some(request => request.method === 'DELETE')).toBe(false);

    routes['GET /v1.41/containers/json'] = (_req, res) => json(res, 200, []);
    await engine.deleteImage(engine.id, 'sha256:abc');
    const deleted = requests.find(request => request.method === 'DELETE')!;
    expect(deleted.url.searchParams.get('force')).toBe('true');
  });
});
