/**
 * cloud-init guests with real QEMU (TCG here): the tiny test disk built `--cloud-init-only` ignores
 * the SMBIOS credential, so the VM's key can reach it only through the NoCloud seed. A VM given the
 * seed — an ISO made with xorriso, or a FAT image made with mkfs.vfat and mcopy — lets the real
 * OpenSSH client in with the VM's key; the same disk without the seed boots to
 * its SSH server and refuses that key (the credential alone does not bring it). Through the CLI
 * with a PATH that has QEMU but no seed tool, `vm run --cloud-init` fails before QEMU starts,
 * naming what to install.
 */

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import { BuildStore } from '../../src/builds/build-store';
import { findExecutable } from '../../src/platform/executables';
import { JobRegistry } from '../../src/jobs/job-registry';
import { findQemu, findQemuImg } from '../../src/vms/qemu/qemu-discovery';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import type { SeedTool } from '../../src/vms/vm-cloud-init-seed';
import { realQemuHost, type QemuHost } from '../../src/vms/vm-launch';
import { sshArgv } from '../../src/vms/vm-request';
import { VmService } from '../../src/vms/vm-service';
import { ProcessError, runProcess } from './support/run-process';
import { buildTestDisk, TEST_DISK_MARKERS, type TestDisk } from './support/test-disk';

const cli = resolve(__dirname, '../../dist/cli.js');

