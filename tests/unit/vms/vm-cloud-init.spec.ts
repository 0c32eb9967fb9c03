/**
 * Whether a VM gets a cloud-init seed: the look into its image (a throw-away container without
 * network, removed whatever happens; a program the runtime cannot find means no cloud-init), and
 * the decision — a disk given by path defaults to no seed, a look that could not be made is not
 * kept, a cancelled start is not turned into a decision.
 */

import { describe, expect, test } from 'vitest';

import type { VmSource } from '../../../src/api/vms';
import { EngineError } from '../../../src/engine/container-engine';
import type { ContainerSpec } from '../../../src/engine/container-runtime';
import {
  CLOUD_INIT_PROGRAM,
  chosenCloudInit,
  decideCloudInit,
  imageHasCloudInit,
} from '../../../src/vms/vm-cloud-init';
import { FakeContainers } from '../support/fake-containers';

/** A runtime whose images have cloud-init or not, as the engines report a missing program. */
function runtime(image: 'with' | 'without-start-error' | 'without-exit-127' | 'broken'): FakeContainers {
  const containers = new FakeContainers();
  const start = containers.startContainer.bind(containers);
  containers.startContainer = async (engineId, id) => {
    if (image === 'without-start-error') {
      containers.calls.push({ method: 'startContainer', args: [engineId, id] });
      throw new EngineError(
        `runc create failed: unable to start container process: exec: "${CLOUD_INIT_PROGRAM}": stat ${CLOUD_INIT_PROGRAM}: no such file or directory`,
      );
    }
    if (image === 'broken') throw new EngineError('image not known', 404);
    await start(engineId, id);
  };
  containers.onStart = container => container.exit(image === 'with' ? 0 : 127);
  return containers;
}

describe('imageHasCloudInit', () => {
  test('runs the image’s own cloud-init in a container with no network, then removes it', async () => {
    const containers = runtime('with');
    expect(await imageHasCloudInit(containers, 'podman', 'sha256:abc')).toBe(true);
    const spec = containers.calls.find(call => call.method === 'createContainer')?.args[1] as ContainerSpec;
    expect(spec).toMatchObject({
      image: 'sha256:abc',
      cmd: [CLOUD_INIT_PROGRAM, '--version'],
      network: 'none',
      privileged: false,
      binds: [],
    });
    expect(containers.calls.map(call => call.method)).toContain('removeContainer');
    expect(containers.containers.size).toBe(0);
  });

  test('a program the runtime cannot start, or one it reports as not found (127): no cloud-init', async () => {
    for (const kind of ['without-start-error', 'without-exit-127'] as const) {
      const containers = runtime(kind);
      expect(await imageHasCloudInit(containers, 'podman', 'quay.io/x/y:1')).toBe(false);
      expect(containers.containers.size).toBe(0);
    }
  });

  test('any other engine failure is an error (not an answer), and the container still goes', async () => {
    const containers = runtime('broken');
    await expect(imageHasCloudInit(containers, 'podman', 'gone')).rejects.toThrow('image not known');
    expect(containers.containers.size).toBe(0);
  });
});

const build: VmSource = { kind: 'build', buildId: 'b1', diskPath: '/out/qcow2/disk.qcow2', imageRef: 'quay.io/x/os:1' };

describe('decideCloudInit', () => {
  test('a disk given by path: no seed unless chosen, and that is kept', async () => {
    let asked = false;
    const result = await decideCloudInit({ kind: 'disk', diskPath: '/d.raw' }, async () => (asked = true));
    expect(result).toMatchObject({ decision: { seed: false, decidedBy: 'default' }, keep: true });
    expect(result.decision.reason).toMatch(/--cloud-init/);
    expect(asked).toBe(false);
  });

  test('a build’s image with cloud-init gets the seed; one without does not; both are kept', async () => {
    const seen: VmSource[] = [];
    const yes = await decideCloudInit(build, async source => (seen.push(source), true));
    expect(yes).toEqual({
      decision: { seed: true, decidedBy: 'image', reason: 'the image quay.io/x/os:1 has cloud-init' },
      keep: true,
    });
    expect(seen).toEqual([build]);
    const no = await decideCloudInit(build, async () => false);
    expect(no).toMatchObject({ decision: { seed: false, decidedBy: 'image' }, keep: true });
  });

  test('a look that cannot be made (the engine away, or no way to look): no seed this time, not kept', async () => {
    const failed = await decideCloudInit(build, async () => {
      throw new Error('connect ENOENT /run/podman/podman.sock');
    });
    expect(failed).toMatchObject({ decision: { seed: false, decidedBy: 'default' }, keep: false });
    expect(failed.decision.reason).toContain('connect ENOENT');
    expect(await decideCloudInit(build, undefined)).toMatchObject({ keep: false });
  });

  test('a cancelled start stays cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const decided = decideCloudInit(
      build,
      async () => {
        throw new Error('cancelled');
      },
      controller.signal,
    );
    await expect(decided).rejects.toThrow('cancelled');
  });

  test('a choice at launch is the user’s, either way', () => {
    expect(chosenCloudInit(true)).toMatchObject({ seed: true, decidedBy: 'user' });
    expect(chosenCloudInit(false)).toMatchObject({ seed: false, decidedBy: 'user' });
  });
});
