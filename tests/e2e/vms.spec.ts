/// <reference lib="dom" />
/**
 * A VM from the UI, with real QEMU booting the tiny test disk (recorded as a finished build):
 * Launch VM from the Disk Images row, watch it run on the Virtual Machines page, open its console
 * and see the boot text, type a command and see its answer, the same in an SSH terminal, see its
 * image's bootc status and check
 * for an update, find it in the host's Resources, stop
 * it, delete it. At Podman Desktop's default width (1024 px), with screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { JobRegistry } from '../../src/jobs/job-registry';
import { VmService } from '../../src/vms/vm-service';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { buildTestDisk, recordTestDiskBuild, TEST_DISK_MARKERS } from '../integration/support/test-disk';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';
import { typeUntilAnswered } from './support/vm-session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');
const IMAGE = 'quay.io/example/tiny-os:1';

describe('a VM from the UI', () => {
  let podman: PodmanService;
  let session: BrowserSession;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const disk = await buildTestDisk();
    podman = await startPodmanService();
    session = await openStandalone(podman);
    await recordTestDiskBuild(disk, session.store, join(session.store, 'output'), 'e2e000000001', IMAGE);
    await session.page.setViewportSize({ width: 1024, height: 768 });
  }, 240_000);

  afterAll(async () => {
    // A VM a failed test left running is stopped before its store goes with the session.
    if (session) {
      const vms = new VmService({
        storeDir: session.store,
        jobs: new JobRegistry(),
        buildDisk: async () => {
          throw new Error('not needed');
        },
      });
      for (const vm of (await vms.list()).vms) await vms.remove(vm.id).catch(() => undefined);
    }
    const code = await session?.close();
    await podman?.stop();
    expect(code, session?.standalone.output()).toBe(0);
  }, 120_000);

  test('launch from the build, see the console, type into it, find it in Resources, stop and delete it', async () => {
    const webview = session.webview();
    const shot = (name: string) => session.page.screenshot({ path: join(SCREENSHOTS, name) });
    await webview.getByRole('link', { name: 'Disk Images', exact: true }).click();
    await webview.getByRole('button', { name: `Launch VM from the build of ${IMAGE}` }).click();
    const dialog = webview.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Memory (MiB)' }).fill('384');
    await dialog.getByRole('textbox', { name: 'CPUs' }).fill('1');
    await shot('vm-launch-1024-dark.png');
    await dialog.getByRole('button', { name: 'Launch' }).click();

    const row = webview.getByRole('row', { name: 'VM tiny-os-1' });
    await expect.poll(() => row.getByLabel('State').textContent(), { timeout: 180_000, interval: 500 }).toBe('Running');
    await expect.poll(() => row.textContent()).toMatch(/root@127\.0\.0\.1:\d+/);
    await shot('vms-1024-dark.png');

    await row.getByRole('button', { name: 'Console of tiny-os-1' }).click();
    const terminal = webview.getByRole('log', { name: 'Console of tiny-os-1' });
    await expect.poll(() => terminal.textContent(), { timeout: 60_000 }).toContain(TEST_DISK_MARKERS.credential);
    // The guest's console shell starts after its SSH server; a line typed before it reads can be lost (seen
    // once in CI under load), so type once the server is up, and again if a slow (TCG) guest missed it.
    await expect.poll(() => terminal.textContent(), { timeout: 60_000 }).toContain(TEST_DISK_MARKERS.ssh);
    await webview.getByLabel('Type into the console of tiny-os-1').focus();
    await typeUntilAnswered(session.page, terminal, 'echo e2e-$((6*7))', 'e2e-42', { interval: 10_000 });
    await shot('vm-console-1024-dark.png');

    // The Terminal tab: an SSH shell through the bridge (the backend's ssh2 session with the VM's key).
    await webview.getByRole('tab', { name: 'Terminal' }).click();
    const shell = webview.getByRole('log', { name: 'SSH terminal of tiny-os-1' });
    await webview.getByLabel('Type into the SSH terminal of tiny-os-1').focus();
    // The guest's shell greets (busybox's ash), then answers what is typed.
    await expect.poll(() => shell.textContent(), { timeout: 30_000 }).toContain('built-in shell');
    await typeUntilAnswered(session.page, shell, 'echo term-$((5*5))', 'term-25');
    await shot('vm-terminal-1024-dark.png');

    // The Image tab: bootc status from the guest (the test disk's stand-in bootc), then a check for an update.
    await webview.getByRole('tab', { name: 'Image' }).click();
    const status = webview.getByLabel('bootc status');
    await expect
      .poll(() => status.textContent(), { timeout: 30_000 })
      .toMatch(/Booted\s*quay\.io\/example\/tiny-os:1, version 1/);
    await webview.getByRole('button', { name: 'Check for update' }).click();
    const output = webview.getByRole('log', { name: 'Output of the last action on tiny-os-1' });
    await expect
      .poll(() => output.textContent(), { timeout: 30_000 })
      .toContain('No changes in: docker://quay.io/example/tiny-os:1');
    await shot('vm-image-1024-dark.png');

    // Podman Desktop's Resources (the host's stand-in): the provider lists the VM as started.
    await session.dismissToasts();
    await session.page.getByRole('button', { name: /^Resources/ }).click();
    const resources = session.page.getByRole('region', { name: 'Resources' });
    const connection = resources.getByLabel('Connection tiny-os-1');
    await expect.poll(() => connection.textContent(), { timeout: 15_000 }).toContain('started');
    await shot('vm-resources-1024-dark.png');
    await session.page.getByRole('button', { name: /^Resources/ }).click();

    await webview.getByRole('button', { name: '← Virtual machines' }).click();
    await row.getByRole('button', { name: 'Stop tiny-os-1' }).click();
    await expect.poll(() => row.getByLabel('State').textContent(), { timeout: 120_000, interval: 500 }).toBe('Stopped');
    await row.getByRole('button', { name: 'Delete tiny-os-1' }).click();
    await webview.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => webview.getByText('No virtual machines yet').count(), { timeout: 30_000 }).toBe(1);
  }, 400_000);
});
