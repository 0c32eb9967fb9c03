/**
 * History: the Disk Images page with 1 000 builds in the store and the Images page with 500 tags of
 * one bootc image in podman, each timed in Chromium from the click on its navigation link to the
 * frame after its rows are in the document (every row, or the first screenful of a windowed list) (what the user waits for: the backend's answer, the
 * page's render, the paint). The webview's JS heap on the Images page (after a garbage collection)
 * is read in the same session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { PodmanService } from '../integration/support/podman-service';
import { writeFinishedBuilds } from './bench-records';
import type { Spread } from './figures';
import { spread } from './figures';
import type { WebviewPage } from './webview-page';
import { openWebviewPage, pageHeapBytes, processCpuMs } from './webview-page';

export const HISTORY_BUILDS = 1000;
export const HISTORY_TAGS = 500;

export interface HistoryResult {
  builds: Spread;
  tags: Spread;
  /** Rows found on each page (the figure is void when they are not all there). */
  buildRows: number;
  tagRows: number;
  /** Bytes, on the Images page with its 500 rows, after a collection; and on the start page. */
  imagesPageHeap: Spread;
  /** The same with the one image untagged (one row), as a session with a few images has it. */
  imagesPageHeapOneImage: Spread;
  dashboardHeap: Spread;
}

/** The image tagged `count` times (one `podman tag` with every new name): `localhost/bench-os:1` … */
export async function tagImage(podman: PodmanService, image: string, count: number): Promise<void> {
  const names = Array.from({ length: count - 1 }, (_, i) => `localhost/bench-os-${i + 2}:1`);
  for (let at = 0; at < names.length; at += 100) await podman.podman(['tag', image, ...names.slice(at, at + 100)]);
}

/** ms from the click on the link to `href` until `rows` rows are in the page, and the frame after. */
async function timeNavigation(page: WebviewPage, href: string, rows: number): Promise<{ ms: number; rows: number }> {
  return page.page.evaluate(
    async ({ href, rows }) => {
      const link = document.querySelector<HTMLAnchorElement>(`nav a[href="#${href}"]`);
      if (!link) throw new Error(`no link to ${href}`);
      const start = performance.now();
      link.click();
      const count = () => document.querySelectorAll('table tbody tr').length;
      // A long list shows its first screenful and says how many there are (row-window.svelte.ts).
      const windowed = () => document.querySelector('table tbody')?.textContent?.includes(` of ${rows} `) ?? false;
      const deadline = start + 60_000;
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (count() >= rows || windowed()) resolve();
          else if (performance.now() > deadline) reject(new Error(`only ${count()} of ${rows} rows after 60 s`));
          else requestAnimationFrame(check);
        };
        check();
      });
      // The frame that paints them.
      await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
      return { ms: performance.now() - start, rows: count() };
    },
    { href, rows },
  );
}

/** Waits (at most 2 minutes) until standalone mode's process used under 5 % of a core for a second. */
export async function backendQuiet(page: WebviewPage): Promise<void> {
  const deadline = performance.now() + 120_000;
  let last = processCpuMs(page.standalone.pid);
  while (performance.now() < deadline) {
    await sleep(1000);
    const now = processCpuMs(page.standalone.pid);
    if (now - last < 50) return;
    last = now;
  }
}

async function toDashboard(page: WebviewPage): Promise<void> {
  await page.page.evaluate(() => document.querySelector<HTMLAnchorElement>('nav a[href="#/"]')?.click());
  await page.page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 0);
  await sleep(300);
}

/** `podman` must already hold the bootc image `image`; it gets its tags here. */
export async function historyFigures(runs: number, podman: PodmanService, image: string): Promise<HistoryResult> {
  const store = mkdtempSync(join(tmpdir(), 'bootc-studio-bench-history-'));
  let page: WebviewPage | undefined;
  try {
    await writeFinishedBuilds(store, HISTORY_BUILDS);
    page = await openWebviewPage(podman.url, store);
    await page.open('/');
    await page.page.waitForSelector('nav a[href="#/images"]', { timeout: 30_000 });
    const oneImage: number[] = [];
    for (let run = 0; run <= runs; run++) {
      await toDashboard(page);
      await timeNavigation(page, '/images', 1);
      await sleep(300);
      if (run > 0) oneImage.push(await pageHeapBytes(page.cdp));
    }
    await toDashboard(page);
    await tagImage(podman, image, HISTORY_TAGS);
    // Each tag is an engine event the backend answers: let that settle before anything is timed.
    await backendQuiet(page);
    const builds: number[] = [];
    const tags: number[] = [];
    const imagesHeap: number[] = [];
    const dashboardHeap: number[] = [];
    let buildRows = 0;
    let tagRows = 0;
    // One warm-up round (the pages' chunks are loaded once, as in a session), then the runs.
    for (let run = 0; run <= runs; run++) {
      await toDashboard(page);
      if (run > 0) dashboardHeap.push(await pageHeapBytes(page.cdp));
      const disk = await timeNavigation(page, '/disk-images', HISTORY_BUILDS);
      await toDashboard(page);
      const images = await timeNavigation(page, '/images', HISTORY_TAGS);
      await sleep(500);
      if (run === 0) continue;
      builds.push(disk.ms);
      tags.push(images.ms);
      buildRows = disk.rows;
      tagRows = images.rows;
      imagesHeap.push(await pageHeapBytes(page.cdp));
    }
    return {
      builds: spread(builds),
      tags: spread(tags),
      buildRows,
      tagRows,
      imagesPageHeap: spread(imagesHeap),
      imagesPageHeapOneImage: spread(oneImage),
      dashboardHeap: spread(dashboardHeap),
    };
  } finally {
    await page?.close();
    rmSync(store, { recursive: true, force: true });
  }
}
