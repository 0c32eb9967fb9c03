/// <reference lib="dom" />
/**
 * The Image tab of a VM that rpm-ostree manages, and of one managed by neither, in the browser
 * (standalone mode, real QEMU booting the tiny test disk whose guest answers as rpm-ostree, as
 * /esp/manager says): the deployments with what is layered on them, a check that finds a push,
 * an upgrade applied live, the reset dialog that says what it drops; then the same VM answering
 * as neither, offered SSH only. At Podman Desktop's default width (1024 px), with screenshots.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { inGuest } from '../integration/support/test-vms';
import { closeVmSession, openVmSession, type VmSession } from './support/vm-session';

const PUSHED = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';

describe('the Image tab of an rpm-ostree VM', () => {
  let opened: VmSession;

  /** A command in the guest, as the test's own hand (not through the product). */
  const guest = (command: string) => inGuest(opened.vm, command);

  beforeAll(async () => {
    opened = await openVmSession('e2e0570ee001');
    await guest('echo rpm-ostree > /esp/manager');
  }, 300_000);

  afterAll(() => closeVmSession(opened), 120_000);

  test('deployments with layered packages; check, upgrade, apply live; the reset dialog; then neither', async () => {
    const { session, vm, shot } = opened;
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Virtual Machines', exact: true }).click();
    const row = webview.getByRole('row', { name: `VM ${vm.name}` });
    await expect.poll(() => row.getByLabel('State').textContent(), { timeout: 30_000 }).toBe('Running');
    await row.getByRole('button', { name: `Console of ${vm.name}` }).click();
    await webview.getByRole('tab', { name: 'Image' }).click();

    const status = webview.getByLabel('rpm-ostree status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/Managed by\s*rpm-ostree/);
    await expect
      .poll(() => webview.getByLabel('Changes on Booted').textContent())
      .toMatch(/Layered packages: htop, vim-enhanced.*Removed: nano/);
    expect(await status.textContent()).toMatch(/Booted\s*quay\.io\/example\/tiny-os:1, version 41\.1/);
    expect(await status.textContent()).toMatch(/Rollback\s*quay\.io\/example\/tiny-os:1, version 41\.0/);
    await shot('vm-image-rpm-ostree-1024-dark.png');

    // A push, as the guest's stand-in sees it; the check finds it and shows the package preview.
    await guest(`echo '${PUSHED} 41.2' > /esp/rpm-ostree/available`);
    await webview.getByRole('button', { name: 'Check for update' }).click();
    const log = webview.getByRole('log', { name: `Output of the last action on ${vm.name}` });
    // The terminal draws only while it is on screen (below the panel at this height).
    const output = {
      textContent: async () => {
        await log.scrollIntoViewIfNeeded();
        return log.textContent();
      },
    };
    await expect.poll(() => output.textContent(), { timeout: 60_000 }).toContain('Diff: 1 upgraded');
    await expect
      .poll(() => status.textContent(), { timeout: 30_000 })
      .toMatch(/Update available\s*quay\.io\/example\/tiny-os:1, version 41\.2/);

    await webview.getByRole('button', { name: 'Upgrade', exact: true }).scrollIntoViewIfNeeded();
    await webview.getByRole('button', { name: 'Upgrade', exact: true }).click();
    await expect
      .poll(() => status.textContent(), { timeout: 60_000 })
      .toMatch(/Pending\s*quay\.io\/example\/tiny-os:1, version 41\.2.*Reboot to apply, or apply it live/);
    await webview.getByRole('button', { name: 'Apply live' }).click();
    await expect
      .poll(() => output.textContent(), { timeout: 60_000 })
      .toContain('Successfully updated running filesystem tree.');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/Runs changes applied live/);
    await session.dismissToasts();
    await shot('vm-image-rpm-ostree-applied-live-1024-dark.png');

    await webview.getByRole('button', { name: 'Reset to the image…' }).click();
    const dialog = webview.getByRole('dialog', { name: 'Reset to the image' });
    await expect
      .poll(() => dialog.textContent())
      .toMatch(/drops\s+everything changed on top of the image: its layered packages \(htop, vim-enhanced\)/);
    await shot('vm-image-rpm-ostree-reset-1024-dark.png');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await guest('cat /esp/rpm-ostree/calls')).split('\n')).not.toContain('reset');

    // The same guest, managed by neither: the panel says so and offers SSH only.
    await guest('echo none > /esp/manager');
    await webview.getByRole('button', { name: 'Refresh' }).click();
    const none = webview.getByLabel('Image status');
    await expect
      .poll(() => none.textContent(), { timeout: 30_000 })
      .toMatch(/Managed by\s*neither bootc nor rpm-ostree/);
    expect(await webview.getByRole('button', { name: 'Check for update' }).count()).toBe(0);
    expect(await webview.getByRole('button', { name: 'Rebuild & update' }).count()).toBe(0);
    expect(await log.count()).toBe(0);
    await shot('vm-image-neither-1024-dark.png');
    await guest('rm /esp/manager');
  }, 300_000);
});
