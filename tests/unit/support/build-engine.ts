/**
 * A rootful engine that can build disk images (it says where it stores its images), with a bootc
 * image and a builder image in it, and the build-service options the specs run with: short
 * heartbeats and drains, the config's temp dirs in the test's folder, room enough, no warnings.
 */

import { join } from 'node:path';

import type { DiskBuildServiceOptions } from '../../../src/builds/disk-build-service';
import type { EngineInfo } from '../../../src/engine/container-engine';
import { ENGINE, FakeEngine } from './fake-engine';

export const BUILD_IMAGE = 'quay.io/example/os:1';
export const BUILDER_IMAGE = 'localhost/builder:1';
export const GRAPH_ROOT = '/srv/containers/storage';

export class BuildEngine extends FakeEngine {
  info: EngineInfo = { ...ENGINE, graphRoot: GRAPH_ROOT, rootful: true };

  constructor() {
    super();
    this.images.set(BUILD_IMAGE, { arch: 'amd64', labels: { 'containers.bootc': '1' }, size: 1000 });
    this.images.set(BUILDER_IMAGE, { arch: 'amd64' });
  }

  override async listEngines() {
    return [this.info];
  }
}

/** The service's options over `engine`, its store and temp dirs in `dir` (which has a `tmp/`). */
export function buildServiceOptions(engine: FakeEngine, dir: string): DiskBuildServiceOptions {
  return {
    engine,
    storeDir: join(dir, 'store'),
    configParentDir: join(dir, 'tmp'),
    heartbeatMs: 50,
    progressWriteMs: 10,
    logDrainMs: 50,
    freeBytes: async () => 1e12,
    warn: () => undefined,
  };
}
