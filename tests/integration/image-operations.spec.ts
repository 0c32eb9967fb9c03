/**
 * Image builds, pushes, pulls, tags and deletes through the core (the same functions the webview's
 * RPC and the CLI call), against a real podman service and real registries (an open one and an
 * htpasswd one) started by the test — through BOTH engine adapters: the podman-socket adapter (the
 * CLI's path) and the Podman Desktop adapter over standalone mode's Podman Desktop stand-in (the
 * extension's path in standalone mode and the browser tests).
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ImageOperation } from '../../src/api/image-operations';
import type { ContainerEngine } from '../../src/engine/container-engine';
import { ImageInUseError } from '../../src/engine/container-engine';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { PodmanDesktopEngine } from '../../src/engine/pd/podman-desktop';
import { engineIdFor, PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { listBootcImages } from '../../src/images/bootc-images';
import { NOT_BOOTC_WARNING, startBuild } from '../../src/images/image-build';
import { deleteImageOrTag } from '../../src/images/image-delete';
import { ImageOperations } from '../../src/images/image-operations';
import { startPull, startPush } from '../../src/images/image-transfer';
import type { StandaloneContainerEngine } from '../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../src/standalone/standalone-container-engine';
import { BUSYBOX_BASE, buildImage, createBusyboxBase, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import type { LocalRegistry } from './support/registry';
import { startRegistry } from './support/registry';

const PASSWORD = 'pa55-w0rd-never-logged';

let podman: PodmanService;
let registry: LocalRegistry;
let authRegistry: LocalRegistry;
let standalone: StandaloneContainerEngine;
let baseId: string;

beforeAll(async () => {
  [registry, authRegistry] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: { username: 'tester', password: PASSWORD } }),
  ]);
  // Pulls have no TLS switch (neither in the page nor in the CLI): the engine's registries.conf
  // marks the plain-HTTP test registries insecure, as a user of such a registry would.
  podman = await startPodmanService({ insecureRegistries: [registry.url, authRegistry.url] });
  baseId = await createBusyboxBase(podman);
  const endpoint = unixEndpoint(podman.socketPath);
  standalone = createStandaloneContainerEngine({ endpoint, engineId: engineIdFor(endpoint), engineName: 'podman' });
});

afterAll(async () => {
  standalone?.dispose();
  await Promise.all([registry?.stop(), authRegistry?.stop(), podman?.stop()]);
});

interface Adapter {
  name: string;
  /** A short tag that keeps each adapter's images apart. */
  prefix: string;
  engine(): ContainerEngine;
  /** What a push to the open (plain-HTTP) registry needs: the stand-in skips TLS for loopback itself. */
  tlsVerify?: boolean;
  /**
   * Whether pushes report layers: libpod's push names each blob; the Docker-compatible push that
   * Podman Desktop uses reports none on podman 4 (only the final digest).
   */
  pushLayers: boolean;
}

const adapters: Adapter[] = [
  {
    name: 'podman-socket adapter (CLI path)',
    prefix: 'sock',
    engine: () => new PodmanSocketEngine(podman.url),
    tlsVerify: false,
    pushLayers: true,
  },
  {
    name: 'Podman Desktop adapter over the standalone API',
    prefix: 'pd',
    pushLayers: false,
    engine: () => {
      const endpoint = unixEndpoint(podman.socketPath);
      const connection = containerConnectionFor({ endpoint, engineName: 'podman' });
      return new PodmanDesktopEngine(standalone, { getContainerConnections: () => [connection] });
    },
  },
];

