/**
 * A browser session on standalone mode with a VM of the tiny test disk already running: the VM is
 * started by the test on the session's store (the standalone backend finds it there, running), and
 * the page is at Podman Desktop's default width. What the VM pages' e2e specs start from.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

import type { VmInfo } from '../../../src/api/vms';
import { JobRegistry } from '../../../src/jobs/job-registry';
import type { VmService } from '../../../src/vms/vm-service';
import type { PodmanService } from '../../integration/support/podman-service';
import { startPodmanService } from '../../integration/support/podman-service';
import { buildTestDisk, recordTestDiskBuild } from '../../integration/support/test-disk';
import { removeAllVms, startTestDiskVm, testVmService } from '../../integration/support/test-vms';
import type { BrowserSession } from './session';
import { openStandalone } from './session';

export const SCREENSHOTS = resolve(__dirname, '../../artifacts/screenshots');

export interface VmSession {
  podman: PodmanService;
  session: BrowserSession;
  vms: VmService;
  vm: VmInfo;
  /** A screenshot of the page, under tests/artifacts/screenshots. */
  shot(name: string): Promise<unknown>;
}

/** The session, with a VM of a recorded build `buildId` of the test disk started and running. */
export async function openVmSession(buildId: string): Promise<VmSession> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const disk = await buildTestDisk();
  const podman = await startPodmanService();
  const session = await openStandalone(podman);
  await recordTestDiskBuild(disk, session.store, join(session.store, 'output'), buildId);
  await session.page.setViewportSize({ width: 1024, height: 768 });
  const jobs = new JobRegistry();
  const vms = testVmService(session.store, jobs);
  const vm = await startTestDiskVm(vms, jobs, buildId);
  const shot = (name: string) => session.page.screenshot({ path: join(SCREENSHOTS, name) });
  return { podman, session, vms, vm, shot };
}

/** Removes the VMs, closes the session (standalone mode must exit 0), stops podman. */
export async function closeVmSession(opened: VmSession | undefined): Promise<void> {
  if (!opened) return;
  await removeAllVms(opened.vms);
  const code = await opened.session.close();
  await opened.podman.stop();
  expect(code, opened.session.standalone.output()).toBe(0);
}

/**
 * Types `line` (Enter included) into the focused terminal until `terminal` shows `answer`: a guest
 * shell that greets before it reads, or a console still booting, can lose a line typed at once.
 */
export async function typeUntilAnswered(
  page: Page,
  terminal: Locator,
  line: string,
  answer: string,
  { timeout = 45_000, interval = 5_000 } = {},
): Promise<void> {
  await expect
    .poll(
      async () => {
        const text = (await terminal.textContent()) ?? '';
        if (!text.includes(answer)) await page.keyboard.type(`${line}\n`);
        return text;
      },
      { timeout, interval },
    )
    .toContain(answer);
}