describe('cloud-init NoCloud seed on real QEMU', () => {
  let store: string;
  let disk: TestDisk;
  const jobs = new JobRegistry();
  const services: VmService[] = [];
  const service = (sshTimeoutMs: number, host?: QemuHost) => {
    const vms = new VmService({
      storeDir: store,
      jobs,
      buildDisk: buildDiskFinder(new BuildStore(store)),
      ...(host ? { host } : {}),
      sshTimeoutMs,
      powerdownTimeoutMs: 30_000,
    });
    services.push(vms);
    return vms;
  };

  /** The real OpenSSH client with the VM's key and its own known_hosts, as `vm ssh` runs it. */
  const ssh = async (vms: VmService, id: string, command: string[]) => {
    const vm = await vms.get(id);
    const [program, ...args] = sshArgv(vm, vms.store.pathsOf(id), command);
    return runProcess(program, ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', ...args], { timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    disk = await buildTestDisk('cloud-init-only');
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-cloud-init-'));
  }, 180_000);

  afterAll(async () => {
    for (const vms of services) {
      const { vms: all } = await vms.list();
      await Promise.all(all.map(vm => vms.remove(vm.id).catch(() => undefined)));
      vms.dispose();
    }
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test("with the seed alone (an ISO, or a FAT image) the guest lets the VM's key in; without it, the same disk refuses the key", async () => {
    const vms = service(180_000);
    // The FAT seed, as made where no ISO maker is installed: mkfs.vfat and mcopy only.
    const mkfs = findExecutable('mkfs.vfat', process.env.PATH, ['/usr/sbin', '/sbin']);
    const mcopy = findExecutable('mcopy');
    if (!mkfs || !mcopy) throw new Error('mkfs.vfat or mcopy is missing: apt-get install -y dosfstools mtools');
    const vfat: SeedTool = { kind: 'vfat', name: 'mkfs.vfat', program: mkfs, mcopy };
    const fatVms = service(180_000, { ...realQemuHost(), findSeedTool: () => vfat });
    // Fails fast: the unseeded VM's start waits for nothing; its SSH server is watched on the console.
    const control = service(1000);
    const spec = { cpus: 1, memoryMiB: 384, source: { diskPath: disk.qcow2 } };
    const iso = await vms.create({ ...spec, name: 'cloudy-iso', cloudInit: true });
    const fat = await fatVms.create({ ...spec, name: 'cloudy-fat', cloudInit: true });
    const unseeded = await control.create({ ...spec, name: 'plain' });
    expect(iso.cloudInit).toMatchObject({ seed: true, decidedBy: 'user' });
    expect(unseeded.cloudInit).toMatchObject({ seed: false, decidedBy: 'default' });

    const [isoJob, fatJob, unseededJob] = await Promise.all([
      jobs.wait(vms.start(iso.id).id),
      jobs.wait(fatVms.start(fat.id).id),
      jobs.wait(control.start(unseeded.id).id),
    ]);
    for (const [owner, vm, job, tool] of [
      [vms, iso, isoJob, 'xorriso'],
      [fatVms, fat, fatJob, 'mkfs.vfat'],
    ] as const) {
      expect(job.error).toBeUndefined();
      expect(job.steps.map(step => [step.name, step.status])).toEqual([
        ['Preparing the disk', 'succeeded'],
        ['Booting', 'succeeded'],
        ['Waiting for SSH', 'succeeded'],
      ]);
      expect((await jobs.readLog(job.id, 0)).lines.join('\n')).toContain(
        `Making the cloud-init seed (NoCloud, with ${tool})`,
      );
      const info = await owner.get(vm.id);
      const seed = owner.store.pathsOf(vm.id).seed;
      expect(info).toMatchObject({ state: 'running', cloudInitSeed: seed });
      expect((await stat(seed)).mode & 0o777).toBe(0o600);
      const console = (await owner.readConsole(vm.id, 0)).data;
      expect(console).toContain(TEST_DISK_MARKERS.credentialIgnored);
      expect(console).toContain(TEST_DISK_MARKERS.noCloudSeed);
      expect(console).not.toContain(TEST_DISK_MARKERS.credential);
      const { stdout } = await ssh(owner, vm.id, ['cat', '/root/.ssh/authorized_keys']);
      expect(stdout).toContain(`bootc-studio-vm-${vm.id}`);
    }

    // The control: booted to its SSH server, the credential ignored, no seed: the VM's key is refused.
    expect(unseededJob.status).toBe('succeeded');
    await vi.waitFor(
      async () => {
        const text = (await control.readConsole(unseeded.id, 0)).data;
        expect(text).toContain(TEST_DISK_MARKERS.ssh);
        expect(text).toContain(TEST_DISK_MARKERS.credentialIgnored);
        expect(text).not.toContain(TEST_DISK_MARKERS.noCloudSeed);
      },
      { timeout: 180_000, interval: 1000 },
    );
    const refused = await ssh(control, unseeded.id, ['true']).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProcessError);
    expect((refused as ProcessError).stderr).toMatch(/Permission denied/);
  }, 600_000);

  test('the CLI with QEMU on PATH but no seed tool: vm run --cloud-init fails before QEMU, naming what to install', async () => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    // A PATH holding only QEMU and qemu-img (mkfs.vfat may be in /usr/sbin, but mcopy is nowhere on it).
    const bin = join(store, 'bin');
    await mkdir(bin);
    for (const program of [findQemu('amd64'), findQemuImg()]) {
      if (!program) throw new Error('QEMU is not installed: apt-get install -y qemu-system-x86 qemu-utils');
      await symlink(program, join(bin, program.split('/').pop() as string));
    }
    const cliStore = join(store, 'cli');
    const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, ...env } = process.env;
    const run = (args: string[]) =>
      runProcess(process.execPath, [cli, '--store', cliStore, 'vm', 'run', disk.qcow2, ...args], {
        env: { ...env, PATH: bin },
        timeoutMs: 120_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: unknown) => {
          if (!(error instanceof ProcessError)) throw error;
          return { code: error.exitCode, stdout: error.stdout, stderr: error.stderr };
        },
      );

    const both = await run(['--cloud-init', '--no-cloud-init']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--cloud-init and --no-cloud-init: choose one/);

    const failed = await run(['--cloud-init', '--name', 'no-tools', '--detach']);
    expect(failed.code).toBe(1);
    // The job follower prints the failure with the job's output.
    expect(`${failed.stdout}${failed.stderr}`).toMatch(
      /Failed: the cloud-init seed cannot be made: none of xorriso, genisoimage, mkisofs, or mkfs\.vfat with mcopy was found\. Install one: apt install xorriso/,
    );
    const cliVms = new VmService({ storeDir: cliStore, jobs: new JobRegistry(), buildDisk: async () => ({}) as never });
    services.push(cliVms);
    const [vm] = (await cliVms.list()).vms;
    expect(vm).toMatchObject({ name: 'no-tools', state: 'stopped', cloudInit: { seed: true, decidedBy: 'user' } });
    expect(vm.lastError).toMatch(/apt install xorriso/);
    // Nothing was made or started: no overlay, no QEMU.
    expect(existsSync(cliVms.store.pathsOf(vm.id).disk)).toBe(false);
    expect(existsSync(cliVms.store.pathsOf(vm.id).pidFile)).toBe(false);
  }, 180_000);
});