describe.each(adapters)('$name', adapter => {
  let engine: ContainerEngine;
  let operations: ImageOperations;
  const deps = () => ({ engine, operations });
  const changes: ImageOperation[] = [];

  beforeAll(() => {
    engine = adapter.engine();
    operations = new ImageOperations();
    operations.onDidChange(operation => changes.push(operation));
  });

  afterAll(() => operations?.dispose());

  async function context(name: string, containerfile: string, files: Record<string, string> = {}): Promise<string> {
    const dir = join(podman.dir, `${adapter.prefix}-${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Containerfile'), containerfile);
    for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
    return dir;
  }

  function build(contextDir: string, tag: string, extra: Record<string, unknown> = {}) {
    return startBuild(deps(), {
      contextDir,
      tag,
      platforms: [`linux/${machineArch()}`],
      buildArgs: {},
      noCache: false,
      pull: false,
      ...extra,
    });
  }

  async function inspect(
    ref: string,
  ): Promise<{ Id: string; Labels: Record<string, string> | null; RepoDigests: string[] }> {
    const { stdout } = await podman.podman(['image', 'inspect', ref]);
    return (JSON.parse(stdout) as { Id: string; Labels: Record<string, string> | null; RepoDigests: string[] }[])[0];
  }

  function logOf(id: string): string[] {
    return operations.readLog(id, 0).lines;
  }

  test('builds a bootc image from a Containerfile, streaming the log; the image is listed at once', async () => {
    const dir = await context(
      'bootc',
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nARG GREETING\nRUN echo "built-with-$GREETING by ${adapter.prefix}"\n`,
    );
    const tag = `localhost/${adapter.prefix}-bootc:1`;
    const id = await build(dir, tag, { buildArgs: { GREETING: 'hello' } });
    expect(operations.get(id)?.status).toBe('running');
    const done = await operations.wait(id);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.warnings).toEqual([]);
    expect(done.ended).toBeGreaterThanOrEqual(done.started);
    expect(logOf(id).join('\n')).toContain(`built-with-hello by ${adapter.prefix}`);
    expect(logOf(id).some(line => /STEP \d+\/\d+: RUN/.test(line))).toBe(true);
    // The platform's build args are passed only to a Containerfile that declares them.
    expect(logOf(id).join('\n')).not.toMatch(/build args were not consumed/);
    // Progress was reported while it ran, not only at the end.
    expect(changes.filter(change => change.id === id && change.status === 'running').length).toBeGreaterThan(2);

    const image = await inspect(tag);
    expect(image.Labels?.['containers.bootc']).toBe('1');
    expect(done.imageId).toBe(image.Id);
    const listed = await engine.listImages();
    expect(listed.some(row => row.repoTags.includes(tag))).toBe(true);
  });

  test('a failing RUN step fails the build with that step in the message; no image is left tagged', async () => {
    const dir = await context('fail', `FROM ${BUSYBOX_BASE}\nRUN echo before-the-failure\nRUN false\n`);
    const tag = `localhost/${adapter.prefix}-fail:1`;
    const done = await operations.wait(await build(dir, tag));
    expect(done.status).toBe('failed');
    expect(done.error).toContain('RUN false');
    expect(logOf(done.id).join('\n')).toContain('before-the-failure');
    await expect(podman.podman(['image', 'exists', tag])).rejects.toThrow();
  });

  test('a failed build leaves no buildah working container behind; its base image can be deleted', async () => {
    const base = `localhost/${adapter.prefix}-failbase:1`;
    await createBusyboxBase(podman, base);
    const dir = await context('fail-base', `FROM ${base}\nRUN echo about-to-fail\nRUN false\n`);
    const done = await operations.wait(await build(dir, `localhost/${adapter.prefix}-failbase-child:1`));
    expect(done.status).toBe('failed');
    const { stdout } = await podman.podman(['ps', '-a', '--external', '--format', '{{.Names}}']);
    expect(stdout.split('\n').filter(name => name.includes('working-container'))).toEqual([]);
    await podman.podman(['rmi', base]);
    await expect(podman.podman(['image', 'exists', base])).rejects.toThrow();
  });

  test('a build whose base is not a bootc image succeeds with a warning', async () => {
    const dir = await context('plain', `FROM ${BUSYBOX_BASE}\nRUN echo plain\n`);
    const done = await operations.wait(await build(dir, `localhost/${adapter.prefix}-plain:1`));
    expect(done.status, done.error).toBe('succeeded');
    expect(done.warnings).toEqual([NOT_BOOTC_WARNING]);
  });

  test('bad input is refused before anything starts, naming the field', async () => {
    const before = operations.list().length;
    await expect(build(join(podman.dir, 'no-such-folder'), 'localhost/x:1')).rejects.toThrow(/^contextDir: /);
    const empty = join(podman.dir, `${adapter.prefix}-empty`);
    await mkdir(empty, { recursive: true });
    await expect(build(empty, 'localhost/x:1')).rejects.toThrow(/^containerfile: .*no Containerfile or Dockerfile/);
    await expect(build(empty, 'Not A Tag')).rejects.toThrow(/^tag: /);
    await expect(startPush(deps(), { ref: `${registry.url}/never-built:1` })).rejects.toThrow(/^ref: .*no image/);
    expect(operations.list().length).toBe(before);
  });

  test('cancelling a running build stops it', async () => {
    const dir = await context('slow', `FROM ${BUSYBOX_BASE}\nRUN echo sleeping && sleep 8\n`);
    const id = await build(dir, `localhost/${adapter.prefix}-slow:1`);
    await waitFor(() => logOf(id).some(line => line.includes('sleeping')));
    const asked = Date.now();
    expect(operations.cancel(id)).toBe(true);
    const done = await operations.wait(id);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - asked).toBeLessThan(20_000);
  });

  test('pushes to a registry, which then has the tag and the digest; pulls it back under another name', async () => {
    const repo = `bootc-studio/${adapter.prefix}-app`;
    const ref = `${registry.url}/${repo}:1`;
    await engine.tagImage((await engine.listEngines())[0].id, `localhost/${adapter.prefix}-bootc:1`, ref);
    const built = await inspect(ref);

    const pushed = await operations.wait(await startPush(deps(), { ref, tlsVerify: adapter.tlsVerify }));
    expect(pushed.status, pushed.error).toBe('succeeded');
    expect(pushed.percent).toBe(100);
    if (adapter.pushLayers) expect(pushed.layers.length).toBeGreaterThan(0);
    expect(pushed.warnings.join(' ')).toMatch(/loopback/);
    expect(await registry.tags(repo)).toEqual(['1']);
    const digest = await registry.manifestDigest(repo, '1');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Where the engine reports the pushed digest, it is the registry's.
    if (!adapter.pushLayers) expect(pushed.message).toBe(`Pushed ${ref} (${digest})`);
    expect(pushed.digest).toBe(digest);
    // The log names the tag pushed, never another one.
    const pushLog = logOf(pushed.id).join('\n');
    expect(pushLog).not.toMatch(/^latest: digest:/m);
    expect(pushLog).toContain(`1: digest: ${digest}`);

    // Pull it back: drop the registry name first, so the image must come from the registry.
    await podman.podman(['untag', built.Id, ref]);
    const pulled = await operations.wait(await startPull(deps(), { ref }));
    expect(pulled.status, pulled.error).toBe('succeeded');
    expect(pulled.imageId).toBe(built.Id);
    const image = await inspect(ref);
    expect(image.RepoDigests).toContain(`${registry.url}/${repo}@${digest}`);
    const other = `localhost/${adapter.prefix}-pulled-back:1`;
    await engine.tagImage(pulled.engineId, ref, other);
    expect((await inspect(other)).Id).toBe(built.Id);
  });

  test('an htpasswd registry refuses a push without credentials, or with wrong ones, and accepts the right ones; the password is never recorded', async () => {
    const repo = `bootc-studio/${adapter.prefix}-private`;
    const ref = `${authRegistry.url}/${repo}:1`;
    await engine.tagImage((await engine.listEngines())[0].id, `localhost/${adapter.prefix}-bootc:1`, ref);

    const anonymous = await operations.wait(await startPush(deps(), { ref, tlsVerify: adapter.tlsVerify }));
    expect(anonymous.status).toBe('failed');
    expect(anonymous.error).toMatch(/requires authentication/);

    const wrong = await operations.wait(
      await startPush(deps(), {
        ref,
        tlsVerify: adapter.tlsVerify,
        credentials: { username: 'tester', password: `${PASSWORD}-wrong` },
      }),
    );
    expect(wrong.status).toBe('failed');
    expect(wrong.error).toMatch(/denied access with the credentials given/);

    const start = changes.length;
    const good = await operations.wait(
      await startPush(deps(), {
        ref,
        tlsVerify: adapter.tlsVerify,
        credentials: { username: 'tester', password: PASSWORD },
      }),
    );
    expect(good.status, good.error).toBe('succeeded');
    expect(await authRegistry.tags(repo)).toEqual(['1']);

    // Nothing of any operation holds the password: records, every change event, every log line.
    const everything = JSON.stringify([
      operations.list(),
      changes.slice(start),
      ...operations.list().map(operation => operations.readLog(operation.id, 0).lines),
      wrong,
    ]);
    expect(everything).not.toContain(PASSWORD);
  });

  test('every tag is a row; Delete on a tag untags just it, the last tag takes the image, by id every tag goes', async () => {
    const id = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nLABEL tags=${adapter.prefix}\n` },
      `localhost/${adapter.prefix}-demo:1`,
    );
    const tags = [`localhost/${adapter.prefix}-demo:1`, `localhost/${adapter.prefix}-demo:latest`];
    const pushed = `${registry.url}/${adapter.prefix}-demo:1`;
    await podman.podman(['tag', id, tags[1], pushed]);
    await podman.podman(['push', '--tls-verify=false', pushed]);
    const engineId = (await engine.listEngines())[0].id;
    const rowsOf = async () =>
      (await listBootcImages(engine)).filter(image => image.id.replace(/^sha256:/, '') === id.replace(/^sha256:/, ''));

    const rows = await rowsOf();
    expect(rows.map(row => row.ref).sort()).toEqual([...tags, pushed].sort());
    for (const row of rows) expect(row.tags.sort()).toEqual([...tags, pushed].sort());

    // One tag: only it goes; the image and its two other tags stay.
    const untagged = await deleteImageOrTag(engine, engineId, pushed, rows[0].tags);
    expect(untagged).toMatchObject({ untag: [pushed], removesImage: false });
    expect((await rowsOf()).map(row => row.ref).sort()).toEqual(tags);
    await podman.podman(['image', 'exists', id]);
    await expect(podman.podman(['image', 'exists', pushed])).rejects.toThrow();

    // Tags that changed since they were shown: nothing goes.
    await expect(deleteImageOrTag(engine, engineId, tags[1], [...tags, pushed])).rejects.toThrow(/Nothing was deleted/);
    expect((await rowsOf()).map(row => row.ref).sort()).toEqual(tags);

    await deleteImageOrTag(engine, engineId, tags[1], tags);
    expect((await rowsOf()).map(row => row.ref)).toEqual([tags[0]]);
    await podman.podman(['image', 'exists', id]);

    // The last tag takes the image with it.
    const last = await deleteImageOrTag(engine, engineId, tags[0], [tags[0]]);
    expect(last).toMatchObject({ untag: [tags[0]], removesImage: true });
    expect(await rowsOf()).toEqual([]);
    await expect(podman.podman(['image', 'exists', id])).rejects.toThrow();

    // By id: the answer names every tag that went with the image.
    const again = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nLABEL byid=${adapter.prefix}\n` },
      tags[0],
    );
    await podman.podman(['tag', again, tags[1]]);
    const byId = await deleteImageOrTag(engine, engineId, again);
    expect(byId.removesImage).toBe(true);
    expect(byId.untag.sort()).toEqual(tags);
    await expect(podman.podman(['image', 'exists', again])).rejects.toThrow();
  });

  test('untagImage refuses the only tag of an image and leaves it', async () => {
    const ref = `localhost/${adapter.prefix}-only:1`;
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL only=${adapter.prefix}\n` }, ref);
    const engineId = (await engine.listEngines())[0].id;
    await expect(engine.untagImage(engineId, ref)).rejects.toThrow(/only tag/);
    await podman.podman(['image', 'exists', ref]);
  });

  test('deleting an image a container uses is refused, naming the container; unused it goes', async () => {
    const ref = `localhost/${adapter.prefix}-in-use:1`;
    await podman.podman(['tag', baseId, ref]);
    const { stdout } = await podman.podman(['create', '--name', `${adapter.prefix}-user`, ref, 'true']);
    const image = await inspect(ref);
    const engineId = (await engine.listEngines())[0].id;
    const refused = await engine.deleteImage(engineId, image.Id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ImageInUseError);
    expect((refused as Error).message).toContain(`${adapter.prefix}-user`);
    await podman.podman(['rm', stdout.trim()]);

    const lonely = `localhost/${adapter.prefix}-lonely:1`;
    const dir = await context('lonely', `FROM ${BUSYBOX_BASE}\nLABEL lonely=${adapter.prefix}\n`);
    expect((await operations.wait(await build(dir, lonely))).status).toBe('succeeded');
    await engine.deleteImage(engineId, lonely);
    await expect(podman.podman(['image', 'exists', lonely])).rejects.toThrow();
  });
});

describe('several platforms (podman-socket adapter)', () => {
  test('one image per platform, joined in a manifest list named after the tag, pushed whole; a pull picks a platform', async () => {
    const engine = new PodmanSocketEngine(podman.url);
    const operations = new ImageOperations();
    const dir = join(podman.dir, 'multi');
    await mkdir(dir, { recursive: true });
    // No RUN step: a foreign platform's programs could not run here without qemu-user emulation.
    await writeFile(join(dir, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nLABEL containers.bootc=1\n');
    await writeFile(join(dir, 'hello.txt'), 'hello\n');
    const tag = 'localhost/multi-os:1';
    const done = await operations.wait(
      await startBuild(
        { engine, operations },
        { contextDir: dir, tag, platforms: ['linux/amd64', 'linux/arm64'], buildArgs: {}, noCache: false, pull: false },
      ),
    );
    expect(done.status, done.error).toBe('succeeded');
    expect(done.warnings).toEqual([]);
    const manifest = await engine.inspectManifest(engine.id, tag);
    expect(manifest.members.map(member => member.arch).sort()).toEqual(['amd64', 'arm64']);
    // Each member is an image of its own architecture (not one image listed twice).
    const { stdout: listed } = await podman.podman(['images', '--format', 'json']);
    const images = JSON.parse(listed) as { Id: string; Digest: string }[];
    for (const member of manifest.members) {
      const image = images.find(candidate => candidate.Digest === member.digest);
      expect(image, member.digest).toBeDefined();
      const { stdout } = await podman.podman(['image', 'inspect', '--format', '{{.Architecture}}', image!.Id]);
      expect(stdout.trim()).toBe(member.arch);
    }

    const ref = `${registry.url}/bootc-studio/multi:1`;
    await podman.podman(['tag', tag, ref]);
    const pushed = await operations.wait(await startPush({ engine, operations }, { ref, tlsVerify: false }));
    expect(pushed.status, pushed.error).toBe('succeeded');
    expect(await registry.manifestType('bootc-studio/multi', '1')).toMatch(/index|list/);

    await podman.podman(['manifest', 'rm', ref]).catch(() => podman.podman(['untag', ref]));
    const pulled = await operations.wait(await startPull({ engine, operations }, { ref, platform: 'linux/arm64' }));
    expect(pulled.status, pulled.error).toBe('succeeded');
    const { stdout } = await podman.podman(['image', 'inspect', '--format', '{{.Architecture}}', ref]);
    expect(stdout.trim()).toBe('arm64');
  });
});

async function waitFor(probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
