/**
 * `npm run bench`: the speed and size figures of issue 12, each beside its goal, as one table and a
 * JSON file under bench/results/. Times are medians of several runs (min and max shown), each run a
 * fresh process where the figure is what a user waits for once. The machine is shared: absolute
 * times drift by ±30 %, ratios much less; the load average is printed with the figures.
 *
 * `-- --heavy` adds the micro-benchmarks of tests/bench/*.bench.ts (vitest bench; some need root
 * and a non-root user) before the table; `-- --only history` makes only the history pages' rows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUSYBOX_BASE, buildImage, createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { findExecutable } from '../integration/support/run-process';
import { loadBytes } from './backend-bytes';
import type { BackendHeap } from './backend-heap';
import { HISTORY_BUILDS, HISTORY_TAGS } from './history-figures';
import { historyOnly, historyRows } from './history-rows';
import type { StreamResult } from './stream-figures';
import { buildLogStream, vmConsoleStream } from './stream-figures';
import { vmStartFigure } from './vm-start-figure';
import { webviewBytes } from './webview-bytes';
import { DOM_CONTENT_LOADED, domContentLoadedFigure } from './webview-load';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface Figure {
  figure: string;
  value: string;
  goal: string;
  /** undefined: no goal, or not measured. */
  met?: boolean;
  data?: unknown;
}

