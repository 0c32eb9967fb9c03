/**
 * Standalone mode with its webview opened on its own in Chromium (the document the host page puts
 * in its iframe, loaded as the top-level page): what the page figures measure is then the webview
 * alone — its CPU time (CDP Performance metrics) and its JS heap (CDP Runtime.getHeapUsage) — and
 * the backend's CPU time is read from /proc for standalone mode's process.
 */
import { readFileSync } from 'node:fs';

import type { Browser, CDPSession, Page } from 'playwright-core';

import { launchChromium } from '../e2e/support/browser';
import type { StandaloneProcess } from '../e2e/support/standalone';
import { startStandaloneProcess } from '../e2e/support/standalone';

export interface WebviewPage {
  standalone: StandaloneProcess;
  browser: Browser;
  page: Page;
  cdp: CDPSession;
  /** The webview's own document (what the host page puts in its iframe). */
  webviewUrl: string;
  /** Loads the webview again, on `route` (e.g. `/disk-images/details?build=ID`). */
  open(route: string): Promise<void>;
  close(): Promise<void>;
}

/** Standalone mode on `podmanUrl` with its records in `store`, and its webview in a page of its own. */
export async function openWebviewPage(podmanUrl: string, store: string): Promise<WebviewPage> {
  const { CONTAINER_HOST: _unused, ...env } = process.env;
  const standalone = await startStandaloneProcess(['--url', podmanUrl, '--store', store], env);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // The host page makes the panel and hands its document to an iframe; that document is the webview.
    await page.goto(standalone.url);
    const src = await page.locator('#webview').getAttribute('src', { timeout: 30_000 });
    if (!src) throw new Error('the host page has no webview iframe');
    const webviewUrl = new URL(src, standalone.url).href;
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    let route = '/';
    // The webview starts on the route of its saved state; the benchmarks choose it.
    await page.addInitScript(() => {
      let config: { state?: Record<string, unknown> } | undefined;
      Object.defineProperty(window, '__bootcStudioWebview', {
        configurable: true,
        get: () => config,
        set(value: { state?: Record<string, unknown> }) {
          const wanted = (window as unknown as { __benchRoute?: string }).__benchRoute;
          config = wanted ? { ...value, state: { ...(value.state ?? {}), route: wanted } } : value;
        },
      });
    });
    await page.addInitScript(() => {
      (window as unknown as { __benchRoute?: string }).__benchRoute = sessionStorage.getItem('bench-route') ?? '';
    });
    return {
      standalone,
      browser,
      page,
      cdp,
      webviewUrl,
      async open(next: string) {
        route = next;
        await page.goto(webviewUrl);
        await page.evaluate(value => sessionStorage.setItem('bench-route', value), route);
        await page.goto(webviewUrl);
      },
      async close() {
        await browser?.close();
        await standalone.stop();
      },
    };
  } catch (err: unknown) {
    await browser?.close();
    await standalone.stop();
    throw err;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) in parentheses: utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** sysconf(_SC_CLK_TCK): 100 on Linux for every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** The webview page's main-thread time so far, ms: CDP's TaskDuration (all its tasks) and ScriptDuration. */
export async function pageCpuMs(cdp: CDPSession): Promise<{ task: number; script: number }> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const value = (name: string): number => (metrics.find(metric => metric.name === name)?.value ?? 0) * 1000;
  return { task: value('TaskDuration'), script: value('ScriptDuration') };
}

/** The webview's JS heap in use, bytes, after a garbage collection. */
export async function pageHeapBytes(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return usedSize;
}
