/// <reference lib="dom" />
/**
 * A VM that only a password gets into, from the UI, with real QEMU booting the tiny test disk: the
 * guest is made to take a password only (its key taken away, dropbear restarted with passwords
 * allowed) and its record says its own key did not reach it at boot, as for a VMware Fusion or
 * Hyper-V VM whose image has no key of the user's. The Image tab asks for the password; a wrong one
 * is refused on the field; the right one shows bootc's status, and the Terminal tab gets in too.
 * At 1024 px, with screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { VmInfo } from '../../src/api/vms';
import { hashPassword } from '../../src/builds/password-hash';
import { JobRegistry } from '../../src/jobs/job-registry';
import { connectWithKey, execOverSsh } from '../../src/ssh/ssh-session';
import type { VmService } from '../../src/vms/vm-service';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { buildTestDisk, recordTestDiskBuild } from '../integration/support/test-disk';
import { removeAllVms, startTestDiskVm, testVmService } from '../integration/support/test-vms';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');
const PASSWORD = 'correct horse "battery"';

describe('a VM only a password gets into, from the UI', () => {
  let podman: PodmanService;
  let session: BrowserSession;
  let vms: VmService;
  let vm: VmInfo;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const disk = await buildTestDisk();
    podman = await startPodmanService();
    session = await openStandalone(podman);
    await recordTestDiskBuild(disk, session.store, join(session.store, 'output'), 'e2e00000a55d');
    const jobs = new JobRegistry();
    vms = testVmService(session.store, jobs);
    vm = await startTestDiskVm(vms, jobs, 'e2e00000a55d');
    // The guest takes the password only (the host key stays the one pinned at boot).
    const passwd = Buffer.from(`root:${hashPassword(PASSWORD)}:0:0:root:/root:/bin/sh\n`).toString('base64');
    const { client } = await connectWithKey({
      host: '127.0.0.1',
      port: vm.sshPort as number,
      user: 'root',
      privateKey: readFileSync(vm.sshKeyPath),
    });
    await execOverSsh(
      client,
      `echo ${passwd} | base64 -d > /etc/passwd && rm /root/.ssh/authorized_keys && ` +
        `(setsid sh -c 'sleep 1; kill $(cat /var/run/dropbear.pid); sleep 1; dropbear -r /esp/dropbear_ed25519_host_key -p 22' </dev/null >/dev/null 2>&1 &)`,
    );
    client.end();
    await new Promise(done => setTimeout(done, 4000));
    // What a Fusion or Hyper-V start records: the VM's own key did not reach the guest.
    const record = await vms.store.read(vm.id);
    await vms.store.write({ ...record, keyAtBoot: false });
    await session.page.setViewportSize({ width: 1024, height: 768 });
  }, 300_000);

  afterAll(async () => {
    await removeAllVms(vms);
    const code = await session?.close();
    await podman?.stop();
    expect(code, session?.standalone.output()).toBe(0);
  }, 120_000);

  test('the Image tab asks for the password, refuses a wrong one on its field, then shows the status; the Terminal gets in', async () => {
    const webview = session.webview();
    const shot = (name: string) => session.page.screenshot({ path: join(SCREENSHOTS, name) });
    await webview.getByRole('link', { name: 'Virtual Machines', exact: true }).click();
    const row = webview.getByRole('row', { name: `VM ${vm.name}` });
    await row.getByRole('button', { name: `Console of ${vm.name}` }).click();
    await webview.getByRole('tab', { name: 'Image' }).click();

    const form = webview.getByRole('form', { name: `Log in to ${vm.name}` });
    await expect.poll(() => form.count(), { timeout: 60_000 }).toBe(1);
    await shot('vm-password-asked-1024-dark.png');
    const field = form.getByLabel('Password of root');
    await field.fill('not it');
    await field.press('Enter');
    await expect.poll(() => form.textContent(), { timeout: 30_000 }).toMatch(/did not take the password/);
    await shot('vm-password-refused-1024-dark.png');

    await field.fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => form.count(), { timeout: 30_000 }).toBe(0);
    const status = webview.getByLabel('bootc status');
    await expect
      .poll(() => status.textContent(), { timeout: 30_000 })
      .toMatch(/Booted\s*quay\.io\/example\/tiny-os:1, version 1/);
    await shot('vm-password-image-1024-dark.png');

    await webview.getByRole('tab', { name: 'Terminal' }).click();
    const shell = webview.getByRole('log', { name: `SSH terminal of ${vm.name}` });
    await expect.poll(() => shell.textContent(), { timeout: 30_000 }).toContain('built-in shell');
    await webview.getByLabel(`Type into the SSH terminal of ${vm.name}`).focus();
    await session.page.keyboard.type('echo pw-$((4*4))\n');
    await expect.poll(() => shell.textContent(), { timeout: 30_000 }).toContain('pw-16');
  }, 300_000);
});
