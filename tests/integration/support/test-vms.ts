/**
 * What the VM tests share: a VM service on a test store (its waits sized for an emulated guest), a
 * VM of the tiny test disk started on it, commands in its guest by the test's own hand, and every
 * VM removed at the end (QEMU stopped first).
 */

import { readFile } from 'node:fs/promises';

import type { VmInfo } from '../../../src/api/vms';
import { BuildStore } from '../../../src/builds/build-store';
import { hashPassword } from '../../../src/builds/password-hash';
import type { JobRegistry } from '../../../src/jobs/job-registry';
import { connectWithKey, execOverSsh } from '../../../src/ssh/ssh-session';
import { buildDiskFinder } from '../../../src/vms/vm-build-disk';
import { VmService } from '../../../src/vms/vm-service';

export function testVmService(store: string, jobs: JobRegistry): VmService {
  return new VmService({
    storeDir: store,
    jobs,
    buildDisk: buildDiskFinder(new BuildStore(store)),
    sshTimeoutMs: 120_000,
    powerdownTimeoutMs: 30_000,
  });
}

/** A small VM of the build `buildId` (the test disk), started; throws when the start failed. */
export async function startTestDiskVm(vms: VmService, jobs: JobRegistry, buildId: string): Promise<VmInfo> {
  const vm = await vms.create({ source: { buildId }, cpus: 1, memoryMiB: 384 });
  const started = await jobs.wait(vms.start(vm.id).id);
  if (started.status !== 'succeeded') throw new Error(`the test VM did not start: ${started.error?.message}`);
  return vms.get(vm.id);
}

/** Removes every VM of the service (a running one is stopped first), then lets it go. */
export async function removeAllVms(vms: VmService | undefined): Promise<void> {
  if (!vms) return;
  const { vms: all } = await vms.list();
  await Promise.all(all.map(vm => vms.remove(vm.id).catch(() => undefined)));
  vms.dispose();
}

/**
 * A command in the test disk's guest by the test's own hand (not through the product): root over
 * SSH with the VM's key, or with `privateKey` (a key the guest was given otherwise); its stdout.
 */
export async function inGuest(
  vm: Pick<VmInfo, 'sshPort' | 'sshKeyPath'>,
  command: string,
  privateKey?: string | Buffer,
): Promise<string> {
  const { client } = await connectWithKey({
    host: '127.0.0.1',
    port: vm.sshPort as number,
    user: 'root',
    privateKey: privateKey ?? (await readFile(vm.sshKeyPath)),
  });
  try {
    return (await execOverSsh(client, command)).stdout;
  } finally {
    client.end();
  }
}

/**
 * Makes the running guest take root's password only, as a VM whose image has no key of the user's:
 * `password` in /etc/passwd, root's authorized_keys gone, and dropbear started again without `-s`
 * (passwords allowed) on the host key pinned at boot. Waits until the new dropbear listens.
 */
export async function guestTakesPasswordOnly(
  vm: Pick<VmInfo, 'sshPort' | 'sshKeyPath'>,
  password: string,
  privateKey?: string | Buffer,
): Promise<void> {
  const passwd = Buffer.from(`root:${hashPassword(password)}:0:0:root:/root:/bin/sh\n`).toString('base64');
  await inGuest(
    vm,
    `echo ${passwd} | base64 -d > /etc/passwd && rm /root/.ssh/authorized_keys && ` +
      `(setsid sh -c 'sleep 1; kill $(cat /var/run/dropbear.pid); sleep 1; dropbear -r /esp/dropbear_ed25519_host_key -p 22' </dev/null >/dev/null 2>&1 &)`,
    privateKey,
  );
  await new Promise(done => setTimeout(done, 4000));
}
