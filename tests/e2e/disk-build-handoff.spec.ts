/**
 * The build form on a rootless podman (Linux): before anything runs, the preview says that the
 * build will ask once for administrator rights and what for, and shows the command root will run.
 * The engine is a real user's own podman service; nothing is built (that would use the machine's
 * own root store: the hand-off itself is tested in tests/integration/linux-handoff.spec.ts).
 */
import { mkdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  checkRootlessPodman,
  ensureRootlessUser,
  startRootlessPodman,
  type RootlessPodman,
} from '../integration/support/rootless-user';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');
const IMAGE = 'quay.io/demo/handoff-os:1';
const isRoot = process.getuid?.() === 0;

if (!isRoot)
  console.log('disk-build-handoff.spec: skipped — it needs root (it creates a user for the rootless podman)');

describe.skipIf(!isRoot)('the build form on a rootless podman', () => {
  let rootless: RootlessPodman;
  let session: BrowserSession;
  let output: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const user = await ensureRootlessUser();
    await checkRootlessPodman(user);
    rootless = await startRootlessPodman(user);
    await rootless.importImage(IMAGE, { 'containers.bootc': '1' });
    output = await mkdtemp(join(tmpdir(), 'bootc-studio-e2e-handoff-out-'));
    await chmod(output, 0o755);
    await chown(output, user.uid, user.gid);
    session = await openStandalone(rootless);
  }, 300_000);

  afterAll(async () => {
    const code = await session?.close();
    await rootless?.stop();
    if (output) await rm(output, { recursive: true, force: true });
    expect(code, session?.standalone.output()).toBe(0);
  });

  test('the preview says the build will ask once for administrator rights, and what for', async () => {
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Images', exact: true }).click();
    await webview.getByRole('button', { name: `Build Disk Image from ${IMAGE}` }).click();
    await webview.getByRole('textbox', { name: 'Output folder' }).fill(output);
    await webview.getByRole('checkbox', { name: 'qcow2' }).check();

    const warnings = webview.getByRole('list', { name: 'Preview warnings' });
    await expect.poll(() => warnings.innerText(), { timeout: 15_000 }).toContain('asks once for administrator rights');
    expect(await warnings.innerText()).toContain(`to copy ${IMAGE} to root's podman`);
    const command = await webview.getByLabel('Builder command').innerText();
    expect(command).toMatch(/^sudo podman run --rm --privileged/);
    expect(command).toContain('/var/lib/containers/storage:/var/lib/containers/storage');
    await session.page.screenshot({ path: join(SCREENSHOTS, 'disk-build-handoff-preview-dark.png'), fullPage: true });
  });
});
