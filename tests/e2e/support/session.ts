import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';

import type { PodmanService } from '../../integration/support/podman-service';
import { launchChromium } from './browser';
import type { StandaloneProcess } from './standalone';
import { startStandaloneProcess } from './standalone';

export interface BrowserSession {
  standalone: StandaloneProcess;
  /** Standalone mode's store (`--store`): its records (builds, VMs). */
  store: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The extension's webview (an iframe of the host page). */
  webview(): FrameLocator;
  /** Closes the toasts of the host page, which cover part of the webview as in Podman Desktop. */
  dismissToasts(): Promise<void>;
  /** Closes the browser, stops standalone mode and returns its exit code. */
  close(): Promise<number | null>;
}

/**
 * Standalone mode (`node dist/standalone.js`) on `podman`, opened in Chromium at its URL.
 * `env` adds to (or overrides) the environment standalone mode runs in.
 */
export async function openStandalone(
  podman: Pick<PodmanService, 'url'>,
  env: NodeJS.ProcessEnv = {},
): Promise<BrowserSession> {
  const store = mkdtempSync(join(tmpdir(), 'bootc-studio-e2e-store-'));
  const { CONTAINER_HOST: _unused, ...inherited } = process.env;
  const standalone = await startStandaloneProcess(['--url', podman.url, '--store', store], { ...inherited, ...env });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(standalone.url);
  return {
    standalone,
    store,
    browser,
    context,
    page,
    webview: () => page.frameLocator('#webview'),
    async dismissToasts() {
      for (const button of await page.locator('#toasts button', { hasText: /^(Close|Dismiss)$/ }).all()) {
        await button.click().catch(() => undefined);
      }
    },
    async close() {
      await browser.close();
      const code = await standalone.stop();
      rmSync(store, { recursive: true, force: true });
      return code;
    },
  };
}
