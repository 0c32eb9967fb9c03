/// <reference lib="dom" />
/**
 * A VM that only a password gets into, from the UI, with real QEMU booting the tiny test disk: the
 * guest is made to take a password only (its key taken away, dropbear restarted with passwords
 * allowed) and its record says its own key did not reach it at boot, as for a VMware Fusion or
 * Hyper-V VM whose image has no key of the user's. The Image tab asks for the password; a wrong one
 * is refused on the field; the right one shows bootc's status, and the Terminal tab gets in too.
 * At 1024 px, with screenshots.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { guestTakesPasswordOnly } from '../integration/support/test-vms';
import { closeVmSession, openVmSession, typeUntilAnswered, type VmSession } from './support/vm-session';

const PASSWORD = 'correct horse "battery"';

describe('a VM only a password gets into, from the UI', () => {
  let opened: VmSession;

  beforeAll(async () => {
    opened = await openVmSession('e2e00000a55d');
    await guestTakesPasswordOnly(opened.vm, PASSWORD);
    // What a Fusion or Hyper-V start records: the VM's own key did not reach the guest.
    const record = await opened.vms.store.read(opened.vm.id);
    await opened.vms.store.write({ ...record, keyAtBoot: false });
  }, 300_000);

  afterAll(() => closeVmSession(opened), 120_000);

  test('the Image tab asks for the password, refuses a wrong one on its field, then shows the status; the Terminal gets in', async () => {
    const { session, vm, shot } = opened;
    const webview = session.webview();
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
    await typeUntilAnswered(session.page, shell, 'echo pw-$((4*4))', 'pw-16');
  }, 300_000);
});
