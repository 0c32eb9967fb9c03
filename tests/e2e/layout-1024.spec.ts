/// <reference lib="dom" />
/**
 * Every list page at Podman Desktop's default window width (1024 px), with names far longer than
 * the columns: nothing scrolls sideways, names are cut with an ellipsis (whole in their tooltip)
 * and never broken mid-word, row actions are icon buttons with a tooltip and an accessible name,
 * and the disk build's xterm log follows its box as the window is resized. Screenshots of each
 * page land in tests/artifacts/screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { FrameLocator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BUSYBOX_BASE, buildImage, createBusyboxBase, machineArch } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  tempOutput,
} from '../integration/support/stand-in-builder';
import type { BrowserSession } from './support/session';
import { openStandalone } from './support/session';

const SCREENSHOTS = resolve(__dirname, '../artifacts/screenshots');
const LONG_REPO = 'quay.io/an-organisation-with-a-rather-long-name/fedora-bootc-workstation-with-developer-tools';
const LONG_REF = `${LONG_REPO}:2026.12-experimental-nightly-build`;
const SHORT_REF = 'quay.io/demo/fedora-bootc:42';

interface Layout {
  /** How far the page scrolls sideways (0 when it fits). */
  pageOverflow: number;
  /** Elements that scroll sideways, or stick out of the window on the right. */
  wide: string[];
  /** Words drawn on more than one line (broken mid-word). */
  brokenWords: string[];
}

/** What sticks out of the webview's width, measured in the webview. */
function measure(webview: FrameLocator): Promise<Layout> {
  return webview.locator('body').evaluate(body => {
    const doc = body.ownerDocument;
    const view = doc.defaultView!;
    const width = doc.documentElement.clientWidth;
    const describe = (element: Element): string =>
      `${element.tagName.toLowerCase()}${element.getAttribute('aria-label') ? `[${element.getAttribute('aria-label')}]` : ''}: ${(element.textContent ?? '').trim().slice(0, 60)}`;
    const wide: string[] = [];
    for (const element of Array.from(doc.querySelectorAll('body *'))) {
      if (element.closest('.xterm')) continue;
      const style = view.getComputedStyle(element);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const scrolls = ['auto', 'scroll'].includes(style.overflowX) && element.scrollWidth > element.clientWidth + 1;
      const sticksOut = element.getBoundingClientRect().right > width + 1;
      if (scrolls || sticksOut) wide.push(describe(element));
    }
    // A word broken across lines is drawn as two boxes.
    const brokenWords: string[] = [];
    const walker = doc.createTreeWalker(doc.querySelector('main') ?? body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      if (node.parentElement?.closest('pre, .xterm, [aria-hidden="true"]')) continue;
      const range = doc.createRange();
      for (const match of text.matchAll(/\S+/g)) {
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set(Array.from(range.getClientRects()).map(rect => Math.round(rect.top)));
        if (lines.size > 1) brokenWords.push(match[0]);
      }
    }
    return { pageOverflow: doc.documentElement.scrollWidth - width, wide, brokenWords };
  });
}

/** The buttons of each row: icon-only, with a tooltip, and an accessible name that begins as the tooltip does. */
function rowActions(webview: FrameLocator, table: string) {
  return webview.getByRole('table', { name: table }).evaluate(element =>
    Array.from(element.querySelectorAll('tbody tr button')).map(button => ({
      name: button.getAttribute('aria-label') ?? '',
      title: button.getAttribute('title') ?? '',
      text: (button.textContent ?? '').trim(),
      hasIcon: button.querySelector('svg') !== null,
      width: button.getBoundingClientRect().width,
    })),
  );
}

function expectIconButtons(actions: Awaited<ReturnType<typeof rowActions>>): void {
  expect(actions.length).toBeGreaterThan(0);
  for (const action of actions) {
    expect(action.text, action.name).toBe('');
    expect(action.hasIcon, action.name).toBe(true);
    expect(action.title, action.name).not.toBe('');
    expect(action.name.split(/[ :]/)[0], action.name).toBe(action.title.split(/[ :]/)[0]);
    expect(action.width, action.name).toBeLessThanOrEqual(32);
  }
}