export function spread(samples: number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
const seconds = (value: number): string => `${(value / 1000).toFixed(3)} s`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
export const showSpread = (s: Spread, unit: (value: number) => string): string =>
  `${unit(s.median)} (${unit(s.min)}–${unit(s.max)}, ${s.runs} runs)`;

/** Whole-process wall time of `command args`, ms; throws when it fails. */
function timeProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = performance.now();
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const elapsed = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr || result.error}`);
  return elapsed;
}

function repeat(runs: number, measure: () => number): Spread {
  measure(); // warm the file cache: every figure is a warm-disk, cold-process one
  return spread(Array.from({ length: runs }, measure));
}

function webviewFigures(): Figure[] {
  const bytes = webviewBytes(join(ROOT, 'media'));
  return [
    {
      figure: 'webview JS+CSS loaded at start, gzip -9',
      value: kb(bytes.startup),
      goal: '≤ 90 KB (reference extension: 268.6 KB)',
      met: bytes.startup <= 90 * 1024,
      data: bytes,
    },
    {
      figure: 'webview JS+CSS in all, gzip -9',
      value: kb(bytes.total),
      goal: '≤ 135 KB (reference extension: 268.6 KB)',
      met: bytes.total <= 135 * 1024,
      data: { total: bytes.total },
    },
  ];
}

function loadBytesFigures(): Figure[] {
  return ['extension.js', 'cli.js'].map(entry => {
    const bytes = loadBytes(join(ROOT, 'dist', entry));
    return {
      figure: `dist/${entry} and the chunks it requires at load, raw`,
      value: kb(bytes),
      goal: entry === 'cli.js' ? '≤ 200 KB (size check)' : '≤ 800 KB (size check)',
      met: bytes <= (entry === 'cli.js' ? 200 : 800) * 1024,
      data: { bytes },
    };
  });
}

function activationFigure(runs: number): Figure {
  const storage = mkdtempSync(join(tmpdir(), 'bootc-studio-bench-storage-'));
  try {
    const samples = Array.from({ length: runs + 1 }, () => {
      const child = spawnSync(process.execPath, [join(ROOT, 'scripts/bench.mjs'), '--activate-once', storage], {
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(`activation failed: ${child.stderr}`);
      return JSON.parse(child.stdout.trim().split('\n').pop()!) as { requireMs: number; activateMs: number };
    }).slice(1);
    const together = spread(samples.map(s => s.requireMs + s.activateMs));
    const required = spread(samples.map(s => s.requireMs));
    const activated = spread(samples.map(s => s.activateMs));
    return {
      figure: 'backend require() + activate(), PD-style loader, fresh process',
      value: `${showSpread(together, ms)}; require ${ms(required.median)} + activate ${ms(activated.median)}`,
      goal: '≤ 30 ms (reference extension: 59–66 + 5.6–6.6 ms)',
      met: together.median <= 30,
      data: { together, require: required, activate: activated },
    };
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
}

function cliFigures(runs: number): Figure[] {
  const figures: Figure[] = [];
  for (const flag of ['--help', '--version']) {
    const s = repeat(runs, () => timeProcess(process.execPath, [CLI, flag]));
    figures.push({
      figure: `bootc-studio ${flag}, whole process`,
      value: showSpread(s, seconds),
      goal: '≤ 0.100 s',
      met: s.median <= 100,
      data: s,
    });
  }
  const bare = repeat(runs, () => timeProcess(process.execPath, ['-e', '0']));
  figures.push({
    figure: 'node -e 0, whole process (the floor)',
    value: showSpread(bare, seconds),
    goal: '—',
    data: bare,
  });
  const podman = findExecutable('podman');
  if (podman) {
    const s = repeat(runs, () => timeProcess(podman, ['--help']));
    figures.push({
      figure: 'podman --help, whole process (for scale)',
      value: showSpread(s, seconds),
      goal: '—',
      data: s,
    });
  }
  return figures;
}

async function engineFigure(runs: number): Promise<Figure> {
  const figure = 'images --json vs podman --remote images --format json (6 bootc images)';
  const goal = '≤ 1.5× podman’s';
  const podmanPath = findExecutable('podman');
  if (!podmanPath) return { figure, value: 'skipped: podman is not installed (apt-get install -y podman)', goal };
  let service: PodmanService | undefined;
  const home = mkdtempSync(join(tmpdir(), 'bootc-studio-bench-home-'));
  try {
    try {
      service = await startPodmanService();
    } catch (err: unknown) {
      return {
        figure,
        value: `skipped: no podman service could be started here (${String(err).split('\n')[0]})`,
        goal,
      };
    }
    await createBusyboxBase(service);
    for (let i = 0; i < 6; i++)
      await buildImage(
        service,
        { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1 n=${i}\n` },
        `localhost/os-${i}:1`,
      );
    const env = { ...process.env, BOOTC_STUDIO_HOME: home, CONTAINER_HOST: service.url };
    const ours = repeat(runs, () => timeProcess(process.execPath, [CLI, 'images', '--json'], env));
    const theirs = repeat(runs, () =>
      timeProcess(podmanPath, ['--remote', '--url', service!.url, 'images', '--format', 'json'], env),
    );
    const ratio = ours.median / theirs.median;
    return {
      figure,
      value: `${showSpread(ours, seconds)} vs ${showSpread(theirs, seconds)}: ${ratio.toFixed(2)}×`,
      goal,
      met: ratio <= 1.5,
      data: { ours, podman: theirs, ratio },
    };
  } finally {
    await service?.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/** The backend's heap after activation and after listing 1 000 builds, each a fresh `node --expose-gc` process. */
function backendHeapFigures(runs: number): Figure[] {
  const samples = Array.from({ length: runs }, () => {
    const storage = mkdtempSync(join(tmpdir(), 'bootc-studio-bench-heap-'));
    try {
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', join(ROOT, 'scripts/bench.mjs'), '--heap-once', storage],
        { encoding: 'utf8' },
      );
      if (child.status !== 0) throw new Error(`heap measurement failed: ${child.stderr}`);
      return JSON.parse(child.stdout.trim().split('\n').pop()!) as BackendHeap;
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  });
  const activated = spread(samples.map(s => s.activated - s.before));
  const listed = spread(samples.map(s => s.listed - s.before));
  const listMs = spread(samples.map(s => s.listMs));
  return [
    {
      figure: 'backend JS heap after activation (the extension’s share, after GC)',
      value: showSpread(activated, mb),
      goal: 'report',
      data: { activated, samples },
    },
    {
      figure: `backend JS heap after ${samples[0].builds} builds listed (listJobs), after GC`,
      value: `${showSpread(listed, mb)}; the list answered in ${showSpread(listMs, ms)}`,
      goal: 'report',
      data: { listed, listMs },
    },
  ];
}

function streamFigures(what: string, result: StreamResult): Figure[] {
  const [small, large] = result.sizes;
  const row = (side: 'backend' | 'page', ratio: number): Figure => ({
    figure: `${what}, ${side} CPU: ${large.lines} vs ${small.lines} lines`,
    value:
      `${showSpread(large[side], ms)} vs ${showSpread(small[side], ms)}: ${ratio.toFixed(1)}×` +
      (side === 'page' ? ' (CDP TaskDuration)' : ' (/proc utime+stime)'),
    goal: '~10× (work ∝ new bytes), not ~100×',
    met: ratio <= 20,
    data: { ratio, sizes: result.sizes },
  });
  return [row('backend', result.backendRatio), row('page', result.pageRatio)];
}

/**
 * The figures made in Chromium on standalone mode (log streaming, history, the webview's heap) and
 * the VM start, on one podman service started here.
 */
async function pageAndVmFigures(runs: number): Promise<Figure[]> {
  const names = [
    DOM_CONTENT_LOADED,
    'build log streamed to its open view',
    'VM console streamed to its open view',
    `Disk Images page, ${HISTORY_BUILDS} builds`,
    `Images page, ${HISTORY_TAGS} tags`,
    'webview JS heap on the Images page',
    'VM start overhead (request → QEMU running)',
  ];
  const skipped = (why: string): Figure[] => names.map(figure => ({ figure, value: `skipped: ${why}`, goal: '—' }));
  const qemuImg = findExecutable('qemu-img');
  const figures: Figure[] = [];

  if (!qemuImg || !findExecutable('qemu-system-x86_64'))
    figures.push({
      figure: names[6],
      value: 'skipped: apt-get install -y qemu-system-x86 qemu-utils ovmf',
      goal: '≤ 1 s',
    });
  else {
    const vm = await vmStartFigure(runs, qemuImg);
    const medians = vm.sizes.map(size => size.start.median);
    figures.push({
      figure: `${names[6]}, ${vm.sizes.map(size => size.size).join(' / ')} qcow2 disk`,
      value:
        vm.sizes.map(size => `${size.size}: ${showSpread(size.start, seconds)}`).join('; ') +
        ` (${vm.sizes[0].acceleration ?? '?'})`,
      goal: '≤ 1 s, independent of the disk’s size',
      met: Math.max(...medians) <= 1000,
      data: vm,
    });
  }

  if (!findExecutable('podman')) return [...figures, ...skipped('podman is not installed').slice(0, 6)];
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'))
    return [...figures, ...skipped('Chromium is not installed (apt-get install -y chromium)').slice(0, 6)];
  let service: PodmanService | undefined;
  try {
    try {
      service = await startPodmanService();
    } catch (err: unknown) {
      return [...figures, ...skipped(`no podman service could be started (${String(err).split('\n')[0]})`).slice(0, 6)];
    }
    figures.push(await domContentLoadedFigure(9, service.url));
    const streamRuns = Math.min(runs, 3);
    figures.push(...streamFigures('Build log', await buildLogStream(streamRuns, service.url)));
    if (qemuImg) figures.push(...streamFigures('VM console', await vmConsoleStream(streamRuns, service.url, qemuImg)));
    else figures.push({ figure: names[2], value: 'skipped: qemu-img is not installed', goal: '—' });

    figures.push(...(await historyRows(runs, service)));
    return figures;
  } finally {
    await service?.stop();
  }
}

function heavyBenchmarks(heavy: boolean): Figure {
  const figure = 'micro-benchmarks tests/bench/*.bench.ts';
  if (!heavy)
    return {
      figure,
      value: 'skipped: run `npm run bench -- --heavy` (needs root, a non-root user, minutes)',
      goal: '—',
    };
  const result = spawnSync('npx', ['vitest', 'bench', '--run', '--project', 'bench'], { cwd: ROOT, stdio: 'inherit' });
  return {
    figure,
    value: result.status === 0 ? 'ran: see vitest’s tables above' : `failed (exit ${result.status}): see above`,
    goal: '—',
    met: result.status === 0 ? undefined : false,
  };
}

function printTable(figures: Figure[]): void {
  const rows = [
    ['figure', 'value', 'goal', 'met?'],
    ...figures.map(f => [f.figure, f.value, f.goal, f.met === undefined ? '—' : f.met ? 'yes' : 'NO']),
  ];
  const widths = [0, 1, 2, 3].map(column => Math.max(...rows.map(row => row[column].length)));
  const line = (row: string[]): string => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(rows[0]));
  console.log(`|${widths.map(width => '-'.repeat(width + 2)).join('|')}|`);
  rows.slice(1).forEach(row => console.log(line(row)));
}

