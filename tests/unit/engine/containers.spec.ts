/**
 * The container part of both adapters, on what can be checked without an engine: the PD adapter
 * against Podman Desktop's documented behaviour (createContainer starts unless `start: false`;
 * logsContainer follows and returns at once, ending with `end`; no wait call; listContainers spans
 * every engine), the engine facts read from a connection's socket, and the socket adapter's
 * demultiplexing of Docker's log stream.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import { CancelledError, EngineError } from '../../../src/engine/container-engine';
import { containerState, type ContainerSpec } from '../../../src/engine/container-runtime';
import { PodmanDesktopEngine } from '../../../src/engine/pd/podman-desktop';
import { readLibpodFacts } from '../../../src/engine/pd/podman-desktop-containers';
import { LogDemuxer } from '../../../src/engine/socket/podman-socket-containers';

const SPEC: ContainerSpec = {
  name: 'bootc-studio-build-0123456789ab',
  image: 'quay.io/centos-bootc/bootc-image-builder:latest',
  cmd: ['build', '--output', '/output', 'quay.io/x/os:1'],
  binds: ['/home/me/out:/output', '/var/lib/containers/storage:/var/lib/containers/storage'],
  volumes: [{ name: 'bootc-studio-store-x', target: '/store' }],
  privileged: true,
  securityOpt: ['label=type:unconfined_t'],
  labels: { 'bootc-studio.build-id': '0123456789ab' },
};

interface ContainerRow {
  engineId: string;
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
  Labels: Record<string, string>;
}

function pdApi() {
  let logCallback: ((name: string, data: string) => void) | undefined;
  let status = 'running';
  const api = {
    listInfos: vi.fn(async () => [{ engineId: 'podman.machine', engineName: 'Podman', engineType: 'podman' as const }]),
    listImages: vi.fn(async () => []),
    getImageInspect: vi.fn(),
    inspectManifest: vi.fn(),
    createContainer: vi.fn(async () => ({ id: 'abc', engineId: 'podman.machine' })),
    startContainer: vi.fn(async () => undefined),
    logsContainer: vi.fn(async (_engineId: string, _id: string, callback: (name: string, data: string) => void) => {
      logCallback = callback;
    }),
    inspectContainer: vi.fn(async (_engineId: string, id: string) => {
      if (id === 'gone') throw new Error('no such container');
      return {
        Id: id,
        Name: '/bootc-studio-build-0123456789ab',
        State: { Status: status, ExitCode: status === 'exited' ? 3 : 0 },
        Config: { Labels: { 'bootc-studio.build-id': '0123456789ab' }, Image: SPEC.image },
      };
    }),
    listContainers: vi.fn(async (): Promise<ContainerRow[]> => [
      {
        engineId: 'podman.machine',
        Id: 'a',
        Names: ['/one'],
        Image: 'i',
        ImageID: 'x',
        State: 'running',
        Labels: { 'bootc-studio.build-id': '1' },
      },
      {
        engineId: 'podman.machine',
        Id: 'b',
        Names: ['/two'],
        Image: 'i',
        ImageID: 'x',
        State: 'exited',
        Labels: { other: 'x' },
      },
      {
        engineId: 'docker.docker',
        Id: 'c',
        Names: ['/three'],
        Image: 'i',
        ImageID: 'x',
        State: 'running',
        Labels: { 'bootc-studio.build-id': '1' },
      },
    ]),
    stopContainer: vi.fn(async (_engineId: string, id: string) => {
      if (id === 'gone') throw Object.assign(new Error('no such container'), { statusCode: 404 });
    }),
    deleteContainer: vi.fn(async (_engineId: string, id: string) => {
      if (id === 'gone')
        throw new Error('(HTTP code 404) no such container - no container with name or ID "gone" found');
    }),
  };
  return {
    api,
    emit: (name: string, data = '') => logCallback?.(name, data),
    exit: () => (status = 'exited'),
  };
}

describe('PodmanDesktopEngine containers', () => {
  test('createContainer: Docker-cased options, a TTY, volumes as binds, and start: false', async () => {
    const { api } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    expect(await engine.createContainer('podman.machine', SPEC)).toBe('abc');
    expect(api.createContainer).toHaveBeenCalledWith('podman.machine', {
      name: SPEC.name,
      Image: SPEC.image,
      Cmd: SPEC.cmd,
      Env: [],
      Labels: SPEC.labels,
      Tty: true,
      StopTimeout: 10,
      HostConfig: {
        Binds: [...SPEC.binds, 'bootc-studio-store-x:/store'],
        Privileged: true,
        SecurityOpt: ['label=type:unconfined_t'],
      },
      start: false,
    });
  });

  test('followContainerLogs passes the text on until `end`, or until aborted (the stream itself cannot be)', async () => {
    const { api, emit } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    const texts: string[] = [];
    const following = engine.followContainerLogs('podman.machine', 'abc', text => texts.push(text));
    await vi.waitFor(() => expect(api.logsContainer).toHaveBeenCalled());
    emit('first-message');
    emit('data', 'line one\r\n');
    emit('data', 'line two\r\n');
    emit('end');
    await following;
    expect(texts).toEqual(['line one\r\n', 'line two\r\n']);

    const abort = new AbortController();
    const more: string[] = [];
    const second = engine.followContainerLogs('podman.machine', 'abc', text => more.push(text), abort.signal);
    await vi.waitFor(() => expect(api.logsContainer).toHaveBeenCalledTimes(2));
    emit('data', 'before\n');
    abort.abort();
    await second;
    emit('data', 'after\n');
    expect(more).toEqual(['before\n']);
  });

  test('waitContainer polls inspect until the container has exited; its exit code; abort cancels', async () => {
    const { api, exit } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    const waiting = engine.waitContainer('podman.machine', 'abc');
    await vi.waitFor(() => expect(api.inspectContainer).toHaveBeenCalled());
    exit();
    expect(await waiting).toBe(3);
    await expect(engine.waitContainer('podman.machine', 'gone')).rejects.toThrow(EngineError);
    const { api: running } = pdApi();
    const abort = new AbortController();
    const cancelled = new PodmanDesktopEngine(running).waitContainer('podman.machine', 'abc', abort.signal);
    abort.abort();
    await expect(cancelled).rejects.toThrow(CancelledError);
  });

  test('listContainers keeps this engine and the label; inspect maps the state', async () => {
    const { api } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    expect(await engine.listContainers('podman.machine', 'bootc-studio.build-id=1')).toEqual([
      { id: 'a', name: 'one', image: 'i', state: 'running', labels: { 'bootc-studio.build-id': '1' } },
    ]);
    expect((await engine.listContainers('podman.machine', 'other')).map(c => c.id)).toEqual(['b']);
    expect(await engine.inspectContainer('podman.machine', 'abc')).toEqual({
      id: 'abc',
      name: 'bootc-studio-build-0123456789ab',
      image: SPEC.image,
      state: 'running',
      labels: { 'bootc-studio.build-id': '0123456789ab' },
    });
  });

  test('stop and remove: a container already gone is fine', async () => {
    const { api } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    await engine.stopContainer('podman.machine', 'gone');
    await engine.removeContainer('podman.machine', 'gone');
    await engine.startContainer('podman.machine', 'abc');
    expect(api.startContainer).toHaveBeenCalledWith('podman.machine', 'abc');
  });

  test('a failure is said once: an error that already names the step is not wrapped in it again', async () => {
    const { api } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    // What the standalone stand-in's API answers: its own "Starting container X failed: …".
    api.startContainer.mockRejectedValueOnce(
      new Error('Starting container abc failed: HTTP 500 — runc: permission denied'),
    );
    await expect(engine.startContainer('podman.machine', 'abc')).rejects.toThrow(
      /^Starting container abc failed: HTTP 500 — runc: permission denied$/,
    );
    // Podman Desktop's own error text gets the step in front of it, once.
    api.startContainer.mockRejectedValueOnce(new Error('(HTTP code 500) server error - runc: permission denied'));
    await expect(engine.startContainer('podman.machine', 'abc')).rejects.toThrow(
      /^Starting container abc failed: \(HTTP code 500\) server error - runc: permission denied$/,
    );
  });

  test('a stop "at once" (a cancel) is a forced removal: Podman Desktop’s stop has no timeout', async () => {
    const { api } = pdApi();
    const engine = new PodmanDesktopEngine(api);
    await engine.stopContainer('podman.machine', 'abc', 0);
    expect(api.deleteContainer).toHaveBeenCalledWith('podman.machine', 'abc');
    expect(api.stopContainer).not.toHaveBeenCalled();
    await engine.stopContainer('podman.machine', 'abc', 10);
    expect(api.stopContainer).toHaveBeenCalledWith('podman.machine', 'abc');
  });

  test('engine facts (graph root, rootful) come from the connection socket of each podman engine', async () => {
    const { api } = pdApi();
    const connection = { name: 'machine', status: () => 'started', endpoint: { socketPath: '/run/machine.sock' } };
    const readFacts = vi.fn(async () => ({ graphRoot: '/var/lib/containers/storage', rootful: true, arch: 'arm64' }));
    const engine = new PodmanDesktopEngine(api, { getContainerConnections: () => [{ connection }] }, readFacts);
    const [info] = await engine.listEngines();
    expect(info).toMatchObject({
      id: 'podman.machine',
      graphRoot: '/var/lib/containers/storage',
      rootful: true,
      arch: 'arm64',
    });
    await engine.listEngines();
    expect(readFacts).toHaveBeenCalledTimes(1);
    expect(readFacts).toHaveBeenCalledWith('/run/machine.sock');
    // Without a provider (or a socket) nothing is guessed.
    expect((await new PodmanDesktopEngine(api).listEngines())[0].graphRoot).toBeUndefined();
  });

  test('a busy podman that does not answer libpod/info in time keeps the facts it gave before, and is asked again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { api } = pdApi();
      const connection = { name: 'machine', status: () => 'started', endpoint: { socketPath: '/run/machine.sock' } };
      const readFacts = vi
        .fn<(socketPath: string) => Promise<{ graphRoot: string; rootful: boolean } | undefined>>()
        .mockResolvedValueOnce({ graphRoot: '/var/lib/containers/storage', rootful: true })
        .mockResolvedValueOnce(undefined)
        .mockResolvedValueOnce({ graphRoot: '/srv/storage', rootful: true });
      const engine = new PodmanDesktopEngine(api, { getContainerConnections: () => [{ connection }] }, readFacts);
      expect((await engine.listEngines())[0].graphRoot).toBe('/var/lib/containers/storage');
      // Past the facts' lifetime, the read times out: the last answer stands, not "no graph root".
      vi.setSystemTime(Date.now() + 61_000);
      expect((await engine.listEngines())[0]).toMatchObject({
        graphRoot: '/var/lib/containers/storage',
        rootful: true,
      });
      // A read that did not answer is not remembered: the next listing asks again.
      expect((await engine.listEngines())[0].graphRoot).toBe('/srv/storage');
      expect(readFacts).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  test('a connection with a vmType is a podman machine: its name and provider come along', async () => {
    const { api } = pdApi();
    const machine = {
      name: 'podman-machine-default',
      status: () => 'started',
      endpoint: { socketPath: '/run/machine.sock' },
      vmType: 'applehv',
    };
    const readFacts = vi.fn(async () => ({ graphRoot: '/var/lib/containers/storage', rootful: false }));
    const engine = new PodmanDesktopEngine(
      api,
      { getContainerConnections: () => [{ connection: machine }] },
      readFacts,
    );
    const [info] = await engine.listEngines();
    expect(info.machine).toEqual({ name: 'podman-machine-default', vmType: 'applehv' });
    expect(info.rootful).toBe(false);
  });
});

describe('readLibpodFacts', () => {
  let dir: string;
  let server: Server;
  let answer: { status: number; body: unknown };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'libpod-facts-'));
    server = createServer((request, response) => {
      expect(request.url).toBe('/v4.0.0/libpod/info');
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
    await new Promise<void>(resolve => server.listen(join(dir, 'podman.sock'), resolve));
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test("reads podman's graph root and rootless flag; a non-podman or silent socket gives nothing", async () => {
    answer = {
      status: 200,
      body: {
        host: { security: { rootless: false }, os: 'linux', arch: 'amd64' },
        store: { graphRoot: '/g' },
        version: { Version: '5.4.0' },
      },
    };
    expect(await readLibpodFacts(join(dir, 'podman.sock'))).toEqual({
      graphRoot: '/g',
      rootful: true,
      version: '5.4.0',
      os: 'linux',
      arch: 'amd64',
    });
    answer = { status: 404, body: { message: 'page not found' } };
    expect(await readLibpodFacts(join(dir, 'podman.sock'))).toBeUndefined();
    expect(await readLibpodFacts(join(dir, 'missing.sock'))).toBeUndefined();
  });
});

describe('LogDemuxer', () => {
  function frame(stream: 1 | 2, text: string): Buffer {
    const payload = Buffer.from(text, 'utf8');
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  }

  test('splits frames in arrival order, across chunk boundaries and inside multi-byte characters', () => {
    const texts: string[] = [];
    const demux = new LogDemuxer(text => texts.push(text));
    const all = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err ü\n'), frame(1, 'out 2\n')]);
    for (let i = 0; i < all.length; i += 5) demux.push(all.subarray(i, i + 5));
    demux.end();
    expect(texts.join('')).toBe('out 1\nerr ü\nout 2\n');
  });

  test('a stream without frame headers (a TTY) is plain text', () => {
    const texts: string[] = [];
    const demux = new LogDemuxer(text => texts.push(text));
    demux.push(Buffer.from('plain\r\n'));
    demux.end();
    expect(texts).toEqual(['plain\r\n']);
  });

  test("podman's and Docker's state words", () => {
    expect(
      ['created', 'configured', 'running', 'paused', 'exited', 'stopped', 'dead', '?'].map(containerState),
    ).toEqual(['created', 'created', 'running', 'paused', 'exited', 'stopped', 'exited', 'unknown']);
  });
});
