/// <reference lib="dom" />
/**
 * From a Containerfile folder to a pushed bootc image, in the browser: build it with the form
 * (live log), find it on the Images page, push it to a real registry and see the push finish.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BUSYBOX_BASE, createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import type { LocalRegistry } from '../integration/support/registry';
import { startRegistry } from '../integration/support/registry';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');

describe('Containerfile → image → registry in standalone mode', () => {
  let podman: PodmanService;
  let registry: LocalRegistry;
  let session: BrowserSession;
  let context: string;
  let ref: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [podman, registry] = await Promise.all([startPodmanService(), startRegistry()]);
    await createBusyboxBase(podman);
    context = mkdtempSync(join(tmpdir(), 'bootc-studio-e2e-context-'));
    writeFileSync(
      join(context, 'Containerfile'),
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo "built by the e2e test" > /etc/motd\n`,
    );
    ref = `${registry.url}/demo/bootc-os:1`;
    session = await openStandalone(podman);
  });

  afterAll(async () => {
    const code = await session?.close();
    await Promise.all([podman?.stop(), registry?.stop()]);
    if (context) rmSync(context, { recursive: true, force: true });
    expect(code, session?.standalone.output()).toBe(0);
  });

  test('the build form builds the Containerfile folder with a live log', async () => {
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Images', exact: true }).click();
    await webview.getByRole('button', { name: 'Build image' }).click();
    await webview.getByLabel('Context folder').fill(context);
    // The Containerfile of the folder is found by the backend.
    await expect.poll(() => webview.getByLabel('Containerfile').inputValue()).toBe('Containerfile');
    await webview.getByLabel('Image name').fill('Not A Valid Name');
    await expect.poll(() => webview.getByText(/not an image reference/).count()).toBeGreaterThan(0);
    await webview.getByLabel('Image name').fill(ref);
    await webview.getByRole('button', { name: 'Build', exact: true }).click();

    const status = webview.getByLabel('Status');
    await expect.poll(() => status.innerText(), { timeout: 60_000 }).toContain('Built');
    const log = await webview.getByRole('log', { name: 'Build log' }).innerText();
    expect(log).toContain('RUN echo "built by the e2e test"');
    await session.page.screenshot({ path: join(SCREENSHOTS, 'build-image-dark.png') });
  });

  test('the built image is on the Images page at once', async () => {
    await session.dismissToasts();
    const webview = session.webview();
    await webview.getByRole('link', { name: 'Images', exact: true }).click();
    await expect.poll(() => webview.getByRole('row').filter({ hasText: 'demo/bootc-os' }).count()).toBe(1);
  });

  test('push to the registry: the dialog follows it to the end, and the registry has the tag', async () => {
    await session.dismissToasts();
    const webview = session.webview();
    await webview.getByRole('button', { name: `Push ${ref}` }).click();
    const dialog = webview.getByRole('dialog', { name: 'Push image' });
    await dialog.getByRole('button', { name: 'Push', exact: true }).click();
    await expect.poll(() => dialog.getByLabel('Status').innerText(), { timeout: 60_000 }).toContain('Pushed');
    await session.page.screenshot({ path: join(SCREENSHOTS, 'push-dark.png') });
    expect(await registry.tags('demo/bootc-os')).toEqual(['1']);
    // What the push reported is what the registry now serves.
    const digest = await registry.manifestDigest('demo/bootc-os', '1');
    expect(digest).toMatch(/^sha256:/);
    // The terminal wraps the long line: its rows joined again, the digest is whole.
    const shown = await dialog.getByRole('log', { name: 'Push log' }).innerText();
    expect(shown.replace(/\s+/g, '')).toContain(digest!);
  });

  test('every tag of the image is a row, the pushed one searchable; Delete on a tag removes just that tag', async () => {
    await session.dismissToasts();
    const local = 'localhost/demo/bootc-os:1';
    const latest = 'localhost/demo/bootc-os:latest';
    await podman.podman(['tag', ref, local, latest]);
    const webview = session.webview();
    // The push dialog of the test before is still open.
    const pushDialog = webview.getByRole('dialog', { name: 'Push image' });
    if ((await pushDialog.count()) > 0)
      await pushDialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    // Tags added outside the page: open the page afresh.
    await webview.getByRole('link', { name: 'Disk Images', exact: true }).click();
    await webview.getByRole('link', { name: 'Images', exact: true }).click();
    const rows = webview.getByRole('row').filter({ hasText: 'demo/bootc-os' });
    await expect.poll(() => rows.count()).toBe(3);
    for (const tag of [ref, local, latest])
      expect(await webview.getByRole('row', { name: tag, exact: true }).count()).toBe(1);

    const search = webview.getByRole('textbox', { name: 'search Bootc images' });
    await search.fill(registry.url);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await webview.getByRole('row', { name: ref, exact: true }).count()).toBe(1);
    await search.fill('');
    await expect.poll(() => rows.count()).toBe(3);

    await webview.getByRole('button', { name: `Delete ${latest}`, exact: true }).click();
    const dialog = webview.getByRole('dialog', { name: 'Delete image' });
    const text = await dialog.innerText();
    expect(text).toContain(`Remove the tag ${latest}`);
    expect(text).toContain('Only this tag goes');
    expect(text).toContain(ref);
    expect(text).toContain(local);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await podman.podman(['image', 'exists', ref]);
    await podman.podman(['image', 'exists', local]);
    await expect(podman.podman(['image', 'exists', latest])).rejects.toThrow();
  });
});
