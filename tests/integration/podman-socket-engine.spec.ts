/**
 * Contract test of the podman-socket adapter against a real podman service started by the test:
 * what the port promises (container-engine.ts), checked on images the test makes itself.
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { EngineError } from '../../src/engine/container-engine';
import type { EngineImage } from '../../src/engine/container-engine';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { checkEndpoint } from '../../src/engine/socket/podman-socket-connection';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { BUSYBOX_BASE, buildImage, createBusyboxBase, createManifestList, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';

const BOOTC = 'localhost/test-bootc:1';
const OSTREE = 'localhost/test-ostree:1';
const MULTI = 'localhost/multi:1';

describe('PodmanSocketEngine on a real podman', () => {
  let podman: PodmanService;
  let engine: PodmanSocketEngine;
  let startedAt: number;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    startedAt = Date.now();
    podman = await startPodmanService();
    ids[BUSYBOX_BASE] = await createBusyboxBase(podman);
    ids[BOOTC] = await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, BOOTC);
    ids[OSTREE] = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL ostree.bootable=true\nRUN echo hello > /etc/motd\n` },
      OSTREE,
    );
    ids[MULTI] = await createManifestList(podman, MULTI, [BOOTC]);
    engine = new PodmanSocketEngine(podman.url);
  });

  afterAll(async () => {
    await podman?.stop();
  });

  function byTag(images: EngineImage[], ref: string): EngineImage {
    const found = images.find(image => image.repoTags.includes(ref));
    expect(found, `${ref} in ${JSON.stringify(images.map(image => image.repoTags))}`).toBeDefined();
    return found as EngineImage;
  }

  test('the engine id is stable: the store and mode once the service answered, the socket until then', async () => {
    const fresh = new PodmanSocketEngine(podman.url);
    expect(fresh.id).toBe(`podman:${podman.socketPath}`);
    const [info] = await fresh.listEngines();
    expect(fresh.id).toBe(info.id);
    expect(info.id).toMatch(new RegExp(`^podman:(rootful|rootless)@[^:]*:${podman.root}$`));
    expect(info.aliases).toEqual([`podman:${podman.socketPath}`]);
    expect((await new PodmanSocketEngine(podman.url).listEngines())[0].id).toBe(info.id);
  });

  test('checkEndpoint finds podman at the socket', async () => {
    const check = await checkEndpoint(unixEndpoint(podman.socketPath));
    expect(check.apiVersion).toMatch(/^\d+\.\d+/);
  });

  test('listEngines describes the service: graph root, version, rootful', async () => {
    const engines = await engine.listEngines();
    expect(engines).toHaveLength(1);
    const [info] = engines;
    expect(info.id).toBe(engine.id);
    expect(info.type).toBe('podman');
    expect(info.graphRoot).toBe(podman.root);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    const { stdout } = await podman.podman(['version', '--format', '{{.Client.Version}}']);
    expect(info.version).toBe(stdout.trim());
    expect(info.os).toBe('linux');
    expect(info.arch).toBe(machineArch());
    const root = process.getuid?.() === 0;
    expect(info.rootful).toBe(root);
    expect(info.name).toBe(root ? 'podman (rootful)' : 'podman (rootless)');
  });

  test('listImages lists every image with ids, tags, labels, sizes and creation times', async () => {
    const images = await engine.listImages();
    expect(images).toHaveLength(4);
    const now = Date.now();
    for (const image of images) {
      expect(image.engineId).toBe(engine.id);
      expect(image.engineName).toBe(engine.name);
      expect(image.size).toBeGreaterThan(0);
      // seconds → milliseconds: created during this test file, give or take clock granularity
      expect(image.created).toBeGreaterThanOrEqual(startedAt - 2000);
      expect(image.created).toBeLessThanOrEqual(now + 1000);
      expect(image.repoDigests.every(ref => ref.includes('@sha256:'))).toBe(true);
      expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }

    const base = byTag(images, BUSYBOX_BASE);
    expect(base.id).toBe(ids[BUSYBOX_BASE].replace(/^sha256:/, ''));
    expect(base.labels).toEqual({}); // podman says null
    expect(base.size).toBeGreaterThan(500_000);

    const bootc = byTag(images, BOOTC);
    expect(bootc.id).toBe(ids[BOOTC]);
    expect(bootc.repoTags).toEqual([BOOTC]);
    expect(bootc.labels['containers.bootc']).toBe('1');

    const ostree = byTag(images, OSTREE);
    expect(ostree.id).toBe(ids[OSTREE]);
    expect(ostree.labels['ostree.bootable']).toBe('true');

    const list = byTag(images, MULTI);
    expect(list.labels).toEqual({});
    expect(list.size).toBeLessThan(64 * 1024);

    // podman 4 does not say which images are manifest lists; the adapter must not guess.
    const { stdout } = await podman.podman(['version', '--format', '{{.Client.Version}}']);
    if (stdout.startsWith('4.')) {
      expect(images.every(image => image.isManifestList === undefined)).toBe(true);
    } else {
      expect(list.isManifestList).toBe(true);
      expect(bootc.isManifestList).toBe(false);
    }
  });

  test('listImages has no <none> placeholders for an untagged image', async () => {
    const id = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL untagged=yes\n` },
      'localhost/tmp:1',
    );
    await podman.podman(['untag', 'localhost/tmp:1']);
    try {
      const untagged = (await engine.listImages()).find(image => image.id === id);
      expect(untagged).toBeDefined();
      expect(untagged?.repoTags).toEqual([]);
      expect(untagged?.repoDigests.some(ref => ref.startsWith('<none>'))).toBe(false);
    } finally {
      await podman.podman(['rmi', id]);
    }
  });

  test('inspectImage gives architecture, os, digest and labels', async () => {
    const details = await engine.inspectImage(engine.id, BOOTC);
    expect(details.id).toBe(ids[BOOTC]);
    expect(details.engineId).toBe(engine.id);
    expect(details.arch).toBe(machineArch());
    expect(details.os).toBe('linux');
    expect(details.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(details.repoTags).toEqual([BOOTC]);
    expect(details.labels['containers.bootc']).toBe('1');
    expect(details.size).toBeGreaterThan(0);
    // ISO string → milliseconds
    expect(details.created).toBeGreaterThanOrEqual(startedAt - 2000);
    expect(details.created).toBeLessThanOrEqual(Date.now() + 1000);

    const listed = byTag(await engine.listImages(), BOOTC);
    expect(details.digest).toBe(listed.digest);
    expect(details.created).toBeGreaterThanOrEqual(listed.created);
    expect(details.created - listed.created).toBeLessThan(1000);
  });

  test('inspectImage takes an id as well as a reference', async () => {
    const details = await engine.inspectImage(engine.id, ids[OSTREE]);
    expect(details.repoTags).toEqual([OSTREE]);
    expect(details.labels['ostree.bootable']).toBe('true');
  });

  test('inspectManifest lists the members with their platform', async () => {
    const bootcDigest = (await engine.inspectImage(engine.id, BOOTC)).digest;
    for (const idOrRef of [MULTI, ids[MULTI]]) {
      const manifest = await engine.inspectManifest(engine.id, idOrRef);
      expect(manifest.engineId).toBe(engine.id);
      expect(manifest.members).toEqual([{ digest: bootcDigest, arch: machineArch(), os: 'linux' }]);
    }
  });

  test('an unknown image is an EngineError naming the reference', async () => {
    const error = await engine.inspectImage(engine.id, 'localhost/does-not-exist:1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toBe(`Image localhost/does-not-exist:1 not found on ${engine.name}`);
    expect((error as EngineError).statusCode).toBe(404);
  });

  test('inspectManifest of an unknown image or a plain image is an EngineError, without asking a registry', async () => {
    const unknown = await engine.inspectManifest(engine.id, 'localhost/does-not-exist:1').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(EngineError);
    expect((unknown as EngineError).message).toContain('localhost/does-not-exist:1');
    expect((unknown as EngineError).statusCode).toBe(404);

    const plain = await engine.inspectManifest(engine.id, BOOTC).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(EngineError);
    expect((plain as EngineError).message).toBe(`${BOOTC} is not a manifest list on ${engine.name}`);
    expect((plain as EngineError).message).not.toMatch(/registry|connection refused/);
  });

  test('an engine id from elsewhere is refused; an old socket-path id (a record of an earlier session) is this podman', async () => {
    await expect(engine.inspectImage('podman:rootful@box:/elsewhere/storage', BOOTC)).rejects.toThrow(EngineError);
    await expect(engine.inspectImage('podman:ssh://core@vm:22/run/podman/podman.sock', BOOTC)).rejects.toThrow(
      EngineError,
    );
    expect((await engine.inspectImage('podman:/elsewhere.sock', BOOTC)).repoTags).toContain(BOOTC);
  });

  test('references are URL-encoded in paths', async () => {
    // `?` and `#` would otherwise end the path; podman must see the whole reference.
    const error = await engine.inspectImage(engine.id, 'localhost/x:1?all=true#y').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).statusCode).toBe(404);
  });

  test('a socket nobody listens on is an EngineError that says how to start podman', async () => {
    const dead = new PodmanSocketEngine(`unix://${podman.dir}/nobody.sock`);
    const error = await dead.listEngines().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toContain(`No podman service at unix://${podman.dir}/nobody.sock`);
    expect((error as EngineError).message).toContain('podman system service --time=0');
    await expect(dead.listImages()).rejects.toThrow(EngineError);
    await expect(checkEndpoint(dead.endpoint, { timeoutMs: 1000 })).rejects.toThrow(/the socket does not exist/);
  });
});
