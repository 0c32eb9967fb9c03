/**
 * cloud-init found in the image, on a real podman: a throw-away container (no network) of an image
 * with `/usr/bin/cloud-init` says yes, one without says no, and neither leaves a container behind.
 * Then the whole chain with real QEMU: a finished build of that image (the tiny test disk built
 * `--cloud-init-only`, which ignores the SMBIOS credential) started as a VM is looked into before
 * its first start, gets the NoCloud seed, and lets the VM's key in through the seed alone.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BuildStore } from '../../src/builds/build-store';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { JobRegistry } from '../../src/jobs/job-registry';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import { cloudInitProbe, imageHasCloudInit } from '../../src/vms/vm-cloud-init';
import { sshArgv } from '../../src/vms/vm-request';
import { VmService } from '../../src/vms/vm-service';
import { createBusyboxBase } from './support/images';
import { startPodmanService, type PodmanService } from './support/podman-service';
import { runProcess } from './support/run-process';
import { buildTestDisk, recordTestDiskBuild, TEST_DISK_MARKERS } from './support/test-disk';

const CLOUDY = 'localhost/cloudy-os:1';
const PLAIN = 'localhost/plain-os:1';
const BUILD_ID = 'c10d1217c0de';

describe('cloud-init in the image, on a real podman', () => {
  let podman: PodmanService;
  let engine: PodmanSocketEngine;
  let engineId: string;
  let store: string;
  let vms: VmService | undefined;
  const jobs = new JobRegistry();

  beforeAll(async () => {
    podman = await startPodmanService();
    await createBusyboxBase(podman, PLAIN);
    await createBusyboxBase(podman, CLOUDY, {
      'usr/bin/cloud-init': { content: '#!/bin/sh\necho "/usr/bin/cloud-init 24.4"\n', mode: 0o755 },
    });
    engine = new PodmanSocketEngine(podman.url);
    engineId = (await engine.listEngines())[0].id;
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-cloud-init-image-'));
  }, 180_000);

  afterAll(async () => {
    if (vms) {
      const { vms: all } = await vms.list();
      await Promise.all(all.map(vm => vms?.remove(vm.id).catch(() => undefined)));
      vms.dispose();
    }
    await podman?.stop();
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('an image with /usr/bin/cloud-init has it, one without has not; no container is left', async () => {
    expect(await imageHasCloudInit(engine, engineId, CLOUDY)).toBe(true);
    expect(await imageHasCloudInit(engine, engineId, PLAIN)).toBe(false);
    await expect(imageHasCloudInit(engine, engineId, 'localhost/never-made:1')).rejects.toThrow();
    const { stdout } = await podman.podman(['ps', '--all', '--quiet', '--filter', 'label=io.bootc-studio.probe']);
    expect(stdout.trim()).toBe('');
  }, 120_000);

  test("a VM of a build of that image gets the seed at its first start, and the VM's key arrives through it alone", async () => {
    const disk = await buildTestDisk('cloud-init-only');
    await recordTestDiskBuild(disk, store, join(store, 'output'), BUILD_ID, CLOUDY);
    // The build ran on this podman: its record names it, as the disk-build service records it.
    const builds = new BuildStore(store);
    await builds.write({ ...(await builds.read(BUILD_ID)), engineId });

    vms = new VmService({
      storeDir: store,
      jobs,
      buildDisk: buildDiskFinder(builds),
      cloudInitProbe: cloudInitProbe(async () => engine, builds),
      sshTimeoutMs: 180_000,
      powerdownTimeoutMs: 30_000,
    });
    const vm = await vms.create({ source: { buildId: BUILD_ID }, cpus: 1, memoryMiB: 384 });
    expect(vm.cloudInit).toBeUndefined();
    const job = await jobs.wait(vms.start(vm.id).id);
    expect(job.error).toBeUndefined();
    expect(job.steps.find(step => step.name === 'Waiting for SSH')?.status).toBe('succeeded');
    expect((await jobs.readLog(job.id, 0)).lines).toContain(
      `cloud-init: the image ${CLOUDY} has cloud-init: a NoCloud seed is attached`,
    );

    const info = await vms.get(vm.id);
    expect(info).toMatchObject({
      cloudInit: { seed: true, decidedBy: 'image' },
      cloudInitSeed: vms.store.pathsOf(vm.id).seed,
    });
    const console = (await vms.readConsole(vm.id, 0)).data;
    expect(console).toContain(TEST_DISK_MARKERS.noCloudSeed);
    expect(console).not.toContain(TEST_DISK_MARKERS.credential);
    const [ssh, ...args] = sshArgv(info, vms.store.pathsOf(vm.id), ['echo', 'seeded']);
    const { stdout } = await runProcess(ssh, ['-o', 'BatchMode=yes', ...args], { timeoutMs: 60_000 });
    expect(stdout.trim()).toBe('seeded');
  }, 600_000);
});
