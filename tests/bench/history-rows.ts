/**
 * The history rows of `npm run bench` (the Disk Images and Images pages timed in Chromium, the
 * Images page's heap), and `npm run bench -- --only history`, which makes only them.
 */
import { existsSync } from 'node:fs';

import { BUSYBOX_BASE, buildImage, createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { findExecutable } from '../integration/support/run-process';
import type { Figure } from './figures';
import { mb, ms, showSpread } from './figures';
import { historyFigures, HISTORY_BUILDS, HISTORY_TAGS } from './history-figures';

/** The two history pages and the Images page's heap, on `service` (a bootc image is built into it). */
export async function historyRows(runs: number, service: PodmanService): Promise<Figure[]> {
  const names = historyNames();
  await createBusyboxBase(service);
  const image = 'localhost/bench-os:1';
  await buildImage(service, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, image);
  const history = await historyFigures(runs, service, image);
  return [
    {
      figure: `${names[0]}: click → last row painted (backend’s answer included)`,
      value: `${showSpread(history.builds, ms)}, ${history.buildRows} rows`,
      goal: '≤ 100 ms',
      met: history.builds.median <= 100,
      data: history,
    },
    {
      figure: `${names[1]}: click → last row painted (backend’s answer included)`,
      value: `${showSpread(history.tags, ms)}, ${history.tagRows} rows`,
      goal: '≤ 100 ms',
      met: history.tags.median <= 100,
    },
    {
      figure: `${names[2]} (after GC), 1 image / ${HISTORY_TAGS} tags`,
      value: `${showSpread(history.imagesPageHeapOneImage, mb)} / ${showSpread(history.imagesPageHeap, mb)}`,
      goal: '≤ 3.9 MB (the reference’s)',
      met: history.imagesPageHeapOneImage.median <= 3.9 * 1024 * 1024,
    },
  ];
}

function historyNames(): string[] {
  return [
    `Disk Images page, ${HISTORY_BUILDS} builds`,
    `Images page, ${HISTORY_TAGS} tags`,
    'webview JS heap on the Images page',
  ];
}

/** `--only history`: the history rows alone, on a podman service started here. */
export async function historyOnly(runs: number): Promise<Figure[]> {
  const skipped = (why: string): Figure[] =>
    historyNames().map(figure => ({ figure, value: `skipped: ${why}`, goal: '—' }));
  if (!findExecutable('podman')) return skipped('podman is not installed');
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) return skipped('Chromium is not installed');
  let service: PodmanService | undefined;
  try {
    service = await startPodmanService();
    return await historyRows(runs, service);
  } finally {
    await service?.stop();
  }
}
