/**
 * The disk `vm run IMAGE` boots: a qcow2 of the image built once per image ID and settings (the
 * architecture, the builder, the root filesystem) into a folder of the store named after them, and
 * found again the next time — a changed image (a new ID) gets a new disk. The VM's SSH key is
 * given at boot, so the disk carries no user, key or password. These are ordinary disk builds:
 * `disk ls` lists them and `disk rm` prunes them.
 */

import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { builderImageOf, type BuilderChoice, type DiskBuildRequest, emptyBuildConfig } from '../api/disk-build';
import { defaultRootfsFor } from '../api/disk-build-architectures';
import { canLaunchVm, type VmArchitecture } from '../api/vms';
import type { DiskBuildService } from '../builds/disk-build-service';
import { type ContainerEngine, isNotOnEngine } from '../engine/container-engine';
import { vmBaseName } from './vm-build-disk';

export interface ImageDiskRequest {
  image: string;
  /** Default: the first running engine. */
  engineId?: string;
  builder: BuilderChoice;
}

export interface ImageDisk {
  /** The build that made (or is making) the disk. */
  buildId: string;
  /** An earlier build of the same image ID and settings: nothing to build. */
  reused: boolean;
  imageId: string;
  architecture: VmArchitecture;
}

/** Where disks for `vm run IMAGE` are built: `<store>/vm-disks/<name>-<hash of ID and settings>`. */
export function imageDiskDir(storeDir: string, image: string, key: string): string {
  return join(
    storeDir,
    'vm-disks',
    `${vmBaseName(image)}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`,
  );
}

/** The disk of `request.image` for a VM: an earlier build of it when there is one, else a build started now. */
export async function findOrBuildImageDisk(
  deps: { engine: ContainerEngine; builds: DiskBuildService; storeDir: string },
  request: ImageDiskRequest,
): Promise<ImageDisk> {
  const engines = await deps.engine.listEngines();
  const engine = request.engineId ? engines.find(candidate => candidate.id === request.engineId) : engines[0];
  if (!engine)
    throw Object.assign(new Error('no container engine is running: start podman first'), { field: 'engineId' });
  if (engine.remote) {
    throw Object.assign(new Error(`${engine.name} runs on another machine: its disks would be there, not here`), {
      field: 'engineId',
    });
  }
  const details = await deps.engine.inspectImage(engine.id, request.image).catch((error: unknown) => {
    if (!isNotOnEngine(error)) throw error;
    throw Object.assign(
      new Error(
        `${request.image} is not on ${engine.name}: pull or build it first (${error instanceof Error ? error.message : String(error)})`,
      ),
      { field: 'image' },
    );
  });
  if (details.arch !== 'amd64' && details.arch !== 'arm64') {
    throw Object.assign(new Error(`${request.image} is for ${details.arch}; a VM boots amd64 or arm64 images`), {
      field: 'image',
    });
  }
  const architecture: VmArchitecture = details.arch;
  const rootfs = defaultRootfsFor(details.labels);
  const settings = {
    imageId: details.id,
    architecture,
    builder: builderImageOf(request.builder),
    rootfs: rootfs.offerDefault ? undefined : rootfs.preselected,
  };
  const outputDir = imageDiskDir(deps.storeDir, request.image, JSON.stringify(settings));
  const { records } = await deps.builds.listWithProblems();
  const earlier = records.find(
    record => record.request.outputDir === outputDir && record.engineId === engine.id && canLaunchVm(record),
  );
  if (earlier) return { buildId: earlier.id, reused: true, imageId: details.id, architecture };

  const build: DiskBuildRequest = {
    image: request.image,
    engineId: engine.id,
    outputDir,
    types: ['qcow2'],
    arch: architecture,
    ...(settings.rootfs ? { rootfs: settings.rootfs } : {}),
    builder: request.builder,
    config: emptyBuildConfig(),
  };
  // A folder left by a failed or cancelled try of the same settings is this disk's own to overwrite.
  const buildId = await deps.builds.start(build, { createOutputDir: true, overwrite: true });
  return { buildId, reused: false, imageId: details.id, architecture };
}
