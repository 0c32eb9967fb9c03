/**
 * The Dashboard's engine list and the disk build form's image facts come from what the extension
 * already knows (issue 8, item 8): through the built extension, as standalone mode runs it on a
 * real podman, a second visit does not ask podman again; a change of the image store marks the
 * facts stale, and the next visit's answer is refreshed behind it.
 */

import { afterAll, beforeAll, expect, test } from 'vitest';

import type { ExtensionDriver } from './support/extension-driver';
import { startExtension, waitFor } from './support/extension-driver';
import { BUSYBOX_BASE, buildImage, createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';

const IMAGE = 'localhost/facts-bootc:1';

let podman: PodmanService;
let extension: ExtensionDriver;
const asked = { listInfos: 0, getImageInspect: 0 };

beforeAll(async () => {
  podman = await startPodmanService();
  await createBusyboxBase(podman);
  await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, IMAGE);
  extension = await startExtension(podman);
  // Count what the extension asks of Podman Desktop's API (the stand-in over the real podman).
  for (const method of ['listInfos', 'getImageInspect'] as const) {
    const engine = extension.engine as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = engine[method].bind(engine);
    engine[method] = (...args: unknown[]) => {
      asked[method]++;
      return original(...args);
    };
  }
});

afterAll(async () => {
  extension?.stop();
  await podman?.stop();
});

test('the engine list: the second visit is answered without asking podman', async () => {
  const first = await extension.call<{ id: string }[]>('listEngines');
  expect(first).toHaveLength(1);
  const before = asked.listInfos;
  expect(before).toBeGreaterThan(0);
  expect(await extension.call('listEngines')).toEqual(first);
  expect(asked.listInfos).toBe(before);
});

test("an image's facts: answered from memory, refreshed behind the answer once the store changed", async () => {
  const [engine] = await extension.call<{ id: string }[]>('listEngines');
  const facts = await extension.call<{ architectures: string[] }>('describeImageForBuild', engine.id, IMAGE);
  expect(facts.architectures.length).toBe(1);
  const before = asked.getImageInspect;
  expect(await extension.call('describeImageForBuild', engine.id, IMAGE)).toEqual(facts);
  expect(asked.getImageInspect).toBe(before);

  // The store changes (an image event): the next visit still answers at once, and podman is asked behind it.
  const imagesChanged = () =>
    extension.posted.filter(message => message.kind === 'rpc-push' && message.channel === 'images-changed').length;
  const pushes = imagesChanged();
  await podman.podman(['tag', IMAGE, 'localhost/facts-bootc:2']);
  await waitFor(() => imagesChanged() > pushes, 20_000);
  expect(await extension.call('describeImageForBuild', engine.id, IMAGE)).toEqual(facts);
  await waitFor(() => asked.getImageInspect > before, 10_000);
});
