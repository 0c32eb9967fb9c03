/**
 * `bootc-studio vm run IMAGE`, one command from a bootc image to a running VM: on a real podman
 * with a stand-in builder whose qcow2 is the tiny bootable test disk, the first run builds the
 * image's disk (a disk build like any other) and boots it; the second run of the same image reuses
 * that disk; the disk is listed with the builds. Real QEMU (TCG here).
 */

import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import type { VmInfo } from '../../src/api/vms';
import { finalRecord } from './support/cli-json';
import { createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import { ProcessError, runProcess } from './support/run-process';
import { createBootcTestImage, createStandInBuilder, standInWithTestDisk } from './support/stand-in-builder';
import { buildTestDisk } from './support/test-disk';

const cli = resolve(__dirname, '../../dist/cli.js');
const IMAGE = 'localhost/tiny-bootc:1';
const BUILDER = 'localhost/stand-in-test-disk:latest';

let podman: PodmanService;
let store: string;

async function bootcStudio(args: string[]) {
  const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, TMPDIR: _tmp, ...env } = process.env;
  try {
    const { stdout, stderr } = await runProcess(
      process.execPath,
      [cli, '--url', podman.url, '--store', store, ...args],
      { env: { ...env, TMPDIR: join(podman.dir, 'tmp') }, cwd: podman.dir, timeoutMs: 300_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

describe('bootc-studio vm run IMAGE', () => {
  beforeAll(async () => {
    podman = await startPodmanService();
    store = join(podman.dir, 'store');
    await runProcess('mkdir', ['-p', join(podman.dir, 'tmp')]);
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInWithTestDisk(podman, BUILDER, await buildTestDisk());
  }, 300_000);

  afterAll(async () => {
    for (const name of ['image-1', 'image-2']) await bootcStudio(['vm', 'rm', name]).catch(() => undefined);
    await podman?.stop();
  }, 120_000);

  test('the first run builds the image’s disk and boots it; the second reuses the disk', async () => {
    const first = await bootcStudio([
      'vm',
      'run',
      IMAGE,
      '--builder',
      BUILDER,
      '--name',
      'image-1',
      '--memory',
      '384',
      '--cpus',
      '1',
    ]);
    expect(first.stderr).toMatch(new RegExp(`Building a qcow2 of ${IMAGE} \\(build [0-9a-f]{12}\\)`));
    expect(first.code, first.stderr).toBe(0);
    const builds = JSON.parse((await bootcStudio(['disk', 'ls', '--json'])).stdout) as DiskBuildRecord[];
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatchObject({ status: 'succeeded', request: { image: IMAGE, types: ['qcow2'] } });
    // No user, key or password in the disk: the VM's key is given at boot.
    expect(builds[0].request.config.users).toEqual([]);
    expect(first.stdout).toMatch(/State:\s+running/);

    const second = await bootcStudio([
      'vm',
      'run',
      IMAGE,
      '--builder',
      BUILDER,
      '--name',
      'image-2',
      '--memory',
      '384',
      '--cpus',
      '1',
      '--json',
    ]);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/Building a qcow2/);
    const vm = finalRecord<VmInfo>(second.stdout);
    expect(vm).toMatchObject({
      name: 'image-2',
      state: 'running',
      source: { kind: 'build', buildId: builds[0].id, imageRef: IMAGE },
    });
    expect(vm.source.kind === 'build' && vm.source.imageId).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse((await bootcStudio(['disk', 'ls', '--json'])).stdout)).toHaveLength(1);
    const ssh = await bootcStudio(['vm', 'ssh', 'image-2', '--', 'echo', 'from-image']);
    expect(ssh.stdout.trim()).toBe('from-image');
  }, 600_000);
});
