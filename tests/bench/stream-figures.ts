/**
 * Log streaming: a log written line by line while its view is open, at 10 000 and at 100 000 lines,
 * and the CPU time it cost the backend (standalone mode's process, from /proc) and the page (the
 * webview's main thread, CDP TaskDuration). Work proportional to the new bytes makes the 100 000-line
 * figure about 10× the 10 000-line one; work proportional to all the bytes so far makes it about 100×.
 *
 * - Build log: a build in the store run by this process (its lease held here, as the CLI holds one
 *   while Podman Desktop shows the build), its log file written as the builder's output is; the page
 *   is the build's details page (JobLog: the job's record says how many lines exist, the page reads
 *   them by line cursor).
 * - VM console: a VM of the store (made by the product's VmService from a small qcow2), its
 *   console.log written as QEMU writes the serial port's output there; the page is the VM's details
 *   page (VmConsole: reads the file by byte offset every 300 ms).
 *
 * Lines are written in batches of BATCH every TICK_MS (5 000 lines a second), the pace of a chatty
 * builder; the figure ends when the page shows the last line.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { JobRegistry } from '../../src/jobs/job-registry';
import { VmService } from '../../src/vms/vm-service';
import { findExecutable } from '../integration/support/run-process';
import { writeRunningBuild } from './bench-records';
import type { Spread } from './figures';
import { spread } from './figures';
import type { WebviewPage } from './webview-page';
import { openWebviewPage, pageCpuMs, processCpuMs } from './webview-page';

const BATCH = 250;
const TICK_MS = 50;
export const STREAM_SIZES = [10_000, 100_000] as const;

export interface StreamSample {
  lines: number;
  backendMs: number;
  pageMs: number;
  pageScriptMs: number;
  wallMs: number;
}

export interface StreamResult {
  /** Per size: the spread of backend and page CPU ms. */
  sizes: { lines: number; backend: Spread; page: Spread; pageScript: Spread; wall: Spread }[];
  backendRatio: number;
  pageRatio: number;
}

/** What a run streams into: the page's route, how text is added, and what ends the run. */
interface StreamSource {
  route: string;
  append(text: string): void;
  done(): Promise<void>;
}

/** One line of the source's kind: line `n` of `total` (the last one says so, for the page to show). */
type LineOf = (n: number, total: number) => string;

