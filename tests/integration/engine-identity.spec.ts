/**
 * Records outlive the engine's socket (issue 8, item 3), on a real podman: the same store served
 * by a service on another socket path is the same engine; a build recorded with the id of a
 * service that is gone (standalone mode's private service of an earlier run) reads back on the
 * engine that runs now and rebuilds there; the image it names is listed once, under that id.
 */

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { DiskBuildService } from '../../src/builds/disk-build-service';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { PodmanSocketEngine, stableEngine, stableEngineId } from '../../src/engine/socket/podman-socket';
import { listBootcImages } from '../../src/images/bootc-images';
import { createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { ping, startPodmanService } from './support/podman-service';
import { terminate } from './support/run-process';
import { createBootcTestImage, createStandInBuilder, STAND_IN_BUILDER } from './support/stand-in-builder';

const IMAGE = 'localhost/identity-bootc:1';

/** A second service on the same store, on a socket path of its own; resolves once it answers. */
async function serviceOnAnotherSocket(podman: PodmanService, socketPath: string) {
  const child = spawn('podman', [...podman.globalArgs, 'system', 'service', '--time=0', `unix://${socketPath}`], {
    env: podman.env,
    stdio: 'ignore',
  });
  const deadline = Date.now() + 20_000;
  while (!(await ping(socketPath))) {
    if (Date.now() > deadline) throw new Error(`no second podman service on ${socketPath}`);
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return { stop: () => terminate(child, 10_000) };
}

describe('engine identity across restarts of the podman service', () => {
  let podman: PodmanService;
  let work: string;
  let oldSocket: string;

  beforeAll(async () => {
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    work = await mkdtemp(join(podman.dir, 'identity-'));
    oldSocket = join(work, 'earlier-run', 'podman.sock');
    await mkdir(join(work, 'earlier-run'));
  });

  afterAll(async () => {
    await podman?.stop();
  });

  test('the same store on another socket is the same engine, named without either socket', async () => {
    const other = await serviceOnAnotherSocket(podman, oldSocket);
    try {
      const [first] = await new PodmanSocketEngine(podman.url).listEngines();
      const [second] = await new PodmanSocketEngine(`unix://${oldSocket}`).listEngines();
      expect(second.id).toBe(first.id);
      expect(first.id).toContain(podman.root);
      expect(first.id).not.toContain('.sock');
      // Standalone mode names its engine the same way, and shows no session socket in its name.
      expect(await stableEngineId(unixEndpoint(oldSocket), podman.env)).toBe(first.id);
      const named = await stableEngine(unixEndpoint(oldSocket), podman.env);
      expect(named).toEqual({ id: first.id, name: first.name });
      expect(named.name).toMatch(/^podman \((rootful|rootless)\)$/);
    } finally {
      await other.stop();
    }
    expect(await ping(oldSocket, 500)).toBe(false);
  });

  test('a build recorded with the socket of a service that is gone rebuilds on the engine that runs now; its image is listed once', async () => {
    const engine = new PodmanSocketEngine(podman.url);
    const builds = new DiskBuildService({
      engine,
      storeDir: join(work, 'store'),
      configParentDir: work,
      heartbeatMs: 500,
      progressWriteMs: 100,
      logDrainMs: 1000,
      stopTimeoutSeconds: 2,
      warn: () => undefined,
    });
    try {
      const out = join(work, 'out');
      await mkdir(out);
      const oldId = `podman:${oldSocket}`; // what a build of an earlier standalone run recorded
      const old: DiskBuildRecord = {
        id: '0123456789ab',
        request: {
          image: IMAGE,
          outputDir: out,
          types: ['qcow2'],
          arch: 'amd64',
          engineId: oldId,
          builder: { image: STAND_IN_BUILDER },
          config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
        },
        status: 'succeeded',
        created: 1,
        started: 1,
        ended: 2,
        engineId: oldId,
        engineName: `podman (unix://${oldSocket})`,
        remote: false,
        builderImage: STAND_IN_BUILDER,
        artifacts: [],
        logPath: join(out, 'image-build.log'),
      };
      await builds.store.write(old);

      const [current] = await engine.listEngines();
      const read = await builds.get(old.id);
      expect(read.engineId).toBe(current.id);
      expect(read.request.engineId).toBe(current.id);

      // Rebuild: the recorded request, as the form sends it back.
      const again = await builds.wait(await builds.start(read.request));
      expect(again.error).toBeUndefined();
      expect(again.status).toBe('succeeded');
      expect(again.engineId).toBe(current.id);

      // The form's image list: the image once, under the id the record now carries (no ghost row).
      const rows = (await listBootcImages(engine)).filter(image => image.ref === IMAGE);
      expect(rows.map(row => row.engineId)).toEqual([read.request.engineId]);
    } finally {
      await builds.dispose();
    }
  });
});