/** What start-up costs: the bytes loaded, activation, the CLI, `images --json` beside podman's. */
async function startupFigures(runs: number): Promise<Figure[]> {
  return [...loadBytesFigures(), activationFigure(runs), ...cliFigures(runs), await engineFigure(runs)];
}

async function allFigures(runs: number, heavy: boolean): Promise<Figure[]> {
  const heavyRow = heavyBenchmarks(heavy);
  return [
    ...webviewFigures(),
    ...(await startupFigures(runs)),
    ...backendHeapFigures(3),
    ...(await pageAndVmFigures(3)),
    heavyRow,
  ];
}

export async function main(args: string[]): Promise<number> {
  const heavy = args.includes('--heavy');
  // `-- --startup` (or `--only startup`): only the start-up figures (activation, CLI, images --json),
  // a minute or two; `--only history`: only the history rows.
  const runs = 9;
  const machine = {
    cpus: cpus().length,
    loadavg: loadavg().map(load => Number(load.toFixed(2))),
    node: process.version,
  };
  const reference =
    'reference extension (podman-desktop-extension-bootc): not measured here — its build is not available on ' +
    'this machine (no network beyond the npm registry); the goal column quotes issue 12’s figures for it.';
  const only = args.includes('--startup')
    ? 'startup'
    : args.includes('--only')
      ? args[args.indexOf('--only') + 1]
      : undefined;
  if (only !== undefined && only !== 'history' && only !== 'startup') {
    throw new Error(`--only ${only}: \`--only history\` and \`--only startup\` (or --startup) are known`);
  }
  const figures: Figure[] =
    only === 'history'
      ? await historyOnly(3)
      : only === 'startup'
        ? await startupFigures(runs)
        : await allFigures(runs, heavy);
  const after = loadavg().map(load => Number(load.toFixed(2)));

  console.log(
    `\nBootc Studio figures — ${machine.cpus} cores, load average ${machine.loadavg.join(' ')} at start, ${after.join(' ')} at end, node ${machine.node}`,
  );
  console.log(`${reference}\n`);
  printTable(figures);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `figures-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, loadAfter: after, reference, figures }, null, 2)}\n`,
  );
  console.log(`\n${file}`);
  return 0;
}