describe('list pages at 1024 px with long names', () => {
  let podman: PodmanService;
  let session: BrowserSession;
  let output: string;

  const webview = (): FrameLocator => session.webview();
  const shot = (name: string) => session.page.screenshot({ path: join(SCREENSHOTS, name) });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createStandInBuilder(podman);
    await createBootcTestImage(podman, LONG_REF);
    // Another image (not another tag of the same one), so that both are listed.
    await buildImage(
      podman,
      { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nLABEL role=short\n` },
      SHORT_REF,
    );
    output = join(await tempOutput(podman), 'disk-images-of-the-workstation-with-developer-tools-nightly');
    mkdirSync(output, { recursive: true });
    session = await openStandalone(podman);
    await session.page.setViewportSize({ width: 1024, height: 768 });
  });

  afterAll(async () => {
    const code = await session?.close();
    await podman?.stop();
    expect(code, session?.standalone.output()).toBe(0);
  });

  test('Dashboard: fits', async () => {
    await expect
      .poll(() => webview().getByRole('list', { name: 'Running engines' }).count(), { timeout: 30_000 })
      .toBe(1);
    const layout = await measure(webview());
    expect(layout).toEqual({ pageOverflow: 0, wide: [], brokenWords: [] });
    await shot('dashboard-1024-dark.png');
  });

  test('Images: no sideways scroll, the long name ends in an ellipsis, the actions are icons', async () => {
    await webview().getByRole('link', { name: 'Images', exact: true }).click();
    const row = webview().getByRole('row', { name: LONG_REF });
    await row.waitFor();
    const layout = await measure(webview());
    expect(layout).toEqual({ pageOverflow: 0, wide: [], brokenWords: [] });

    const name = row.getByTitle(LONG_REF);
    const cut = await name.evaluate(element => ({
      truncated: element.scrollWidth > element.clientWidth,
      ellipsis: getComputedStyle(element).textOverflow,
    }));
    expect(cut).toEqual({ truncated: true, ellipsis: 'ellipsis' });

    expectIconButtons(await rowActions(webview(), 'Bootc images'));
    expect(await row.getByRole('button', { name: `Delete ${LONG_REF}` }).count()).toBe(1);
    await shot('images-1024-dark.png');
  });

  test('Examples: fits', async () => {
    await webview().getByRole('link', { name: 'Examples', exact: true }).click();
    await expect.poll(() => webview().getByRole('article').count()).toBeGreaterThan(0);
    const layout = await measure(webview());
    expect(layout).toEqual({ pageOverflow: 0, wide: [], brokenWords: [] });
    await shot('examples-1024-dark.png');
  });

  test('a disk build of the long-named image; its success toast closes by itself', async () => {
    // On a loaded machine the form's first look at the image can time out: open it again then.
    const inspectFailed = webview().getByText(/Could not inspect the image/);
    const archChosen = webview().getByRole('radio', { name: machineArch() });
    for (let attempt = 1; ; attempt++) {
      await webview().getByRole('link', { name: 'Images', exact: true }).click();
      await webview()
        .getByRole('button', { name: `Build Disk Image from ${LONG_REF}` })
        .click();
      await expect
        .poll(async () => (await inspectFailed.count()) > 0 || (await archChosen.isChecked()), { timeout: 30_000 })
        .toBe(true);
      if (await archChosen.isChecked()) break;
      if (attempt === 3) throw new Error(await inspectFailed.innerText());
    }
    await webview().getByRole('textbox', { name: 'Output folder' }).fill(output);
    await webview().getByRole('checkbox', { name: 'qcow2' }).check();
    await webview().getByLabel('Builder', { exact: true }).click();
    await webview().getByRole('button', { name: 'Another builder image…' }).click();
    await webview().getByLabel('Builder image').fill(STAND_IN_BUILDER);
    const build = webview().getByRole('button', { name: 'Build', exact: true });
    // The form reads the image's architectures and previews the command first.
    await expect
      .poll(() => build.isEnabled(), { timeout: 60_000 })
      .toBe(true)
      .catch(async (error: unknown) => {
        await session.page.screenshot({ path: join(SCREENSHOTS, 'disk-build-form-1024-disabled.png'), fullPage: true });
        throw error;
      });
    await build.click();
    await session.page.mouse.move(1, 1);
    await expect
      .poll(() => webview().getByLabel('Status').innerText(), { timeout: 150_000 })
      .toBe('Succeeded')
      .catch(async (error: unknown) => {
        await shot('disk-build-1024-failed.png');
        throw error;
      });

    const toast = session.page.locator('#toasts .toast', { hasText: `Disk image of ${LONG_REF} built` });
    await expect.poll(() => toast.count(), { timeout: 10_000 }).toBe(1);
    const shown = Date.now();
    await expect.poll(() => toast.count(), { timeout: 15_000, interval: 250 }).toBe(0);
    expect(Date.now() - shown).toBeGreaterThan(2_000);
  }, 240_000);

  test('the build log follows the width of its box as the window is resized', async () => {
    const log = webview().getByRole('log', { name: 'Build log' });
    await expect.poll(() => log.innerText()).toContain('Build complete!');
    const fit = () =>
      log.evaluate(element => {
        const style = getComputedStyle(element);
        const box = element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const screen = element.querySelector('.xterm-screen')!.getBoundingClientRect().width;
        return { box, screen, window: element.ownerDocument.documentElement.clientWidth };
      });
    const widths: Record<number, { box: number; screen: number }> = {};
    for (const width of [1024, 1440, 800, 1024]) {
      await session.page.setViewportSize({ width, height: 768 });
      await expect
        .poll(async () => {
          const now = await fit();
          // Within the box, leaving at most xterm's scrollbar (14 px) and one cell (~8 px) unused.
          return now.screen <= now.box && now.box - now.screen <= 24;
        })
        .toBe(true);
      widths[width] = await fit();
      expect((await measure(webview())).wide).toEqual([]);
    }
    expect(widths[1440].screen).toBeGreaterThan(widths[800].screen + 300);
    await shot('disk-build-details-1024-dark.png');
  });

  test('Disk images: no sideways scroll, image and folder end in an ellipsis, the actions are icons', async () => {
    await webview().getByRole('link', { name: 'Disk Images', exact: true }).click();
    const table = webview().getByRole('table', { name: 'Disk image builds' });
    await expect.poll(() => table.getByTitle(LONG_REF).count()).toBe(1);
    const layout = await measure(webview());
    expect(layout).toEqual({ pageOverflow: 0, wide: [], brokenWords: [] });
    expectIconButtons(await rowActions(webview(), 'Disk image builds'));
    const logs = table.getByRole('button', { name: `Logs of the build of ${LONG_REF}` });
    expect(await logs.getAttribute('title')).toMatch(/^Logs\b/);
    await shot('disk-images-1024-dark.png');
  });

  test('light theme: help text is grey, not the purple of links', async () => {
    await session.page.getByRole('button', { name: /Switch between the dark and light theme/ }).click();
    await session.page.waitForLoadState('load');
    await webview().getByRole('link', { name: 'Images', exact: true }).click();
    await webview().getByRole('button', { name: 'Build image' }).click();
    const help = webview().getByText(/everything the Containerfile COPYs/);
    const colour = await help.evaluate(element => getComputedStyle(element).color);
    const [r, g, b] = (colour.match(/\d+/g) ?? []).map(Number);
    // PD's purple is rgb(142, 81, 255): a grey has its three channels close together.
    expect(Math.max(r, g, b) - Math.min(r, g, b), colour).toBeLessThan(24);
    await shot('build-image-1024-light.png');
    await webview().getByRole('link', { name: 'Images', exact: true }).click();
    await webview().getByRole('row', { name: LONG_REF }).waitFor();
    await shot('images-1024-light.png');
    await session.page.getByRole('button', { name: /Switch between the dark and light theme/ }).click();
    await session.page.waitForLoadState('load');
  });
});
