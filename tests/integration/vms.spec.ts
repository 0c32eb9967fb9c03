/**
 * VMs with real QEMU booting a real disk (support/test-disk.ts: a tiny UEFI disk whose /init
 * applies the SMBIOS key credential and runs dropbear). Two VMs at once — one from a finished
 * build's record, one from a disk file — each with its own overlay, loopback SSH port and key;
 * the console read and typed through the service's own calls (the ones the UI uses); the base disk
 * never written; a second service (a restarted Podman Desktop or CLI) finding the running VMs; stop
 * through QMP's power button; delete. These machines have no usable KVM: QEMU runs under TCG.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import type { VmInfo } from '../../src/api/vms';
import { BuildStore } from '../../src/builds/build-store';
import { JobRegistry } from '../../src/jobs/job-registry';
import { isAlive } from '../../src/vms/qemu/qemu-process';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import { sshArgv } from '../../src/vms/vm-request';
import { VmService } from '../../src/vms/vm-service';
import { runProcess } from './support/run-process';
import { buildTestDisk, recordTestDiskBuild, TEST_DISK_MARKERS } from './support/test-disk';

const BUILD_ID = 'b01dc0ffee42';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The listening sockets on `port` in /proc/net/tcp and tcp6, as hex local addresses. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap(file =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map(line => line.trim().split(/\s+/))
      .filter(fields => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`))
      .map(fields => fields[1].split(':')[0]),
  );
}

describe('VMs on real QEMU', () => {
  let store: string;
  let output: string;
  let disks: Record<'qcow2' | 'raw' | 'vmdk', string>;
  let jobs: JobRegistry;
  let service: VmService;
  let fromBuild: VmInfo;
  let fromDisk: VmInfo;
  const checksums: Record<string, string> = {};

  const newService = (registry: JobRegistry) =>
    new VmService({
      storeDir: store,
      jobs: registry,
      buildDisk: buildDiskFinder(new BuildStore(store)),
      sshTimeoutMs: 120_000,
      powerdownTimeoutMs: 30_000,
    });

  beforeAll(async () => {
    const disk = await buildTestDisk();
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-vms-'));
    output = join(store, 'output');
    disks = await recordTestDiskBuild(disk, store, output, BUILD_ID);
    for (const path of Object.values(disks)) checksums[path] = sha256(path);
    jobs = new JobRegistry();
    service = newService(jobs);
  }, 180_000);

  afterAll(async () => {
    // Whatever a failed test left running is stopped (QMP quit, then SIGTERM) before the folder goes.
    if (service) {
      const { vms } = await service.list();
      await Promise.all(
        vms.filter(vm => vm.state === 'running').map(vm => service.remove(vm.id).catch(() => undefined)),
      );
      service.dispose();
    }
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('two VMs start at once — from a build and from a disk file — and each lets its own key in over SSH', async () => {
    fromBuild = await service.create({ source: { buildId: BUILD_ID }, cpus: 1, memoryMiB: 384 });
    fromDisk = await service.create({ source: { diskPath: disks.raw }, name: 'raw-one', cpus: 1, memoryMiB: 384 });
    expect(fromBuild).toMatchObject({
      name: 'tiny-os-1',
      state: 'stopped',
      source: { kind: 'build', buildId: BUILD_ID, diskPath: disks.qcow2, imageRef: 'quay.io/example/tiny-os:1' },
    });
    expect(fromDisk).toMatchObject({ name: 'raw-one', source: { kind: 'disk', diskPath: disks.raw } });

    const started = [service.start(fromBuild.id), service.start(fromDisk.id)];
    const ended = await Promise.all(started.map(job => jobs.wait(job.id)));
    for (const job of ended) {
      expect(job.error).toBeUndefined();
      expect(job).toMatchObject({ status: 'succeeded', kind: 'vm-start' });
      expect(job.steps.map(step => [step.name, step.status])).toEqual([
        ['Preparing the disk', 'succeeded'],
        ['Booting', 'succeeded'],
        ['Waiting for SSH', 'succeeded'],
      ]);
      // No KVM here: the emulated CPU is said.
      expect(job.warnings.join(' ')).toMatch(/emulates its CPU/);
    }
    fromBuild = await service.get(fromBuild.id);
    fromDisk = await service.get(fromDisk.id);
    for (const vm of [fromBuild, fromDisk]) {
      expect(vm).toMatchObject({ state: 'running', acceleration: 'tcg' });
      expect(vm.hostKeyFingerprint).toMatch(/^SHA256:/);
    }
    expect(fromBuild.sshPort).not.toBe(fromDisk.sshPort);

    // The real OpenSSH client, with the VM's key and pinned host key, as `vm ssh` and the copied command run it.
    for (const vm of [fromBuild, fromDisk]) {
      const paths = service.store.pathsOf(vm.id);
      const [ssh, ...args] = sshArgv(vm, paths, ['echo', `hello-from-${vm.name}`]);
      const { stdout } = await runProcess(ssh, ['-o', 'BatchMode=yes', ...args], { timeoutMs: 60_000 });
      expect(stdout.trim()).toBe(`hello-from-${vm.name}`);
      expect((await stat(paths.key)).mode & 0o777).toBe(0o600);
    }
  }, 400_000);

  test('the SSH port listens on 127.0.0.1 only', () => {
    for (const vm of [fromBuild, fromDisk]) {
      const addresses = listeners(vm.sshPort as number);
      expect(addresses.length).toBeGreaterThan(0);
      expect(new Set(addresses)).toEqual(new Set(['0100007F']));
    }
  });

  test('the console shows the boot and the applied key, and takes typed input, through the calls the UI uses', async () => {
    const chunk = await service.readConsole(fromBuild.id, 0);
    expect(chunk.data).toContain(TEST_DISK_MARKERS.booted);
    expect(chunk.data).toContain(TEST_DISK_MARKERS.credential);
    expect(chunk.next).toBeGreaterThan(0);
    await service.writeConsole(fromBuild.id, 'echo typed-$((6*7))\r');
    await vi.waitFor(
      async () => expect((await service.readConsole(fromBuild.id, chunk.next)).data).toContain('typed-42'),
      { timeout: 20_000, interval: 250 },
    );
  }, 60_000);

  test('another service on the same store (a restart) finds the running VMs and their consoles', async () => {
    const again = newService(new JobRegistry());
    try {
      const { vms } = await again.list();
      const found = vms.find(vm => vm.id === fromDisk.id);
      expect(found).toMatchObject({ state: 'running', sshPort: fromDisk.sshPort });
      expect(found?.sshCommand).toContain(`-p ${fromDisk.sshPort}`);
      await again.writeConsole(fromDisk.id, 'echo again-$((2+3))\r');
      await vi.waitFor(async () => expect((await again.readConsole(fromDisk.id, -4000)).data).toContain('again-5'), {
        timeout: 20_000,
        interval: 250,
      });
    } finally {
      again.dispose();
    }
  }, 60_000);

  test('stop presses the power button through QMP: the guest powers off and QEMU ends', async () => {
    const paths = service.store.pathsOf(fromDisk.id);
    const pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
    expect(isAlive(pid)).toBe(true);
    const job = await jobs.wait(service.stop(fromDisk.id).id);
    expect(job.status).toBe('succeeded');
    expect((await jobs.readLog(job.id, 0)).lines).toContain('The guest powered off.');
    expect(isAlive(pid)).toBe(false);
    expect((await service.readConsole(fromDisk.id, -2000)).data).toContain(TEST_DISK_MARKERS.poweroff);
    expect(await service.get(fromDisk.id)).toMatchObject({ state: 'stopped' });
  }, 120_000);

  test('a stopped VM starts again on its own overlay, and delete removes it and its files but not the built disk', async () => {
    const job = await jobs.wait(service.start(fromDisk.id).id);
    expect(job.status).toBe('succeeded');
    const dir = service.store.pathsOf(fromDisk.id).dir;
    await service.remove(fromDisk.id);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    await service.remove(fromBuild.id);
    expect((await service.list()).vms).toEqual([]);
    for (const [path, checksum] of Object.entries(checksums)) expect(sha256(path)).toBe(checksum);
  }, 300_000);
});
