/**
 * The standalone engine against a fake podman on a unix socket: podman 5's answer shapes (the real
 * podman 4 is covered by tests/integration/standalone-container-engine.spec.ts) and what goes on
 * the wire — TLS choice per registry, credentials only in their header, container bodies out of
 * the URL, build parameters, pull endpoints.
 */

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { PullEvent } from '@podman-desktop/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { unixEndpoint } from '../../../src/engine/engine-endpoint';
import type { StandaloneContainerEngine } from '../../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../../src/standalone/standalone-container-engine';
import { isLoopbackRegistry } from '../../../src/standalone/standalone-registry-tls';
import { fromImageQuery } from '../../../src/standalone/standalone-request-params';

interface Seen {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (seen: Seen, res: ServerResponse) => void;

const ENGINE_ID = 'podman:test';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('standalone containerEngine on a fake podman', () => {
  let dir: string;
  let server: Server;
  let socketPath: string;
  let routes: Map<string, Handler>;
  let seen: Seen[];
  let engine: StandaloneContainerEngine;
  let warnings: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'standalone-engine-'));
    socketPath = join(dir, 'podman.sock');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: Seen = {
          method: req.method ?? '',
          url: new URL(req.url ?? '/', 'http://podman'),
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        seen.push(request);
        // podman decodes the path (image names arrive %-encoded), and so does this fake.
        const handler = routes.get(`${request.method} ${decodeURIComponent(request.url.pathname)}`);
        if (handler) handler(request, res);
        else json(res, 404, { cause: 'no such route', message: `no route ${request.url.pathname}`, response: 404 });
      });
    });
    await new Promise<void>(resolve => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    routes = new Map();
    seen = [];
    warnings = [];
    engine = createStandaloneContainerEngine({
      endpoint: unixEndpoint(socketPath),
      engineId: ENGINE_ID,
      engineName: 'podman (fake)',
      warn: message => warnings.push(message),
    });
  });

  afterEach(() => engine.dispose());

  const connection = () => containerConnectionFor({ endpoint: unixEndpoint(socketPath), engineName: 'podman (fake)' });

  test('containerConnectionFor is the started podman connection of the socket', () => {
    const entry = connection();
    expect(entry).toMatchObject({
      providerId: 'podman',
      connection: { name: 'podman', displayName: 'podman (fake)', type: 'podman', endpoint: { socketPath } },
    });
    expect(entry.connection.status()).toBe('started');
  });

  test("listImages maps podman 5's list: manifest flag, arch, sha256 ids", async () => {
    routes.set('GET /v4.0.0/libpod/images/json', (_seen, res) =>
      json(res, 200, [
        { Id: 'aa'.repeat(32), RepoTags: ['quay.io/x/list:1'], Labels: null, IsManifestList: true, Size: 500 },
        {
          Id: 'bb'.repeat(32),
          Digest: `sha256:${'cc'.repeat(32)}`,
          RepoTags: ['quay.io/x/os:1'],
          Labels: { 'containers.bootc': '1' },
          IsManifestList: false,
          Arch: 'arm64',
        },
      ]),
    );
    const [list, os] = await engine.listImages();
    expect(list).toMatchObject({
      engineId: ENGINE_ID,
      engineName: 'podman (fake)',
      engineType: 'podman',
      Id: `sha256:${'aa'.repeat(32)}`,
      Digest: `sha256:${'aa'.repeat(32)}`,
      isManifest: true,
    });
    expect(os).toMatchObject({
      Id: `sha256:${'bb'.repeat(32)}`,
      Digest: `sha256:${'cc'.repeat(32)}`,
      isManifest: false,
      Arch: 'arm64',
    });
  });

  test('calls naming another engine are refused without a request', async () => {
    await expect(engine.getImageInspect('podman:other', 'x')).rejects.toThrow(/No engine podman:other/);
    await expect(engine.deleteContainer('podman:other', 'x')).rejects.toThrow(/No engine podman:other/);
    expect(seen).toEqual([]);
  });

  test('listInfos leaves out an engine that does not answer; info names the failure', async () => {
    routes.set('GET /v4.0.0/libpod/info', (_seen, res) => json(res, 500, { message: 'storage is broken' }));
    expect(await engine.listInfos()).toEqual([]);
    await expect(engine.info(ENGINE_ID)).rejects.toThrow(/Reading engine info failed: HTTP 500 — storage is broken/);
  });

  describe('pushImage', () => {
    beforeEach(() => {
      routes.set('POST /v1.41/images/127.0.0.1:5000/app:1/push', (_seen, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const text = Buffer.from('{"status":"pushing ü"}\n{"status":"done"}\n', 'utf8');
        const cut = text.indexOf(0xbc); // inside ü
        res.write(text.subarray(0, cut));
        setTimeout(() => res.end(text.subarray(cut)), 20);
      });
      for (const path of ['quay.io/me/app:1', 'localhost:5000/app:1', '[::1]:5000/app:1']) {
        routes.set(`POST /v1.41/images/${path}/push`, (_seen, res) => json(res, 200, { status: 'ok' }));
      }
    });

    async function push(ref: string, auth?: Parameters<StandaloneContainerEngine['pushImage']>[3]) {
      const calls: [string, string][] = [];
      let ended!: () => void;
      const end = new Promise<void>(resolve => (ended = resolve));
      await engine.pushImage(
        ENGINE_ID,
        ref,
        (name, data) => {
          calls.push([name, data]);
          if (name === 'end') ended();
        },
        auth,
      );
      await end;
      return { calls, request: seen.at(-1)! };
    }

    test('asks for tlsVerify=false for loopback registries only', async () => {
      for (const ref of ['127.0.0.1:5000/app:1', 'localhost:5000/app:1', '[::1]:5000/app:1']) {
        expect((await push(ref)).request.url.searchParams.get('tlsVerify')).toBe('false');
      }
      expect((await push('quay.io/me/app:1')).request.url.searchParams.has('tlsVerify')).toBe(false);
    });

    test('sends credentials only as padded base64url X-Registry-Auth', async () => {
      const auth = { username: 'me', password: 'p+ss/wörd?', serveraddress: 'quay.io' };
      const { request, calls } = await push('quay.io/me/app:1', auth);
      const header = String(request.headers['x-registry-auth']);
      expect(header).toMatch(/^[A-Za-z0-9_-]+=*$/);
      expect(header.length % 4).toBe(0);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual(auth);
      expect(request.url.search).not.toContain('me');
      expect(request.body.length).toBe(0);
      expect(JSON.stringify(calls)).not.toContain('wörd');
    });

    test('passes progress text whole across chunk boundaries, first-message first, end last', async () => {
      const { calls } = await push('127.0.0.1:5000/app:1');
      expect(calls[0]).toEqual(['first-message', '']);
      expect(
        calls
          .filter(([name]) => name === 'data')
          .map(([, data]) => data)
          .join(''),
      ).toBe('{"status":"pushing ü"}\n{"status":"done"}\n');
      expect(calls.at(-1)).toEqual(['end', '']);
    });
  });

  describe('pullImage', () => {
    test('pulls from a loopback registry through libpod with tlsVerify=false and the platform split', async () => {
      routes.set('POST /v4.0.0/libpod/images/pull', (_seen, res) => {
        res.writeHead(200);
        res.end('{"stream":"Trying to pull\\n"}\n{"id":"abc","images":["abc"]}\n');
      });
      const events: PullEvent[] = [];
      await engine.pullImage(
        connection().connection,
        'localhost:5000/app:1',
        event => events.push(event),
        'linux/arm64/v8',
      );
      const query = seen.at(-1)!.url.searchParams;
      expect(Object.fromEntries(query)).toEqual({
        reference: 'localhost:5000/app:1',
        tlsVerify: 'false',
        policy: 'always',
        os: 'linux',
        arch: 'arm64',
        variant: 'v8',
      });
      expect(events).toEqual([{ stream: 'Trying to pull\n' }, { id: 'abc', images: ['abc'] }]);
    });

    test('pulls from other registries through the Docker-compatible API and rejects on an error event', async () => {
      routes.set('POST /v1.41/images/create', (_seen, res) => {
        res.writeHead(200);
        res.end('{"status":"Pulling"}\n{"errorDetail":{"message":"denied"},"error":"denied"}\n');
      });
      const events: PullEvent[] = [];
      await expect(
        engine.pullImage(connection().connection, 'quay.io/me/app@sha256:abc', event => events.push(event)),
      ).rejects.toThrow(/Pulling quay.io\/me\/app@sha256:abc failed: denied/);
      expect(Object.fromEntries(seen.at(-1)!.url.searchParams)).toEqual({
        fromImage: 'quay.io/me/app',
        tag: 'sha256:abc',
      });
      expect(events[1]).toMatchObject({ error: 'denied', errorDetails: { message: 'denied' } });
    });

    test("a pull refused before it starts gets Podman Desktop's message", async () => {
      routes.set('POST /v1.41/images/create', (_seen, res) => json(res, 500, { message: 'unauthorized' }));
      await expect(engine.pullImage(connection().connection, 'quay.io/me/app:1', () => undefined)).rejects.toThrow(
        'access to image "quay.io/me/app:1" is denied (500 error). Can also be that the registry requires authentication.',
      );
    });

    test('a cancellation token aborts a pull in progress', async () => {
      routes.set('POST /v1.41/images/create', (_seen, res) => {
        res.writeHead(200);
        res.write('{"status":"Pulling"}\n'); // and never ends
      });
      let cancel!: (reason: unknown) => unknown;
      const token = {
        isCancellationRequested: false,
        onCancellationRequested: (listener: (reason: unknown) => unknown) => {
          cancel = listener;
          return { dispose: () => undefined };
        },
      };
      const events: PullEvent[] = [];
      const pull = engine.pullImage(
        connection().connection,
        'quay.io/me/app:1',
        event => {
          events.push(event);
          cancel(undefined);
        },
        undefined,
        token,
      );
      await expect(pull).rejects.toThrow(/cancelled/);
    });
  });

  describe('createContainer', () => {
    beforeEach(() => {
      routes.set('POST /v1.41/containers/create', (_seen, res) => json(res, 201, { Id: 'c0ffee', Warnings: [] }));
      routes.set('POST /v1.41/containers/c0ffee/start', (_seen, res) => {
        res.writeHead(204);
        res.end();
      });
    });

    test('sends the options as the body, the name in the query, and starts the container', async () => {
      const envFile = join(dir, 'app.env');
      writeFileSync(envFile, '# comment\nFROM_FILE=1\n\n');
      const result = await engine.createContainer(ENGINE_ID, {
        name: 'builder',
        Image: 'quay.io/me/builder:1',
        Env: ['SECRET=hunter2'],
        EnvFiles: [envFile],
        HostConfig: { Privileged: true, Binds: ['/out:/output'] },
      });
      expect(result).toEqual({ id: 'c0ffee', engineId: ENGINE_ID });
      const [create, start] = seen;
      expect(create.url.search).toBe('?name=builder');
      const body = JSON.parse(create.body.toString('utf8'));
      expect(body).toEqual({
        Image: 'quay.io/me/builder:1',
        Env: ['SECRET=hunter2', 'FROM_FILE=1'],
        HostConfig: { Privileged: true, Binds: ['/out:/output'] },
      });
      expect(start.url.pathname).toBe('/v1.41/containers/c0ffee/start');
    });

    test('does not start with start:false, and refuses pods', async () => {
      await engine.createContainer(ENGINE_ID, { Image: 'x', start: false });
      expect(seen.map(request => request.url.pathname)).toEqual(['/v1.41/containers/create']);
      await expect(engine.createContainer(ENGINE_ID, { Image: 'x', pod: 'p' })).rejects.toThrow(/pod is not supported/);
    });
  });

  describe('buildImage', () => {
    test('sends the context as a tar with Podman Desktop build parameters', async () => {
      routes.set('POST /v1.41/build', (_seen, res) => {
        res.writeHead(200);
        res.end('{"stream":"STEP 1/1: FROM scratch\\n"}\n{"aux":{"ID":"sha256:1"}}\n');
      });
      const context = join(dir, 'ctx');
      mkdirSync(join(context, 'sub'), { recursive: true });
      writeFileSync(join(context, 'sub/Containerfile'), 'FROM scratch\n');
      const calls: [string, string][] = [];
      const output = await engine.buildImage(context, (name, data) => calls.push([name, data]), {
        containerFile: 'sub/Containerfile',
        tag: 'localhost/x:1',
        buildargs: { A: '1' },
        labels: { 'containers.bootc': '1' },
        pull: 'true',
        nocache: true,
        platform: 'linux/amd64',
      });
      const request = seen.at(-1)!;
      expect(Object.fromEntries(request.url.searchParams)).toEqual({
        dockerfile: 'sub/Containerfile',
        t: 'localhost/x:1',
        buildargs: '{"A":"1"}',
        labels: '{"containers.bootc":"1"}',
        pull: 'true',
        nocache: 'true',
        platform: 'linux/amd64',
      });
      expect(request.headers['content-type']).toBe('application/x-tar');
      // tar headers are 512-byte blocks whose first field is the entry name.
      const names = [];
      for (let offset = 0; offset + 512 <= request.body.length; offset += 512) {
        names.push(
          request.body
            .subarray(offset, offset + 100)
            .toString('utf8')
            .replace(/\0.*$/s, ''),
        );
      }
      expect(names).toEqual(expect.arrayContaining(['sub', 'sub/Containerfile']));
      expect(request.body.includes(Buffer.from('FROM scratch\n'))).toBe(true);
      expect(calls.map(([name]) => name)).toEqual(['stream', 'stream', 'stream', 'finish']);
      expect(calls[2]).toEqual(['stream', 'STEP 1/1: FROM scratch\n']);
      expect(output).toEqual([{ stream: 'STEP 1/1: FROM scratch\n' }, { aux: { ID: 'sha256:1' } }]);
    });

    test("a build aborted before podman answers says so in dockerode's words, as Podman Desktop does", async () => {
      routes.set('POST /v1.41/build', () => undefined); // never answers
      const context = join(dir, 'ctx-aborted');
      mkdirSync(context, { recursive: true });
      const abortController = new AbortController();
      const calls: [string, string][] = [];
      const build = engine.buildImage(context, (name, data) => calls.push([name, data]), {
        tag: 'localhost/x:1',
        abortController,
      });
      while (!seen.some(request => request.url.pathname === '/v1.41/build')) {
        await new Promise(resolve => setTimeout(resolve, 5));
      }
      abortController.abort();
      await expect(build).rejects.toThrow('Building image localhost/x:1: the operation was aborted');
      expect(calls.at(-1)).toEqual(['error', 'Building image localhost/x:1: the operation was aborted']);
    });

    test('a build refused by podman is an error event and a rejection', async () => {
      routes.set('POST /v1.41/build', (_seen, res) => json(res, 500, { message: 'no space left on device' }));
      const context = join(dir, 'ctx-refused');
      mkdirSync(context, { recursive: true });
      const calls: [string, string][] = [];
      await expect(engine.buildImage(context, (name, data) => calls.push([name, data]))).rejects.toThrow(
        /no space left on device/,
      );
      expect(calls.at(-1)?.[0]).toBe('error');
    });
  });

  test('a build context that cannot be read is named as the cause', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const calls: [string, string][] = [];
    await expect(
      engine.buildImage(file, (name, data) => calls.push([name, data]), { containerFile: 'Containerfile' }),
    ).rejects.toThrow(`Reading the build context ${file} failed: ${file} is not a folder`);
    expect(calls.at(-1)).toEqual(['error', `Reading the build context ${file} failed: ${file} is not a folder`]);
  });

  test('a callback that throws does not break the stream', async () => {
    routes.set('GET /v1.41/containers/c1/logs', (_seen, res) => {
      res.writeHead(200);
      res.write('one\n');
      setTimeout(() => res.end('two\n'), 10);
    });
    const calls: string[] = [];
    await new Promise<void>(resolve => {
      void engine.logsContainer(ENGINE_ID, 'c1', (name, data) => {
        calls.push(`${name}:${data}`);
        if (name === 'end') resolve();
        if (name === 'data') throw new Error('callback bug');
      });
    });
    expect(calls).toEqual(['first-message:', 'data:one\n', 'data:two\n', 'end:']);
    expect(warnings).toEqual([
      'A container engine callback failed: callback bug',
      'A container engine callback failed: callback bug',
    ]);
  });
});

describe('image references', () => {
  test('isLoopbackRegistry accepts localhost, 127.0.0.0/8 and ::1 only', () => {
    for (const registry of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'LOCALHOST']) {
      expect(isLoopbackRegistry(registry), registry).toBe(true);
    }
    for (const registry of [
      'quay.io',
      '127.0.0.1.nip.io:5000',
      '10.0.0.1:5000',
      '128.0.0.1',
      '127.0.0.256',
      'localhost.example',
    ]) {
      expect(isLoopbackRegistry(registry), registry).toBe(false);
    }
  });

  test('fromImageQuery splits tags and digests, defaulting to latest', () => {
    expect(fromImageQuery('quay.io/me/app:1')).toEqual({ fromImage: 'quay.io/me/app', tag: '1' });
    expect(fromImageQuery('127.0.0.1:5000/app')).toEqual({ fromImage: '127.0.0.1:5000/app', tag: 'latest' });
    expect(fromImageQuery('app@sha256:abc')).toEqual({ fromImage: 'app', tag: 'sha256:abc' });
  });
});
