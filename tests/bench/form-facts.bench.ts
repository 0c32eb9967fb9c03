/**
 * What the Dashboard and the disk build form wait for on each visit, through the built extension's
 * bridge as standalone mode runs it (Podman Desktop's API stand-in over a real podman): the engine
 * list, the chosen image's architectures, and the preview. Each visit after the first should be
 * answered from what is already known (refreshed in the background), not a fresh round trip.
 */
import { afterAll, bench, describe } from 'vitest';

import { BUSYBOX_BASE, buildImage, createBusyboxBase } from '../integration/support/images';
import { startExtension } from '../integration/support/extension-driver';
import { startPodmanService } from '../integration/support/podman-service';

const IMAGE = 'localhost/bench-bootc:1';

// Benchmarks run their functions outside the describe hooks, so the service starts at import.
const podman = await startPodmanService();
await createBusyboxBase(podman);
await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, IMAGE);
const extension = await startExtension(podman);
const [engine] = await extension.call<{ id: string }[]>('listEngines');
const request = {
  image: IMAGE,
  engineId: engine.id,
  outputDir: podman.dir,
  types: ['qcow2'],
  arch: 'amd64',
  builder: { image: 'quay.io/centos-bootc/bootc-image-builder:latest' },
  config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
};

afterAll(async () => {
  extension.stop();
  await podman.stop();
});

const visits = { iterations: 10, warmupIterations: 1 };

describe('a visit to the Dashboard and the disk build form', () => {
  // The bridge's own cost, for comparison: a call that asks no engine.
  bench('baseline: getBuildDefaults', async () => void (await extension.call('getBuildDefaults')), visits);
  bench('Dashboard: listEngines', async () => void (await extension.call('listEngines')), visits);
  bench(
    'form: describeImageForBuild (architectures)',
    async () => void (await extension.call('describeImageForBuild', engine.id, IMAGE)),
    visits,
  );
  bench('form: previewDiskBuild', async () => void (await extension.call('previewDiskBuild', request)), visits);
});
