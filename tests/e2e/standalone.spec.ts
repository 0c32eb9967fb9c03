/// <reference lib="dom" />
/**
 * Standalone mode end to end, as a user meets it: the built extension run by `node
 * dist/standalone.js` against a real podman service, driven in Debian's Chromium.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BUSYBOX_BASE, buildImage, createBusyboxBase, machineArch } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import type { StandaloneProcess } from './support/standalone';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');

describe('standalone mode in a browser', () => {
  let podman: PodmanService;
  let session: BrowserSession;
  let standalone: StandaloneProcess;
  let context: BrowserContext;
  let page: Page;

  const webview = (): FrameLocator => session.webview();

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` },
      'quay.io/demo/fedora-bootc-httpd:42',
    );
    await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL ostree.bootable=true\n` },
      'localhost/centos-bootc-kiosk:stream10',
    );
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL role=web\n` }, 'localhost/plain-app:1');
    session = await openStandalone(podman);
    ({ standalone, context, page } = session);
  });

  afterAll(async () => {
    const code = await session?.close();
    await podman?.stop();
    expect(code, standalone?.output()).toBe(0);
  });

  test('the URL opens the extension’s "Bootable Containers" webview, and the token leaves the address bar', async () => {
    expect(page.url()).toBe(`${standalone.origin}/`);
    await expect.poll(() => page.getByRole('button', { name: 'Bootable Containers' }).count()).toBe(1);
    await expect.poll(() => webview().getByRole('heading', { name: 'Bootc Studio' }).count()).toBeGreaterThan(0);
  });

  test('the Images page lists the bootc images of the podman, and nothing else', async () => {
    await webview().getByRole('link', { name: 'Images', exact: true }).click();
    const rows = webview().getByRole('row');
    await expect.poll(() => rows.filter({ hasText: 'fedora-bootc-httpd' }).count()).toBe(1);
    await expect.poll(() => rows.filter({ hasText: 'centos-bootc-kiosk' }).count()).toBe(1);
    expect(await rows.filter({ hasText: 'plain-app' }).count()).toBe(0);
    expect(await rows.filter({ hasText: 'busybox-base' }).count()).toBe(0);
    const httpd = rows.filter({ hasText: 'fedora-bootc-httpd' });
    expect(await httpd.innerText()).toContain(machineArch());
    await page.screenshot({ path: join(SCREENSHOTS, 'images-dark.png') });
  });

  test('search narrows the list', async () => {
    await webview().getByRole('textbox').first().fill('kiosk');
    const rows = webview().getByRole('row');
    await expect.poll(() => rows.filter({ hasText: 'fedora-bootc-httpd' }).count()).toBe(0);
    expect(await rows.filter({ hasText: 'centos-bootc-kiosk' }).count()).toBe(1);
    await webview().getByRole('textbox').first().fill('');
  });

  test('the webview is destroyed and re-created (as Podman Desktop does) and comes back on the same page', async () => {
    await page.reload();
    await expect.poll(() => webview().getByRole('row').filter({ hasText: 'fedora-bootc-httpd' }).count()).toBe(1);
    expect(await webview().getByRole('link', { name: 'Images', exact: true }).getAttribute('aria-current')).toBe(
      'page',
    );
  });

  test('the image context-menu action "Build Disk Image" deep-links to the build form of that image', async () => {
    await page.getByRole('button', { name: 'Image actions' }).click();
    const action = page.getByRole('button', { name: 'Build Disk Image quay.io/demo/fedora-bootc-httpd:42' });
    await action.waitFor();
    // The plain image has no action: the menu's when-clause keeps it off.
    expect(await page.getByRole('region', { name: 'Image actions' }).innerText()).not.toContain('plain-app');
    await action.click();
    await expect.poll(() => webview().getByText('quay.io/demo/fedora-bootc-httpd:42').count()).toBeGreaterThan(0);
    await expect
      .poll(() => webview().getByRole('link', { name: 'Disk Images', exact: true }).getAttribute('aria-current'))
      .toBe('page');
    await page.screenshot({ path: join(SCREENSHOTS, 'deep-link-dark.png') });
  });

  test('the row action of the Images page opens the same build form', async () => {
    await webview().getByRole('link', { name: 'Images', exact: true }).click();
    await webview()
      .getByRole('button', { name: /Build Disk Image.*centos-bootc-kiosk/ })
      .click();
    await expect.poll(() => webview().getByText('localhost/centos-bootc-kiosk:stream10').count()).toBeGreaterThan(0);
  });

  test('light theme, as Podman Desktop’s light theme colours it', async () => {
    await page.getByRole('button', { name: /Switch between the dark and light theme/ }).click();
    await page.waitForLoadState('load');
    await webview().getByRole('link', { name: 'Images', exact: true }).click();
    await expect.poll(() => webview().getByRole('row').filter({ hasText: 'fedora-bootc-httpd' }).count()).toBe(1);
    const background = await webview()
      .locator('body')
      .evaluate(body => getComputedStyle(body).getPropertyValue('--pd-content-bg').trim());
    expect(background).not.toBe('');
    await page.screenshot({ path: join(SCREENSHOTS, 'images-light.png') });
    await page.getByRole('button', { name: /Switch between the dark and light theme/ }).click();
    await page.waitForLoadState('load');
  });

  test('a page on another origin cannot drive it: no WebSocket, no data', async () => {
    const other = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<html><body>attacker</body></html>');
    });
    await new Promise<void>(done => other.listen(0, '127.0.0.1', done));
    try {
      const attacker = await context.newPage();
      await attacker.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      const outcome = await attacker.evaluate(async target => {
        const socket = await new Promise<string>(done => {
          const ws = new WebSocket(`${target.replace('http', 'ws')}/ws/host`);
          ws.onopen = () => done('opened');
          ws.onerror = () => done('refused');
        });
        const fetched = await fetch(`${target}/`, { credentials: 'include' }).then(
          async response =>
            `${response.status} ${(await response.text()).includes('Bootc Studio') ? 'with page' : 'no page'}`,
          () => 'blocked',
        );
        return { socket, fetched };
      }, standalone.origin);
      expect(outcome.socket).toBe('refused');
      // The cookie is SameSite=Strict, so the request arrives without it and is refused; the
      // browser would not let the other origin read the answer anyway.
      expect(outcome.fetched).not.toContain('with page');
      await attacker.close();
    } finally {
      other.close();
    }
  });
});
