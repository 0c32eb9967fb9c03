/**
 * Bootc image discovery (src/images/bootc-images.ts) over the podman-socket adapter and a real
 * podman 4, which lists manifest lists without saying so.
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { listBootcImages } from '../../src/images/bootc-images';
import { BUSYBOX_BASE, buildImage, createBusyboxBase, createManifestList, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';

describe('listBootcImages on a real podman', () => {
  let podman: PodmanService;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    ids.bootc = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` },
      'localhost/test-bootc:1',
    );
    ids.ostree = await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL ostree.bootable=true\n` },
      'quay.io/example/ostree-os:42',
    );
    // Neither bootc-labelled nor a manifest list: must not be listed.
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL purpose=app\n` }, 'localhost/app:1');
    ids.multi = await createManifestList(podman, 'localhost/multi:1', ['localhost/test-bootc:1']);
    // A manifest list of non-bootc images only: not a bootc image either.
    await createManifestList(podman, 'localhost/plain-list:1', ['localhost/app:1']);
  });

  afterAll(async () => {
    await podman?.stop();
  });

  test('finds the bootc-labelled images and the manifest list of one, and nothing else', async () => {
    const engine = new PodmanSocketEngine(podman.url);
    const images = await listBootcImages(engine);

    expect(images.map(image => image.ref).sort()).toEqual([
      'localhost/multi:1',
      'localhost/test-bootc:1',
      'quay.io/example/ostree-os:42',
    ]);

    const bootc = images.find(image => image.ref === 'localhost/test-bootc:1');
    expect(bootc).toMatchObject({
      id: ids.bootc,
      engineId: engine.id,
      engineName: engine.name,
      name: 'localhost/test-bootc',
      tag: '1',
      architectures: [machineArch()],
      isManifestList: false,
    });
    expect(bootc?.labels['containers.bootc']).toBe('1');

    const ostree = images.find(image => image.ref === 'quay.io/example/ostree-os:42');
    expect(ostree).toMatchObject({
      id: ids.ostree,
      name: 'quay.io/example/ostree-os',
      tag: '42',
      architectures: [machineArch()],
      isManifestList: false,
    });

    const multi = images.find(image => image.ref === 'localhost/multi:1');
    expect(multi).toMatchObject({
      id: ids.multi,
      name: 'localhost/multi',
      tag: '1',
      architectures: [machineArch()],
      isManifestList: true,
    });
    expect(multi?.size).toBe(bootc?.size);
    expect(multi?.labels['containers.bootc']).toBe('1');

    expect(images.some(image => image.ref === BUSYBOX_BASE || image.ref === 'localhost/app:1')).toBe(false);
  });
});
