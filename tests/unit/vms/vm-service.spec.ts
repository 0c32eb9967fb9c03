/**
 * The VM service's records against the world, with a stand-in QEMU (support/fake-qemu.mjs) that is
 * a real detached process serving QMP and the real qemu-img: a request is refused field by field
 * before anything is made; a started VM is found running by a second service on the same store; a
 * VM whose QEMU died is shown stopped, and says why; names stay unique.
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { errorInfoOf } from '../../../src/api/errors';
import { JobRegistry } from '../../../src/jobs/job-registry';
import { findQemuImg } from '../../../src/vms/qemu/qemu-discovery';
import { findSeedTool } from '../../../src/vms/vm-cloud-init-seed';
import { isAlive } from '../../../src/vms/qemu/qemu-process';
import { VmService } from '../../../src/vms/vm-service';
import { runProcess, startProcess } from '../../../src/platform/process';

const FAKE = join(import.meta.dirname, '../support/fake-qemu.mjs');
const qemuImg = findQemuImg();
if (!qemuImg) console.log('vm-service.spec: skipped — qemu-img is not installed (apt-get install qemu-utils)');

describe.skipIf(!qemuImg)('VmService with a stand-in QEMU', () => {
  let dir: string;
  let disk: string;
  const services: VmService[] = [];

  const jobs = new JobRegistry();
  const service = (extra: Partial<ConstructorParameters<typeof VmService>[0]> = {}, seedTool = findSeedTool) => {
    const created = new VmService({
      storeDir: join(dir, 'store'),
      jobs,
      buildDisk: async id => {
        throw Object.assign(new Error(`no build ${id}`), { field: 'source' });
      },
      host: {
        platform: 'linux',
        findQemu: () => FAKE,
        findQemuImg: () => qemuImg,
        findFirmware: async () => undefined,
        kvmUsable: () => false,
        acceleration: 'tcg',
        findSeedTool: seedTool,
      },
      // The stand-in has no SSH server: the start ends with a warning at once.
      sshTimeoutMs: 300,
      powerdownTimeoutMs: 2000,
      ...extra,
    });
    services.push(created);
    return created;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-service-'));
    disk = join(dir, 'disk.raw');
    await writeFile(disk, Buffer.alloc(1024 * 1024));
    await runProcess([qemuImg as string, 'info', disk], { capture: true });
  });

  afterAll(async () => {
    for (const vms of services) {
      for (const vm of (await vms.list()).vms) await vms.remove(vm.id).catch(() => undefined);
      vms.dispose();
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('a bad request is refused field by field, and nothing is made', async () => {
    const vms = service();
    const refusal = await vms.create({ source: { diskPath: 'disk.raw' }, cpus: 0 }).catch((error: unknown) => error);
    expect(errorInfoOf(refusal).fields).toEqual({
      source: 'the disk path must be absolute: disk.raw',
      cpus: expect.stringMatching(/whole number from 1/),
    });
    const build = await vms.create({ source: { buildId: 'nope' } }).catch((error: unknown) => error);
    expect(errorInfoOf(build).fields).toEqual({ source: 'no build nope' });
    expect((await vms.list()).vms).toEqual([]);
  });

  test('a started VM runs on its own overlay; another service finds it; a dead QEMU shows stopped, saying so', async () => {
    const vms = service();
    const vm = await vms.create({ source: { diskPath: disk }, name: 'one' });
    const ended = await jobs.wait(vms.start(vm.id).id);
    expect(ended.status).toBe('succeeded');
    // The stand-in has no SSH server: the start says so, and that the VM runs.
    expect(ended.steps.find(step => step.name === 'Waiting for SSH')?.status).toBe('failed');
    expect(ended.warnings.join(' ')).toMatch(/SSH did not let the VM's key in .*The VM runs/);
    const running = await vms.get(vm.id);
    expect(running).toMatchObject({ state: 'running', acceleration: 'tcg' });
    expect(running.sshCommand).toContain(`-p ${running.sshPort}`);
    expect((await service().get(vm.id)).state).toBe('running');

    const pid = Number(readFileSync(vms.store.pathsOf(vm.id).pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => isAlive(pid)).toBe(false);
    const dead = await service().get(vm.id);
    expect(dead).toMatchObject({ state: 'stopped' });
    expect(dead.lastError).toMatch(/ended without being stopped/);
  }, 30_000);

  test('a start killed before any pid file was written: its QEMU is found by its QMP socket and stopped', async () => {
    const vms = service();
    const vm = await vms.create({ source: { diskPath: disk }, name: 'interrupted' });
    expect((await jobs.wait(vms.start(vm.id).id)).status).toBe('succeeded');
    const paths = vms.store.pathsOf(vm.id);
    const pid = Number(readFileSync(paths.pidFile, 'utf8'));
    // What a start SIGKILLed between QEMU's launch and either pid file write leaves: a record still
    // in transition (by a process gone), no runtime, no pid file, and that QEMU running.
    const stored = await vms.store.read(vm.id);
    const gone = startProcess(['true']);
    await gone.result;
    await vms.store.write({ ...stored, state: 'stopped', runtime: undefined, transition: { by: gone.pid as number } });
    await rm(paths.pidFile);
    const settled = await service().get(vm.id);
    expect(settled.state).toBe('stopped');
    expect(settled.lastError).toMatch(/start of this VM was interrupted .* was stopped/);
    await expect.poll(() => isAlive(pid)).toBe(false);
  }, 30_000);

  /** The argv the stand-in QEMU of a running VM was started with. */
  const qemuArgvOf = async (vms: VmService, id: string) => {
    const pid = Number(readFileSync(vms.store.pathsOf(id).pidFile, 'utf8'));
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  };

  test.skipIf(!findSeedTool())(
    'cloud-init chosen at launch: the seed is made in the VM folder (0600), attached read-only, and said',
    async () => {
      const vms = service();
      const vm = await vms.create({ source: { diskPath: disk }, name: 'seeded', cloudInit: true });
      expect(vm.cloudInit).toEqual({ seed: true, decidedBy: 'user', reason: 'cloud-init chosen at launch' });
      const ended = await jobs.wait(vms.start(vm.id).id);
      expect(ended.status).toBe('succeeded');
      const seed = vms.store.pathsOf(vm.id).seed;
      expect((await stat(seed)).mode & 0o777).toBe(0o600);
      expect(await qemuArgvOf(vms, vm.id)).toContain(`if=none,id=seed0,format=raw,readonly=on,file=${seed}`);
      expect((await jobs.readLog(ended.id, 0)).lines.join('\n')).toMatch(/Making the cloud-init seed \(NoCloud/);
      expect(await vms.get(vm.id)).toMatchObject({ cloudInitSeed: seed, state: 'running' });
      await vms.remove(vm.id);
    },
    30_000,
  );

  test('a disk given by path gets no seed by default, and that is recorded', async () => {
    const vms = service();
    const vm = await vms.create({ source: { diskPath: disk }, name: 'plain' });
    expect(vm.cloudInit).toMatchObject({ seed: false, decidedBy: 'default' });
    const ended = await jobs.wait(vms.start(vm.id).id);
    expect(ended.status).toBe('succeeded');
    expect((await qemuArgvOf(vms, vm.id)).join(' ')).not.toContain('seed0');
    expect((await vms.get(vm.id)).cloudInitSeed).toBeUndefined();
    await vms.remove(vm.id);
  }, 30_000);

  test('no seed tool: the start fails before QEMU with what to install, and the VM says so', async () => {
    const vms = service({}, () => undefined);
    const vm = await vms.create({ source: { diskPath: disk }, name: 'toolless', cloudInit: true });
    const ended = await jobs.wait(vms.start(vm.id).id);
    expect(ended.status).toBe('failed');
    expect(ended.error?.message).toMatch(/cloud-init seed cannot be made: none of xorriso, genisoimage, mkisofs/);
    const after = await vms.get(vm.id);
    expect(after).toMatchObject({ state: 'stopped' });
    expect(after.lastError).toMatch(/apt install xorriso/);
    // Nothing was made: no overlay, no QEMU.
    expect(existsSync(vms.store.pathsOf(vm.id).disk)).toBe(false);
    expect(existsSync(vms.store.pathsOf(vm.id).pidFile)).toBe(false);
    await vms.remove(vm.id);
  }, 30_000);

  test.skipIf(!findSeedTool())(
    "a build's image is looked into once, at the first start: found cloud-init gives a seed, restarts reuse the decision",
    async () => {
      const looked: string[] = [];
      const vms = service({
        buildDisk: async buildId => ({
          source: { kind: 'build', buildId, diskPath: disk, imageRef: 'quay.io/x/cloudy:1' },
          name: 'cloudy',
        }),
        cloudInitProbe: async source => {
          looked.push(source.kind === 'build' ? (source.imageRef ?? '') : '');
          return true;
        },
      });
      const vm = await vms.create({ source: { buildId: 'b00000000001' } });
      expect(vm.cloudInit).toBeUndefined();
      expect((await jobs.wait(vms.start(vm.id).id)).status).toBe('succeeded');
      expect(await vms.get(vm.id)).toMatchObject({
        cloudInit: { seed: true, decidedBy: 'image', reason: 'the image quay.io/x/cloudy:1 has cloud-init' },
        cloudInitSeed: vms.store.pathsOf(vm.id).seed,
      });
      expect((await jobs.wait(vms.stop(vm.id).id)).status).toBe('succeeded');
      expect((await jobs.wait(vms.start(vm.id).id)).status).toBe('succeeded');
      expect(looked).toEqual(['quay.io/x/cloudy:1']);
      expect((await qemuArgvOf(vms, vm.id)).join(' ')).toContain('id=seed0');
      await vms.remove(vm.id);
    },
    30_000,
  );

  test('a look into the image that could not be made is not kept: no seed, said in the log, asked again next start', async () => {
    let looks = 0;
    const vms = service({
      buildDisk: async buildId => ({
        source: { kind: 'build', buildId, diskPath: disk, imageRef: 'quay.io/x/away:1' },
        name: 'away',
      }),
      cloudInitProbe: async () => {
        looks++;
        if (looks === 1) throw new Error('connect ENOENT /run/podman/podman.sock');
        return false;
      },
    });
    const vm = await vms.create({ source: { buildId: 'b00000000002' } });
    const first = await jobs.wait(vms.start(vm.id).id);
    expect(first.status).toBe('succeeded');
    expect((await jobs.readLog(first.id, 0)).lines).toContain(
      'cloud-init: the image quay.io/x/away:1 could not be looked into for cloud-init (connect ENOENT /run/podman/podman.sock)',
    );
    expect(first.warnings.join(' ')).not.toMatch(/cloud-init/);
    expect((await vms.get(vm.id)).cloudInit).toBeUndefined();
    expect((await qemuArgvOf(vms, vm.id)).join(' ')).not.toContain('seed0');
    expect((await jobs.wait(vms.stop(vm.id).id)).status).toBe('succeeded');
    expect((await jobs.wait(vms.start(vm.id).id)).status).toBe('succeeded');
    expect(looks).toBe(2);
    expect((await vms.get(vm.id)).cloudInit).toMatchObject({ seed: false, decidedBy: 'image' });
    await vms.remove(vm.id);
  }, 30_000);

  test('names are unique; the default name counts up', async () => {
    const vms = service();
    const first = await vms.create({ source: { diskPath: disk } });
    const second = await vms.create({ source: { diskPath: disk } });
    expect([first.name, second.name]).toEqual(['vm-1', 'vm-2']);
    const taken = await vms.create({ source: { diskPath: disk }, name: 'vm-1' }).catch((error: unknown) => error);
    expect(errorInfoOf(taken).fields).toEqual({ name: 'a VM named "vm-1" exists already' });
  });
});

