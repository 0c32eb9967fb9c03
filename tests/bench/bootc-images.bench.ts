/**
 * Listing bootc images (what the Images page and `bootc-studio images` wait for) on a real podman
 * with 12 images, 6 of them bootc-labelled and one manifest list: one list call, one inspect per
 * bootc image for its architecture, one manifest inspect per candidate list.
 */
import { afterAll, bench, describe } from 'vitest';

import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { listBootcImages } from '../../src/images/bootc-images';
import { BUSYBOX_BASE, buildImage, createBusyboxBase, createManifestList } from '../integration/support/images';
import { startPodmanService } from '../integration/support/podman-service';

// Benchmarks run their functions outside the describe hooks, so the service starts at import.
const podman = await startPodmanService();
await createBusyboxBase(podman);
for (let i = 0; i < 6; i++) {
  await buildImage(
    podman,
    { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1 n=${i}\n` },
    `localhost/os-${i}:1`,
  );
  await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL role=app n=${i}\n` }, `localhost/app-${i}:1`);
}
await createManifestList(podman, 'localhost/os-multi:1', ['localhost/os-0:1']);
const engine = new PodmanSocketEngine(podman.url);

afterAll(async () => {
  await podman.stop();
});

describe('bootc image discovery on podman', () => {
  bench(
    'listBootcImages over the podman socket (12 images, 7 bootc)',
    async () => {
      const images = await listBootcImages(engine);
      if (images.length !== 7) throw new Error(`expected 7 bootc images, got ${images.length}`);
    },
    { iterations: 30, warmupIterations: 3 },
  );
});
