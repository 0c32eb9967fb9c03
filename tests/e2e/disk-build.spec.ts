/// <reference lib="dom" />
/**
 * The seed walkthrough's disk build in the browser: from the image's "Build Disk Image" action,
 * fill the form as a user would (user demo / changeit / wheel, kernel argument audit=0), build with
 * the stand-in builder, watch the progress reach 100 % and open the log. The artifact and the
 * config the builder received are then checked on disk. "Open folder" runs against a desktop
 * opener that fails (as xdg-open does with no desktop), so the user must be told the folder.
 */
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  tempOutput,
} from '../integration/support/stand-in-builder';
import { desktopOpener } from '../../src/standalone/desktop-opener';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');

describe('disk build from the UI with the stand-in builder', () => {
  let podman: PodmanService;
  let session: BrowserSession;
  let output: string;
  let openerBin: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createStandInBuilder(podman);
    await createBootcTestImage(podman, 'quay.io/demo/fedora-bootc:42');
    output = await tempOutput(podman);
    // Whatever this machine's desktop would do, its opener here fails the way xdg-open does without one.
    openerBin = mkdtempSync(join(tmpdir(), 'bootc-studio-e2e-opener-'));
    const opener = join(openerBin, desktopOpener(process.platform));
    writeFileSync(opener, `#!/bin/sh\necho "xdg-open: no method available for opening '$1'" >&2\nexit 3\n`);
    chmodSync(opener, 0o755);
    session = await openStandalone(podman, { PATH: `${openerBin}${delimiter}${process.env.PATH}` });
  });

  afterAll(async () => {
    const code = await session?.close();
    await podman?.stop();
    if (openerBin) rmSync(openerBin, { recursive: true, force: true });
    expect(code, session?.standalone.output()).toBe(0);
  });

  test('fill the form as a user would and start the build', async () => {
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Images', exact: true }).click();
    await webview.getByRole('button', { name: 'Build Disk Image from quay.io/demo/fedora-bootc:42' }).click();

    await webview.getByRole('textbox', { name: 'Output folder' }).fill(output);
    await webview.getByRole('checkbox', { name: 'qcow2' }).check();
    await webview.getByRole('checkbox', { name: 'raw' }).check();
    await webview.getByLabel('Builder', { exact: true }).click();
    await webview.getByRole('button', { name: 'Another builder image…' }).click();
    await webview.getByLabel('Builder image').fill(STAND_IN_BUILDER);

    await webview.getByRole('button', { name: 'Add user' }).click();
    await webview.getByLabel('User 1 name').fill('demo');
    await webview.getByLabel('User 1 password').fill('changeit');
    await webview.getByLabel('User 1 groups').fill('wheel');
    await webview.getByRole('button', { name: 'Add kernel argument' }).click();
    await webview.getByLabel('Kernel argument 1', { exact: true }).fill('audit=0');

    // The preview shows what will run, with the password masked.
    const preview = webview.getByRole('region', { name: 'Preview', exact: true });
    await expect.poll(() => preview.innerText()).toContain('audit=0');
    expect(await preview.innerText()).not.toContain('changeit');
    await session.page.screenshot({ path: join(SCREENSHOTS, 'disk-build-form-dark.png'), fullPage: true });

    await webview.getByRole('button', { name: 'Build', exact: true }).click();
    await expect.poll(() => webview.getByLabel('Status').innerText(), { timeout: 90_000 }).toBe('Succeeded');
  });

  test('the details page shows the artifacts and the log', async () => {
    const webview = session.webview();
    const files = webview.getByRole('table', { name: 'Files' });
    await expect.poll(() => files.innerText()).toContain('qcow2');
    expect(await files.innerText()).toContain('raw');
    await expect
      .poll(() => webview.getByRole('region', { name: 'Log', exact: true }).innerText())
      .toContain('Build complete!');
    await session.page.screenshot({ path: join(SCREENSHOTS, 'disk-build-details-dark.png') });
  });

  test('on disk: the artifacts at their paths, the config with a crypt hash, and no plain password anywhere', async () => {
    expect(statSync(join(output, 'qcow2/disk.qcow2')).size).toBeGreaterThan(0);
    expect(statSync(join(output, 'image/disk.raw')).size).toBeGreaterThan(0);
    for (const file of walk(output)) {
      expect(readFileSync(file, 'utf8').includes('changeit'), file).toBe(false);
    }
    const received = join(output, 'stand-in-config.toml');
    if (existsSync(received)) expect(readFileSync(received, 'utf8')).toMatch(/\$6\$/);
  });

  test('the Disk Images page lists the build', async () => {
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Disk Images', exact: true }).click();
    await expect
      .poll(() => webview.getByRole('row').filter({ hasText: 'quay.io/demo/fedora-bootc:42' }).count())
      .toBe(1);
  });

  test('Open folder: when the desktop cannot open it, a message names the folder', async () => {
    await session.dismissToasts();
    const webview = session.webview();
    await webview.getByRole('button', { name: 'Open the folder of the build of quay.io/demo/fedora-bootc:42' }).click();
    const message = session.page.getByRole('alert').filter({ hasText: `Could not open ${output}: ` });
    await expect.poll(() => message.count()).toBe(1);
    expect(await message.innerText()).toContain(`${desktopOpener(process.platform)} exited with code 3`);
    await session.page.screenshot({ path: join(SCREENSHOTS, 'disk-build-open-folder-dark.png') });
  });

  test('the form says what Build would do before it: a new folder will be created; no message before its time', async () => {
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Images', exact: true }).click();
    await webview.getByRole('button', { name: 'Build Disk Image from quay.io/demo/fedora-bootc:42' }).click();
    await webview.getByLabel('Builder', { exact: true }).click();
    await webview.getByRole('button', { name: 'Another builder image…' }).click();
    // Nothing typed there yet: no error under the field, and no internal field name anywhere.
    const form = webview.getByRole('form', { name: 'Build disk image' });
    expect(await form.innerText()).not.toContain('an image reference is required');
    expect(await form.innerText()).not.toMatch(/outputDir|builder\.image|engineId/);
    await webview.getByLabel('Builder image').fill(STAND_IN_BUILDER);

    const fresh = join(output, 'fresh', 'disks');
    await webview.getByRole('textbox', { name: 'Output folder' }).fill(fresh);
    await expect
      .poll(() => webview.getByRole('note', { name: 'Output folder note' }).innerText(), { timeout: 15_000 })
      .toBe(`${fresh} does not exist yet: it will be created`);
    await session.page.screenshot({ path: join(SCREENSHOTS, 'disk-build-form-new-folder-dark.png'), fullPage: true });
    await webview.getByRole('button', { name: 'Build', exact: true }).click();
    await expect.poll(() => webview.getByLabel('Status').innerText(), { timeout: 90_000 }).toBe('Succeeded');
    expect(statSync(join(fresh, 'qcow2/disk.qcow2')).size).toBeGreaterThan(0);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
