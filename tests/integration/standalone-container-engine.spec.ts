/**
 * The `containerEngine` of standalone mode's Podman Desktop stand-in, against a real podman
 * service and a real registry started by the test: the answers carry Podman Desktop's shapes and
 * the calls keep Podman Desktop's semantics (pushImage resolves before the push ends, buildImage
 * reports a failing step as an 'error' event, createContainer starts unless start:false, logs
 * follow, onEvent is fed by podman's events).
 */

import { chown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ContainerJSONEvent, PullEvent } from '@podman-desktop/api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { engineIdFor } from '../../src/engine/socket/podman-socket';
import type { StandaloneContainerEngine } from '../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../src/standalone/standalone-container-engine';
import { BUSYBOX_BASE, buildImage, createBusyboxBase, createManifestList, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import type { LocalRegistry } from './support/registry';
import { startRegistry } from './support/registry';

const BOOTC = 'localhost/sce-bootc:1';
const MULTI = 'localhost/sce-multi:1';
const ENGINE_NAME = 'podman (standalone test)';

type Call = [name: string, data: string];

describe('standalone containerEngine on a real podman', () => {
  let podman: PodmanService;
  let registry: LocalRegistry;
  let engine: StandaloneContainerEngine;
  let engineId: string;
  let connection: ReturnType<typeof containerConnectionFor>['connection'];
  const ids: Record<string, string> = {};
  const warnings: string[] = [];

  beforeAll(async () => {
    [podman, registry] = await Promise.all([startPodmanService(), startRegistry()]);
    ids[BUSYBOX_BASE] = await createBusyboxBase(podman);
    ids[BOOTC] = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo bootc > /etc/os-name\n` },
      BOOTC,
    );
    ids[MULTI] = await createManifestList(podman, MULTI, [BOOTC]);
    const endpoint = unixEndpoint(podman.socketPath);
    engineId = engineIdFor(endpoint);
    engine = createStandaloneContainerEngine({
      endpoint,
      engineId,
      engineName: ENGINE_NAME,
      warn: message => warnings.push(message),
    });
    connection = containerConnectionFor({ endpoint, engineName: ENGINE_NAME }).connection;
  });

  afterAll(async () => {
    engine?.dispose();
    await Promise.all([registry?.stop(), podman?.stop()]);
  });

  describe('images', () => {
    test('listImages gives Podman Desktop ImageInfo rows with the engine fields and labels', async () => {
      const images = await engine.listImages();
      const bootc = images.find(image => image.RepoTags?.includes(BOOTC));
      expect(bootc).toBeDefined();
      expect(bootc).toMatchObject({
        engineId,
        engineName: ENGINE_NAME,
        engineType: 'podman',
        Id: `sha256:${ids[BOOTC]}`,
        Labels: { 'containers.bootc': '1' },
      });
      expect(bootc!.Digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(bootc!.Size).toBeGreaterThan(0);
      expect(bootc!.isManifest).not.toBe(true);

      const multi = images.find(image => image.RepoTags?.includes(MULTI));
      expect(multi).toBeDefined();
      // podman ≥ 5.0.2 says so; podman 4 does not, and then it stays undefined rather than guessed.
      expect([true, undefined]).toContain(multi!.isManifest);
      if (!('IsManifestList' in multi!)) expect('isManifest' in multi!).toBe(false);

      // Filtering by the engine's own connection gives the same list; another connection is refused.
      expect((await engine.listImages({ provider: connection })).map(image => image.Id).sort()).toEqual(
        images.map(image => image.Id).sort(),
      );
      await expect(
        engine.listImages({ provider: { ...connection, endpoint: { socketPath: '/elsewhere.sock' } } }),
      ).rejects.toThrow(/No running engine for the connection/);
    });

    test('getImageInspect gives the image config with the engine fields', async () => {
      const info = await engine.getImageInspect(engineId, BOOTC);
      expect(info).toMatchObject({ engineId, engineName: ENGINE_NAME, engineType: 'podman' });
      expect(info.Id).toBe(`sha256:${ids[BOOTC]}`);
      expect(info.Config.Labels['containers.bootc']).toBe('1');
      expect(info.Architecture).toBe(machineArch());
      expect(info.Os).toBe('linux');
      expect(info.RepoTags).toContain(BOOTC);

      await expect(engine.getImageInspect(engineId, 'localhost/no-such-image:1')).rejects.toThrow(
        /localhost\/no-such-image:1 not found/,
      );
      await expect(engine.getImageInspect('podman:/other.sock', BOOTC)).rejects.toThrow(
        /No engine podman:\/other.sock/,
      );
    });

    test('inspectManifest lists the members of a manifest list and refuses a plain image', async () => {
      const manifest = await engine.inspectManifest(engineId, MULTI);
      expect(manifest).toMatchObject({ engineId, engineName: ENGINE_NAME, schemaVersion: 2 });
      expect(manifest.mediaType).toMatch(/manifest\.list|image\.index/);
      expect(manifest.manifests).toHaveLength(1);
      expect(manifest.manifests[0].platform).toMatchObject({ architecture: machineArch(), os: 'linux' });
      expect(manifest.manifests[0].digest).toMatch(/^sha256:[0-9a-f]{64}$/);

      await expect(engine.inspectManifest(engineId, BOOTC)).rejects.toThrow(/is not a manifest list/);
      await expect(engine.inspectManifest(engineId, 'localhost/no-such-list:1')).rejects.toThrow(/not found/);
    });

    test('listInfos and info describe the running engine', async () => {
      const infos = await engine.listInfos();
      expect(infos).toHaveLength(1);
      expect(infos[0]).toMatchObject({ engineId, engineName: ENGINE_NAME, engineType: 'podman' });
      expect(infos[0].cpus).toBeGreaterThan(0);
      expect(infos[0].memory).toBeGreaterThan(0);
      expect(infos[0].memoryUsed).toBeGreaterThan(0);
      expect(infos[0].diskSize).toBeGreaterThan(0);
      expect((await engine.info(engineId)).engineId).toBe(engineId);
      expect(await engine.listInfos({ provider: connection })).toHaveLength(1);
    });

    test('tagImage adds a reference and deleteImage removes it', async () => {
      await engine.tagImage(engineId, BOOTC, 'localhost/sce-tagged', 'v2');
      expect((await engine.getImageInspect(engineId, 'localhost/sce-tagged:v2')).Id).toBe(`sha256:${ids[BOOTC]}`);
      await engine.deleteImage(engineId, 'localhost/sce-tagged:v2');
      await expect(engine.getImageInspect(engineId, 'localhost/sce-tagged:v2')).rejects.toThrow(/not found/);
      // The image itself keeps its other tag.
      expect((await engine.getImageInspect(engineId, BOOTC)).Id).toBe(`sha256:${ids[BOOTC]}`);
      await expect(engine.tagImage(engineId, 'localhost/no-such-image:1', 'localhost/x', '1')).rejects.toThrow(
        /not found/,
      );
    });
  });

  describe('buildImage', () => {
    test('tars the context (root-owned, symlinks, long names), streams the build, finishes, and tags', async () => {
      const context = join(podman.dir, 'build-ok');
      const longDir = `deep/${'a'.repeat(60)}/${'b'.repeat(60)}`;
      await mkdir(join(context, longDir), { recursive: true });
      await mkdir(join(context, 'build'));
      await writeFile(join(context, 'hello.txt'), 'hello from the context\n');
      await chown(join(context, 'hello.txt'), 1234, 1234);
      await writeFile(join(context, longDir, 'file-with-a-long-name.txt'), 'long\n');
      await symlink('hello.txt', join(context, 'link.txt'));
      await writeFile(
        join(context, 'build/Containerfile'),
        [
          `FROM ${BUSYBOX_BASE}`,
          'ARG GREETING',
          'COPY hello.txt link.txt /ctx/',
          `COPY ${longDir}/file-with-a-long-name.txt /ctx/long.txt`,
          'RUN test "$(stat -c %u:%g /ctx/hello.txt)" = 0:0 && grep -q "hello from the context" /ctx/link.txt',
          'RUN echo "greeting=$GREETING" && test "$GREETING" = hi',
          '',
        ].join('\n'),
      );

      const calls: Call[] = [];
      const result = await engine.buildImage(context, (name, data) => calls.push([name, data]), {
        containerFile: 'build/Containerfile',
        tag: 'localhost/sce-built:1',
        buildargs: { GREETING: 'hi' },
        labels: { 'containers.bootc': '1', 'org.example.built-by': 'standalone' },
      });

      const errors = calls.filter(([name]) => name === 'error');
      expect(errors, JSON.stringify(calls)).toEqual([]);
      const streamed = calls.filter(([name]) => name === 'stream').map(([, data]) => data);
      expect(streamed.join('')).toContain('greeting=hi');
      expect(streamed.some(line => /STEP \d+\/\d+: COPY hello\.txt/.test(line))).toBe(true);
      expect(calls.at(-1)).toEqual(['finish', '']);
      expect(Array.isArray(result)).toBe(true);

      const built = await engine.getImageInspect(engineId, 'localhost/sce-built:1');
      expect(built.Config.Labels).toMatchObject({ 'containers.bootc': '1', 'org.example.built-by': 'standalone' });
      const images = await engine.listImages();
      expect(images.some(image => image.RepoTags?.includes('localhost/sce-built:1'))).toBe(true);
    });

    test('takes a Containerfile from outside the context', async () => {
      const context = join(podman.dir, 'build-outside', 'context');
      await mkdir(context, { recursive: true });
      await writeFile(join(context, 'Containerfile.0'), 'not the one to use\n');
      await writeFile(join(context, 'payload.txt'), 'payload\n');
      await writeFile(
        join(context, '../Outside.containerfile'),
        `FROM ${BUSYBOX_BASE}\nCOPY payload.txt /payload.txt\nRUN grep -q payload /payload.txt\n`,
      );
      const calls: Call[] = [];
      await engine.buildImage(context, (name, data) => calls.push([name, data]), {
        containerFile: '../Outside.containerfile',
        tag: 'localhost/sce-outside:1',
      });
      expect(
        calls.filter(([name]) => name === 'error'),
        JSON.stringify(calls),
      ).toEqual([]);
      expect((await engine.getImageInspect(engineId, 'localhost/sce-outside:1')).Id).toMatch(/^sha256:/);
    });

    test('reports a failing RUN step as an error event with the step, then finishes', async () => {
      const context = join(podman.dir, 'build-fail');
      await mkdir(context, { recursive: true });
      await writeFile(
        join(context, 'Containerfile'),
        `FROM ${BUSYBOX_BASE}\nRUN echo before-the-failure\nRUN echo about-to-fail && false\n`,
      );
      const calls: Call[] = [];
      await engine.buildImage(context, (name, data) => calls.push([name, data]), {
        containerFile: 'Containerfile',
        tag: 'localhost/sce-fail:1',
      });

      const errors = calls.filter(([name]) => name === 'error').map(([, data]) => data);
      expect(errors.length, JSON.stringify(calls)).toBeGreaterThan(0);
      expect(errors.join('\n')).toContain('RUN echo about-to-fail && false');
      const errorAt = calls.findIndex(([name]) => name === 'error');
      const streamed = calls.slice(0, errorAt).map(([, data]) => data);
      expect(streamed.join('')).toContain('before-the-failure');
      expect(calls.at(-1)?.[0]).toBe('finish');
      await expect(engine.getImageInspect(engineId, 'localhost/sce-fail:1')).rejects.toThrow(/not found/);
    });

    test('an aborted build rejects and reports it', async () => {
      const context = join(podman.dir, 'build-abort');
      await mkdir(context, { recursive: true });
      await writeFile(join(context, 'Containerfile'), `FROM ${BUSYBOX_BASE}\nRUN sleep 20\n`);
      const abortController = new AbortController();
      const calls: Call[] = [];
      const build = engine.buildImage(
        context,
        (name, data) => {
          calls.push([name, data]);
          if (name === 'stream' && data.includes('RUN sleep 20')) abortController.abort();
        },
        { containerFile: 'Containerfile', abortController },
      );
      await expect(build).rejects.toThrow(/aborted/);
      expect(calls.at(-1)?.[0]).toBe('finish');
    });
  });

  describe('push and pull with a local registry', () => {
    test('pushImage resolves before the push ends, then streams progress and ends; the registry has the tag', async () => {
      const target = `${registry.url}/bootc-studio/app`;
      await engine.tagImage(engineId, BOOTC, target, '1');

      const calls: Call[] = [];
      let ended!: () => void;
      const end = new Promise<void>(resolve => (ended = resolve));
      await engine.pushImage(engineId, `${target}:1`, (name, data) => {
        calls.push([name, data]);
        if (name === 'end') ended();
      });
      // Resolved as soon as the stream opened: nothing has ended yet.
      expect(calls.some(([name]) => name === 'end')).toBe(false);

      await end;
      expect(calls[0]).toEqual(['first-message', '']);
      const data = calls.filter(([name]) => name === 'data').map(([, text]) => text);
      expect(data.join('')).not.toMatch(/"error"/);
      expect(data.join('')).toMatch(/"status"/);
      expect(calls.at(-1)).toEqual(['end', '']);
      expect(await registry.tags('bootc-studio/app')).toContain('1');
    });

    test('pushImage sends authInfo as X-Registry-Auth and never echoes it', async () => {
      const target = `${registry.url}/bootc-studio/auth`;
      await engine.tagImage(engineId, BOOTC, target, '1');
      const calls: Call[] = [];
      let ended!: () => void;
      const end = new Promise<void>(resolve => (ended = resolve));
      await engine.pushImage(
        engineId,
        `${target}:1`,
        (name, data) => {
          calls.push([name, data]);
          if (name === 'end') ended();
        },
        { username: 'tester', password: 's3cr3t-pa55', serveraddress: registry.url },
      );
      await end;
      expect(JSON.stringify(calls)).not.toContain('s3cr3t-pa55');
      expect(await registry.tags('bootc-studio/auth')).toContain('1');
    });

    test('a push to a registry that is not there surfaces the error in a data chunk, then ends', async () => {
      const absent = `127.0.0.1:${await unusedPort()}/bootc-studio/nowhere`;
      await engine.tagImage(engineId, BOOTC, absent, '1');
      const calls: Call[] = [];
      let ended!: () => void;
      const end = new Promise<void>(resolve => (ended = resolve));
      await engine.pushImage(engineId, `${absent}:1`, (name, data) => {
        calls.push([name, data]);
        if (name === 'end') ended();
      });
      await end;
      const errors = calls
        .filter(([name]) => name === 'data')
        .flatMap(([, text]) => text.split('\n'))
        .filter(line => line.trim() !== '')
        .map(line => JSON.parse(line) as { error?: string })
        .filter(chunk => chunk.error);
      expect(errors.length, JSON.stringify(calls)).toBeGreaterThan(0);
      expect(errors[0].error).toMatch(/connection refused/);
      expect(calls.at(-1)).toEqual(['end', '']);
    });

    test('a push of an image that does not exist rejects', async () => {
      await expect(
        engine.pushImage(engineId, `${registry.url}/bootc-studio/missing:1`, () => undefined),
      ).rejects.toThrow(/not found/);
    });

    test('pullImage pulls a pushed image back under its registry name, with PullEvents, and resolves when done', async () => {
      const source = `${registry.url}/bootc-studio/pulled`;
      await engine.tagImage(engineId, BOOTC, source, '7');
      let pushed!: () => void;
      const pushEnd = new Promise<void>(resolve => (pushed = resolve));
      await engine.pushImage(engineId, `${source}:7`, name => {
        if (name === 'end') pushed();
      });
      await pushEnd;
      expect(await registry.tags('bootc-studio/pulled')).toContain('7');
      // Drop the local name, so the pull has to come from the registry.
      await podman.podman(['untag', BOOTC, `${source}:7`]);
      await expect(engine.getImageInspect(engineId, `${source}:7`)).rejects.toThrow(/not found/);

      const imageEvents: ContainerJSONEvent[] = [];
      const subscription = engine.onEvent(event => {
        if (event.Type === 'image') imageEvents.push(event);
      });
      const events: PullEvent[] = [];
      try {
        await engine.pullImage(connection, `${source}:7`, event => events.push(event));
        expect(events.length).toBeGreaterThan(0);
        expect(events.some(event => event.error)).toBe(false);
        expect(events.map(event => event.stream ?? event.status ?? '').join('')).toMatch(/Copying|Pull|Download/i);
        const pulled = await engine.getImageInspect(engineId, `${source}:7`);
        expect(pulled.Id).toBe(`sha256:${ids[BOOTC]}`);
        // podman reports the pull on its event stream as an image event.
        await waitFor(() => imageEvents.some(event => event.status === 'pull'));
      } finally {
        subscription.dispose();
      }
    });

    test('pullImage rejects when the image is not in the registry, after passing the error on', async () => {
      const events: PullEvent[] = [];
      await expect(
        engine.pullImage(connection, `${registry.url}/bootc-studio/absent:1`, event => events.push(event)),
      ).rejects.toThrow(/absent/);
      expect(events.some(event => event.error && event.errorDetails?.message === event.error)).toBe(true);
    });

    test('pullImage refuses a connection that is not the engine, and a cancelled token', async () => {
      await expect(
        engine.pullImage({ ...connection, name: 'other' }, `${registry.url}/bootc-studio/app:1`, () => undefined),
      ).rejects.toThrow(/No running engine for the connection other/);
      const token = { isCancellationRequested: true, onCancellationRequested: () => ({ dispose: () => undefined }) };
      await expect(
        engine.pullImage(connection, `${registry.url}/bootc-studio/app:1`, () => undefined, undefined, token),
      ).rejects.toThrow(/cancelled/);
    });
  });

  describe('containers', () => {
    test('createContainer starts the container by default; stop and delete work', async () => {
      const { id, engineId: createdOn } = await engine.createContainer(engineId, {
        name: 'sce-started',
        Image: BUSYBOX_BASE,
        // PID 1 ignores SIGTERM unless it traps it; without the trap, stop would wait out its 10 s.
        Cmd: ['sh', '-c', 'trap "exit 0" TERM; echo started; while :; do sleep 0.2; done'],
        Labels: { 'org.example.test': 'started' },
      });
      expect(createdOn).toBe(engineId);
      const running = await engine.inspectContainer(engineId, id);
      expect(running).toMatchObject({ engineId, engineName: ENGINE_NAME, Name: '/sce-started' });
      expect(running.State.Running).toBe(true);

      const listed = (await engine.listContainers()).find(container => container.Id === id);
      expect(listed).toMatchObject({ engineId, engineName: ENGINE_NAME, engineType: 'podman', State: 'running' });
      expect(listed!.Labels['org.example.test']).toBe('started');

      await engine.stopContainer(engineId, id);
      expect((await engine.inspectContainer(engineId, id)).State.Running).toBe(false);
      await engine.deleteContainer(engineId, id);
      await expect(engine.inspectContainer(engineId, id)).rejects.toThrow(/not found/);
    });

    test('createContainer with start:false leaves it created until startContainer', async () => {
      const { id } = await engine.createContainer(engineId, {
        Image: BUSYBOX_BASE,
        Cmd: ['sleep', '60'],
        start: false,
      });
      const created = await engine.inspectContainer(engineId, id);
      expect(created.State.Running).toBe(false);
      expect(created.State.Status).toBe('created');

      await engine.startContainer(engineId, id);
      expect((await engine.inspectContainer(engineId, id)).State.Running).toBe(true);
      // deleteContainer is forced, like Podman Desktop's: a running container goes too.
      await engine.deleteContainer(engineId, id);
      expect((await engine.listContainers()).some(container => container.Id === id)).toBe(false);
    });

    test('logsContainer returns at once and follows the log until the container exits', async () => {
      const { id } = await engine.createContainer(engineId, {
        Image: BUSYBOX_BASE,
        Cmd: ['sh', '-c', 'echo first-line; sleep 2; echo second-line'],
        Tty: true,
      });
      const calls: Call[] = [];
      let ended!: () => void;
      const end = new Promise<void>(resolve => (ended = resolve));
      await engine.logsContainer(engineId, id, (name, data) => {
        calls.push([name, data]);
        if (name === 'end') ended();
      });
      // Resolved without waiting for the log: the second line is two seconds away.
      expect(calls.map(([, data]) => data).join('')).not.toContain('second-line');
      await end;
      const data = calls.filter(([name]) => name === 'data').map(([, text]) => text);
      expect(calls[0]).toEqual(['first-message', '']);
      // A log read once rather than followed would have ended before the second line.
      expect(data.join('')).toMatch(/first-line\r?\n[\s\S]*second-line/);
      expect(calls.at(-1)).toEqual(['end', '']);
      await engine.deleteContainer(engineId, id);
    });

    test('logsContainer of a container that does not exist just ends', async () => {
      const calls: Call[] = [];
      await new Promise<void>(resolve => {
        void engine.logsContainer(engineId, 'sce-no-such-container', (name, data) => {
          calls.push([name, data]);
          if (name === 'end') resolve();
        });
      });
      expect(calls).toEqual([['end', '']]);
    });
  });

  describe('onEvent', () => {
    test('delivers image events for a tag and a removal, and nothing after the listener is disposed', async () => {
      const events: ContainerJSONEvent[] = [];
      const disposables: { dispose(): void }[] = [];
      const subscription = engine.onEvent(event => events.push(event), undefined, disposables);
      expect(disposables).toEqual([subscription]);

      await engine.tagImage(engineId, BOOTC, 'localhost/sce-event', '1');
      const tagged = await waitFor(() =>
        events.find(event => event.Type === 'image' && event.status === 'tag' && named(event, 'localhost/sce-event:1')),
      );
      expect(tagged.id).toBe(ids[BOOTC]);

      await engine.deleteImage(engineId, 'localhost/sce-event:1');
      await waitFor(() =>
        events.find(
          event => event.Type === 'image' && event.status === 'untag' && named(event, 'localhost/sce-event:1'),
        ),
      );

      subscription.dispose();
      const count = events.length;
      await engine.tagImage(engineId, BOOTC, 'localhost/sce-event', '2');
      await new Promise(resolve => setTimeout(resolve, 1_500));
      expect(events.length).toBe(count);
      await engine.deleteImage(engineId, 'localhost/sce-event:2');
    });

    test('a listener that throws does not stop the others', async () => {
      const seen: ContainerJSONEvent[] = [];
      const failing = engine.onEvent(() => {
        throw new Error('listener failure');
      });
      const working = engine.onEvent(event => seen.push(event));
      try {
        await engine.tagImage(engineId, BOOTC, 'localhost/sce-event', '3');
        await waitFor(() => seen.find(event => event.status === 'tag' && named(event, 'localhost/sce-event:3')));
        expect(warnings).toContain('A container engine event listener failed: listener failure');
      } finally {
        failing.dispose();
        working.dispose();
        await engine.deleteImage(engineId, 'localhost/sce-event:3');
      }
    });
  });
});

function named(event: ContainerJSONEvent, name: string): boolean {
  const attributes = (event as { Actor?: { Attributes?: { name?: string } } }).Actor?.Attributes;
  return attributes?.name === name;
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** A loopback port nothing listens on (bound, read, released). */
async function unusedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