/** Writes `lines` lines through `append` at the benchmark's pace. */
async function stream(lines: number, append: (text: string) => void, line: LineOf): Promise<void> {
  let written = 0;
  let due = performance.now();
  while (written < lines) {
    const count = Math.min(BATCH, lines - written);
    let text = '';
    for (let i = 0; i < count; i++) text += line(written + i + 1, lines);
    append(text);
    written += count;
    due += TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

/** The text of the last line, which the page must show for a run to end. */
const endMark = (total: number) => `${total}/${total} end`;

/** Waits until the terminal of the page shows `text` (xterm's screen-reader rows hold the visible lines). */
async function shown(page: WebviewPage, text: string, timeoutMs: number): Promise<void> {
  await page.page.waitForFunction(
    wanted => document.querySelector('.xterm-accessibility-tree')?.textContent?.includes(wanted) ?? false,
    text,
    { polling: 200, timeout: timeoutMs },
  );
}

async function measureOnce(
  page: WebviewPage,
  lines: number,
  source: StreamSource,
  line: LineOf,
): Promise<StreamSample> {
  const backend0 = processCpuMs(page.standalone.pid);
  const page0 = await pageCpuMs(page.cdp);
  const start = performance.now();
  await stream(lines, source.append, line);
  await shown(page, endMark(lines), 180_000);
  const wallMs = performance.now() - start;
  const page1 = await pageCpuMs(page.cdp);
  return {
    lines,
    backendMs: processCpuMs(page.standalone.pid) - backend0,
    pageMs: page1.task - page0.task,
    pageScriptMs: page1.script - page0.script,
    wallMs,
  };
}

function summarize(samples: StreamSample[]): StreamResult {
  const sizes = STREAM_SIZES.map(lines => {
    const of = samples.filter(sample => sample.lines === lines);
    return {
      lines,
      backend: spread(of.map(sample => sample.backendMs)),
      page: spread(of.map(sample => sample.pageMs)),
      pageScript: spread(of.map(sample => sample.pageScriptMs)),
      wall: spread(of.map(sample => sample.wallMs)),
    };
  });
  return {
    sizes,
    backendRatio: sizes[1].backend.median / sizes[0].backend.median,
    pageRatio: sizes[1].page.median / sizes[0].page.median,
  };
}

/** Opens the page on a fresh source per run (a new build, a new VM) and streams into it. */
async function measure(
  runs: number,
  podmanUrl: string,
  line: LineOf,
  prepare: (store: string) => Promise<StreamSource>,
): Promise<StreamResult> {
  const store = mkdtempSync(join(tmpdir(), 'bootc-studio-bench-stream-'));
  const page = await openWebviewPage(podmanUrl, store);
  const samples: StreamSample[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      for (const lines of STREAM_SIZES) {
        const source = await prepare(store);
        try {
          await page.open(source.route);
          await page.page.waitForSelector('.xterm-accessibility-tree', { state: 'attached', timeout: 30_000 });
          await sleep(1500); // the page's load is not the stream's cost
          samples.push(await measureOnce(page, lines, source, line));
        } finally {
          await source.done();
        }
      }
    }
  } finally {
    await page.close();
    rmSync(store, { recursive: true, force: true });
  }
  return summarize(samples);
}

/** A builder's line, about 100 bytes. */
const buildLine: LineOf = (n, total) =>
  n === total
    ? `${endMark(total)} of the build log\n`
    : `2026-12-04T11:00:00Z org.osbuild.rpm: installing package-${n}-1.0-1.fc42.x86_64 [${n}/${total}]\n`;

/** A guest's boot line on the serial port, about 70 bytes (a terminal's line ends are CR LF). */
const consoleLine: LineOf = (n, total) =>
  n === total
    ? `${endMark(total)} of the console\r\n`
    : `[  ${(n / 1000).toFixed(6)}] systemd[1]: Started bench-unit-${n}.service.\r\n`;

export function buildLogStream(runs: number, podmanUrl: string): Promise<StreamResult> {
  return measure(runs, podmanUrl, buildLine, async store => {
    const build = await writeRunningBuild(store);
    const renewal = setInterval(() => void build.renew(), 5000);
    return {
      route: `/disk-images/details?build=${build.id}`,
      append: text => appendFileSync(build.logPath, text),
      async done() {
        clearInterval(renewal);
      },
    };
  });
}

/** A VM made by the product from a small qcow2 (never started: the console shows what its log holds). */
export function vmConsoleStream(runs: number, podmanUrl: string, qemuImg: string): Promise<StreamResult> {
  return measure(runs, podmanUrl, consoleLine, async store => {
    const jobs = new JobRegistry();
    const vms = new VmService({
      storeDir: store,
      jobs,
      buildDisk: async () => {
        throw new Error('no builds here');
      },
    });
    const disk = join(store, `disk-${Date.now()}.qcow2`);
    makeQcow2(qemuImg, disk, '64M');
    const vm = await vms.create({ source: { diskPath: disk }, cpus: 1, memoryMiB: 256 });
    const consoleLog = vms.store.pathsOf(vm.id).consoleLog;
    return {
      route: `/vms/details?vm=${vm.id}`,
      append: text => appendFileSync(consoleLog, text),
      async done() {
        vms.dispose();
        jobs.dispose();
      },
    };
  });
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
}

/** A new, empty qcow2 of virtual size `size` (its file is about 200 KB at any size). */
export function makeQcow2(qemuImg: string, path: string, size: string): void {
  run(qemuImg, ['create', '-q', '-f', 'qcow2', path, size]);
}

export function findQemuImgForBench(): string | undefined {
  return findExecutable('qemu-img');
}
