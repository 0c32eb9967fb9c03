/**
 * A VM from an installer ISO, with real QEMU: the test installer (support/test-disk.ts, built with
 * xorriso) boots from a SCSI CD against the VM's new blank disk, writes the test disk onto it and
 * reboots — which ends QEMU (`-no-reboot`) — then the VM boots the installed disk and lets its own
 * key in over SSH. The next start boots the disk without installing again; a cancelled install
 * leaves no disk and no QEMU behind; the ISO is never written. TCG here (no usable KVM).
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import { JobRegistry } from '../../src/jobs/job-registry';
import { isAlive } from '../../src/vms/qemu/qemu-process';
import { sshArgv } from '../../src/vms/vm-request';
import type { VmService } from '../../src/vms/vm-service';
import { runProcess } from './support/run-process';
import { removeAllVms, testVmService } from './support/test-vms';
import { buildTestDisk, buildTestInstaller, recordTestInstallerBuild, TEST_DISK_MARKERS } from './support/test-disk';

const BUILD_ID = '150c0ffee123';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a VM from an installer ISO, on real QEMU', () => {
  let store: string;
  let iso: string;
  let isoChecksum: string;
  let jobs: JobRegistry;
  let service: VmService;

  beforeAll(async () => {
    const disk = await buildTestDisk();
    const built = await buildTestInstaller(disk);
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-vm-installer-'));
    iso = await recordTestInstallerBuild(built, store, join(store, 'output'), BUILD_ID);
    isoChecksum = sha256(iso);
    jobs = new JobRegistry();
    service = testVmService(store, jobs);
  }, 240_000);

  afterAll(async () => {
    await removeAllVms(service);
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('a built disk refuses a disk size, an ISO takes one, and only QEMU is offered for it', async () => {
    const vm = await service.create({ source: { buildId: BUILD_ID }, diskGiB: 3, cpus: 1, memoryMiB: 512 });
    expect(vm).toMatchObject({
      source: { kind: 'build', buildId: BUILD_ID, diskPath: iso, installer: true },
      diskGiB: 3,
      state: 'stopped',
    });
    expect(vm.installed).toBeUndefined();
    // The same ISO given by path is seen as one by its content, not its name.
    const byPath = await service.create({ source: { diskPath: iso }, name: 'by-path' });
    expect(byPath).toMatchObject({ source: { kind: 'disk', installer: true }, diskGiB: 20 });
    await service.remove(byPath.id);
    await expect(service.create({ source: { diskPath: iso }, hypervisor: 'fusion' })).rejects.toMatchObject({
      errors: [{ field: 'hypervisor' }],
    });
  });

  test('the first start installs onto a new disk, then boots it and lets the VM key in', async () => {
    const [vm] = (await service.list()).vms;
    const job = await jobs.wait(service.start(vm.id).id);
    expect(job.error).toBeUndefined();
    expect(job.steps.map(step => [step.name, step.status])).toEqual([
      ['Preparing the disk', 'succeeded'],
      ['Installing', 'succeeded'],
      ['Booting', 'succeeded'],
      ['Waiting for SSH', 'succeeded'],
    ]);
    const log = (await jobs.readLog(job.id, 0)).lines.join('\n');
    expect(log).toMatch(/Booting the installer .*install\.iso against a new 3 GiB disk/);
    expect(log).toMatch(/The installer ended after \d+ s/);

    const running = await service.get(vm.id);
    expect(running).toMatchObject({ state: 'running' });
    expect(running.installed).toBeGreaterThan(0);
    const consoleText = (await service.readConsole(vm.id, 0)).data;
    const installerAt = consoleText.indexOf(TEST_DISK_MARKERS.installerDone);
    expect(installerAt).toBeGreaterThan(consoleText.indexOf(TEST_DISK_MARKERS.installerRunning));
    expect(consoleText.indexOf(TEST_DISK_MARKERS.booted, installerAt)).toBeGreaterThan(installerAt);

    const paths = service.store.pathsOf(vm.id);
    const [ssh, ...args] = sshArgv(running, paths, ['echo', 'installed-$((40+2))']);
    const { stdout } = await runProcess(ssh, ['-o', 'BatchMode=yes', ...args], { timeoutMs: 60_000 });
    expect(stdout.trim()).toBe('installed-42');
    // The VM's disk is its own qcow2 of the chosen size, no overlay on the ISO.
    const info = JSON.parse(
      (await runProcess('qemu-img', ['info', '--output=json', '-U', paths.disk], { timeoutMs: 30_000 })).stdout,
    ) as { 'virtual-size': number; 'backing-filename'?: string };
    expect(info['virtual-size']).toBe(3 * 1024 ** 3);
    expect(info['backing-filename']).toBeUndefined();
  }, 400_000);

  test('the next start boots the installed disk without installing again', async () => {
    const [vm] = (await service.list()).vms;
    expect((await jobs.wait(service.stop(vm.id).id)).status).toBe('succeeded');
    const before = (await service.readConsole(vm.id, 0)).next;
    const job = await jobs.wait(service.start(vm.id).id);
    expect(job.status).toBe('succeeded');
    expect(job.steps.map(step => step.name)).toEqual(['Preparing the disk', 'Booting', 'Waiting for SSH']);
    const after = (await service.readConsole(vm.id, before)).data;
    expect(after).toContain(TEST_DISK_MARKERS.booted);
    expect(after).not.toContain(TEST_DISK_MARKERS.installerRunning);
    await service.remove(vm.id);
  }, 400_000);

  test('a cancelled install ends its QEMU and leaves no disk; the ISO is never written', async () => {
    const vm = await service.create({ source: { buildId: BUILD_ID }, name: 'cancelled', cpus: 1, memoryMiB: 512 });
    const paths = service.store.pathsOf(vm.id);
    const job = service.start(vm.id);
    await vi.waitFor(
      async () =>
        expect((await jobs.get(job.id)).steps.find(step => step.name === 'Installing')?.status).toBe('running'),
      { timeout: 60_000, interval: 100 },
    );
    // QEMU runs the installer once its pid file is there.
    await vi.waitFor(async () => expect(Number(await readFile(paths.pidFile, 'utf8'))).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 100,
    });
    const pid = Number(await readFile(paths.pidFile, 'utf8'));
    await jobs.cancel(job.id);
    const ended = await jobs.wait(job.id);
    expect(ended.status).toBe('cancelled');
    expect(isAlive(pid)).toBe(false);
    await expect(stat(paths.disk)).rejects.toThrow(/ENOENT/);
    expect(await service.get(vm.id)).toMatchObject({ state: 'stopped' });
    expect((await service.get(vm.id)).installed).toBeUndefined();
    expect(sha256(iso)).toBe(isoChecksum);
  }, 180_000);
});