test('deleting a VM makes its hypervisor forget it (Hyper-V keeps a VM of its own) before its folder goes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vm-service-forget-'));
  try {
    const disk = join(dir, 'disk.raw');
    await writeFile(disk, Buffer.alloc(1024 * 1024));
    const forgotten: { id: string; folderThere: boolean }[] = [];
    const vms = new VmService({
      storeDir: join(dir, 'store'),
      jobs: new JobRegistry(),
      buildDisk: async () => {
        throw new Error('no builds');
      },
      backends: {
        hyperv: {
          steps: ['Preparing the disk', 'Booting'],
          injectsKey: false,
          consoleInput: false,
          unavailable: () => undefined,
          launch: async () => {
            throw new Error('not booted in this test');
          },
          running: async () => false,
          stop: async () => 'not running',
          forget: async id => {
            forgotten.push({ id, folderThere: existsSync(vms.store.pathsOf(id).dir) });
          },
        },
      },
    });
    // Hyper-V VMs get no seed here: asking for one is refused, naming the field.
    const refusal = await vms
      .create({ source: { diskPath: disk }, hypervisor: 'hyperv', cloudInit: true })
      .catch((error: unknown) => error);
    expect(errorInfoOf(refusal).fields).toEqual({
      cloudInit: expect.stringMatching(/Hyper-V VMs get no cloud-init seed/),
    });
    const vm = await vms.create({ source: { diskPath: disk }, hypervisor: 'hyperv' });
    await vms.remove(vm.id);
    expect(forgotten).toEqual([{ id: vm.id, folderThere: true }]);
    expect(existsSync(vms.store.pathsOf(vm.id).dir)).toBe(false);
    vms.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
