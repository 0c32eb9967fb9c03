/**
 * A VMware Fusion VM through the VM service, on a stand-in `vmrun` (a real executable in a
 * FUSION_APP_PATH layout that keeps its running list in a file) and the real qemu-img: the built
 * disk converted into the VM's folder as monolithicSparse, a .vmx naming it and the console file,
 * `vmrun start … nogui`, the guest's address as the SSH host, the key that cannot be given at boot
 * said, `vmrun list` as the running state, stop soft, delete. Fusion itself exists only on macOS.
 */

import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { errorInfoOf } from '../../../../src/api/errors';
import { JobRegistry } from '../../../../src/jobs/job-registry';
import { runProcess } from '../../../../src/platform/process';
import { fusionBackend } from '../../../../src/vms/fusion/fusion-backend';
import { findFusionTools } from '../../../../src/vms/fusion/fusion-vmrun';
import { findQemuImg } from '../../../../src/vms/qemu/qemu-discovery';
import { VmService } from '../../../../src/vms/vm-service';

const qemuImg = findQemuImg();
if (!qemuImg) console.log('fusion-backend.spec: skipped — qemu-img is not installed (apt-get install qemu-utils)');

/** vmrun -T fusion start|stop|list|getGuestIPAddress, its running list in $STATE, its calls in $STATE.log. */
const FAKE_VMRUN = `#!/usr/bin/env node
const fs = require('node:fs');
const state = process.env.FAKE_VMRUN_STATE;
const args = process.argv.slice(2);
fs.appendFileSync(state + '.log', args.join(' ') + '\\n');
const running = fs.existsSync(state) ? fs.readFileSync(state, 'utf8').split('\\n').filter(Boolean) : [];
const [, , command, vmx] = args;
if (command === 'list') {
  console.log('Total running VMs: ' + running.length);
  for (const line of running) console.log(line);
} else if (command === 'start') {
  if (!fs.readFileSync(vmx, 'utf8').includes('nvme0:0.fileName')) { console.log('Error: no disk'); process.exit(1); }
  fs.writeFileSync(state, [...running, vmx].join('\\n'));
} else if (command === 'stop') {
  fs.writeFileSync(state, running.filter(line => line !== vmx).join('\\n'));
} else if (command === 'getGuestIPAddress') {
  console.log('192.168.64.5');
}
`;

describe.skipIf(!qemuImg)('VMware Fusion VMs (stand-in vmrun)', () => {
  let dir: string;
  let disk: string;
  let vms: VmService;
  const jobs = new JobRegistry();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusion-backend-'));
    const library = join(dir, 'VMware Fusion.app', 'Contents', 'Library');
    await mkdir(library, { recursive: true });
    await writeFile(join(library, 'vmrun'), FAKE_VMRUN);
    chmodSync(join(library, 'vmrun'), 0o755);
    process.env.FAKE_VMRUN_STATE = join(dir, 'running');
    disk = join(dir, 'disk.raw');
    await writeFile(disk, Buffer.alloc(2 * 1024 * 1024, 7));
    const tools = findFusionTools(existsSync, { FUSION_APP_PATH: join(dir, 'VMware Fusion.app') });
    vms = new VmService({
      storeDir: join(dir, 'store'),
      jobs,
      buildDisk: async () => {
        throw new Error('not needed');
      },
      // The stand-in's guest address answers nobody: the wait for the user's key to get in ends soon.
      sshTimeoutMs: 1500,
      backends: {
        fusion: fusionBackend({
          tools,
          qemuImg,
          hostArch: 'x64',
          addressTimeoutMs: 5000,
          runner: { listPollMs: 50, listWaitMs: 2000 },
        }),
      },
    });
  });

  afterAll(async () => {
    delete process.env.FAKE_VMRUN_STATE;
    await rm(dir, { recursive: true, force: true });
  });

  test('start converts the disk, writes the .vmx, starts it headless, and SSH is the guest’s address', async () => {
    const vm = await vms.create({
      source: { diskPath: disk },
      hypervisor: 'fusion',
      name: 'mac-1',
      memoryMiB: 2048,
      cpus: 2,
    });
    const ended = await jobs.wait(vms.start(vm.id).id);
    expect(ended.error).toBeUndefined();
    expect(ended.steps.map(step => [step.name, step.status])).toEqual([
      ['Preparing the disk', 'succeeded'],
      ['Booting', 'succeeded'],
      ['Waiting for SSH', 'failed'],
    ]);
    expect(ended.warnings.join(' ')).toMatch(/cannot give the VM its own key at boot/);
    expect(ended.warnings.join(' ')).toMatch(/SSH did not let your key in .*the user root with your key or a password/);

    const paths = vms.store.pathsOf(vm.id);
    const info = JSON.parse(
      (await runProcess([qemuImg as string, 'info', '--output=json', join(paths.dir, 'disk.vmdk')], { capture: true }))
        .stdout ?? '{}',
    );
    expect(info).toMatchObject({ format: 'vmdk', 'format-specific': { data: { 'create-type': 'monolithicSparse' } } });
    const vmx = readFileSync(join(paths.dir, `${vm.id}.vmx`), 'utf8');
    expect(vmx).toContain(`nvme0:0.fileName = "${join(paths.dir, 'disk.vmdk')}"`);
    expect(vmx).toContain(`serial0.fileName = "${paths.consoleLog}"`);
    expect(vmx).toContain('guestOS = "fedora-64"');
    expect(readFileSync(`${process.env.FAKE_VMRUN_STATE}.log`, 'utf8')).toContain(
      `-T fusion start ${join(paths.dir, `${vm.id}.vmx`)} nogui`,
    );

    const running = await vms.get(vm.id);
    expect(running).toMatchObject({ state: 'running', sshHost: '192.168.64.5', sshPort: 22 });
    // The user's own keys (no -i): the image carries them.
    expect(running.sshCommand).toBe(
      `ssh -p 22 -o UserKnownHostsFile=${paths.dir}/known_hosts -o StrictHostKeyChecking=accept-new root@192.168.64.5`,
    );
    await expect(vms.writeConsole(vm.id, 'x')).rejects.toThrow(/read-only/);
  }, 60_000);

  test('stop asks for a soft stop; the VM leaves vmrun list; delete removes it', async () => {
    const [vm] = (await vms.list()).vms;
    const ended = await jobs.wait(vms.stop(vm.id).id);
    expect((await jobs.readLog(ended.id, 0)).lines).toContain('The guest shut down (vmrun stop soft).');
    expect(await vms.get(vm.id)).toMatchObject({ state: 'stopped' });
    await vms.remove(vm.id);
    expect((await vms.list()).vms).toEqual([]);
  }, 30_000);

  test('where Fusion is not installed it is refused by name', async () => {
    const none = new VmService({
      storeDir: join(dir, 'store2'),
      jobs,
      buildDisk: async () => {
        throw new Error('not needed');
      },
      backends: {
        fusion: fusionBackend({ tools: { app: '/nowhere/VMware Fusion.app' }, hostArch: 'arm64' }),
      },
    });
    const refusal = await none
      .create({ source: { diskPath: disk }, hypervisor: 'fusion' })
      .catch((error: unknown) => error);
    expect(errorInfoOf(refusal).fields).toEqual({
      hypervisor: expect.stringMatching(/VMware Fusion is not installed/),
    });
    const hyperv = await none
      .create({ source: { diskPath: disk }, hypervisor: 'hyperv' })
      .catch((error: unknown) => error);
    expect(errorInfoOf(hyperv).fields).toEqual({ hypervisor: 'Hyper-V is not offered on this host' });
  });
});
