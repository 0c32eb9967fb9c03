/**
 * Whether a VM gets a cloud-init NoCloud seed: chosen at launch, else — for a VM of a build whose
 * image the engine knows — found in the image itself before its first start (a throw-away
 * container of the image, with no network, runs `/usr/bin/cloud-init --version`: the image's own
 * files answer, nothing is unpacked here). The decision is kept in the VM's record, so later starts
 * neither look again nor change their mind; a look that could not be made is not kept.
 */

import { randomBytes } from 'node:crypto';

import type { VmCloudInit, VmSource } from '../api/vms';
import type { BuildStore } from '../builds/build-store';
import type { ContainerEngine } from '../engine/container-engine';
import type { ContainerRuntime } from '../engine/container-runtime';

export const CLOUD_INIT_PROGRAM = '/usr/bin/cloud-init';

/** How long the look into an image may take (pulling nothing: the image is local). */
const PROBE_MS = 60_000;

/** The engine's words for a command the image does not have. */
const NOT_FOUND = /executable file .*not found|no such file or directory|not found in \$PATH|command not found/i;

/** Whether `image` carries cloud-init: its program run in a throw-away container without network. */
export async function imageHasCloudInit(
  engine: ContainerRuntime,
  engineId: string,
  image: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const id = await engine.createContainer(engineId, {
    name: `bootc-studio-cloud-init-${randomBytes(4).toString('hex')}`,
    image,
    cmd: [CLOUD_INIT_PROGRAM, '--version'],
    binds: [],
    volumes: [],
    privileged: false,
    securityOpt: [],
    labels: { 'io.bootc-studio.probe': 'cloud-init' },
    network: 'none',
  });
  try {
    try {
      await engine.startContainer(engineId, id);
    } catch (error: unknown) {
      if (NOT_FOUND.test((error as Error).message)) return false;
      throw error;
    }
    const bound = AbortSignal.any([AbortSignal.timeout(PROBE_MS), ...(signal ? [signal] : [])]);
    const code = await engine.waitContainer(engineId, id, bound);
    // 126/127: the runtime started the container but found no program to run (some engines
    // report it so rather than as a start error). Any other end means the program is there.
    return code !== 127 && code !== 126;
  } finally {
    await engine.removeContainer(engineId, id).catch(() => undefined);
  }
}

/** Looks into a build's image: whether it carries cloud-init (throws when the look cannot be made). */
export type CloudInitProbe = (source: Extract<VmSource, { kind: 'build' }>, signal?: AbortSignal) => Promise<boolean>;

/** The probe over the engine the build ran on (its record names it), by the image's ID when known. */
export function cloudInitProbe(engine: () => Promise<ContainerEngine>, builds: BuildStore): CloudInitProbe {
  return async (source, signal) => {
    const image = source.imageId ?? source.imageRef;
    if (!image) throw new Error('the build names no image');
    const record = await builds.read(source.buildId);
    return imageHasCloudInit(await engine(), record.engineId, image, signal);
  };
}

/** The decision for a launch request's explicit choice. */
export function chosenCloudInit(seed: boolean): VmCloudInit {
  return {
    seed,
    decidedBy: 'user',
    reason: seed ? 'cloud-init chosen at launch' : 'cloud-init turned off at launch',
  };
}

/**
 * The decision for a VM that has none yet: looked for in its image when one is known. `keep` is
 * false when the look could not be made (the engine away): the next start looks again.
 */
export async function decideCloudInit(
  source: VmSource,
  probe: CloudInitProbe | undefined,
  signal?: AbortSignal,
): Promise<{ decision: VmCloudInit; keep: boolean }> {
  const image = source.kind === 'build' ? (source.imageRef ?? source.imageId) : undefined;
  if (source.kind !== 'build' || !image) {
    return {
      decision: {
        seed: false,
        decidedBy: 'default',
        reason: 'no image is known for this disk to look for cloud-init in: choose it at launch (--cloud-init)',
      },
      keep: true,
    };
  }
  if (!probe) {
    return {
      decision: { seed: false, decidedBy: 'default', reason: `the image ${image} could not be looked into here` },
      keep: false,
    };
  }
  try {
    const found = await probe(source, signal);
    return {
      decision: {
        seed: found,
        decidedBy: 'image',
        reason: found ? `the image ${image} has cloud-init` : `the image ${image} has no cloud-init`,
      },
      keep: true,
    };
  } catch (error: unknown) {
    if (signal?.aborted) throw error;
    return {
      decision: {
        seed: false,
        decidedBy: 'default',
        reason: `the image ${image} could not be looked into for cloud-init (${(error as Error).message})`,
      },
      keep: false,
    };
  }
}
