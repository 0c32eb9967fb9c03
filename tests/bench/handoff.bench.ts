/**
 * Handing an image from the user's rootless podman to root's podman, where the disk-image builder
 * has to run on Linux: what each way of moving it costs, and whether root ends up with the same
 * image ID. Images of about 0.5 GB (and 2 GB when the machine makes them fast enough) of random
 * content are imported into the store of a rootless user (made with useradd, see
 * support/rootless-user.ts); root's side is a private store in a temp dir, never the machine's.
 *
 *   a. ID check: root's `podman image inspect` against the user's ID (image present → skip)
 *   b. user's `podman save --format docker-archive -o FILE`, root's `podman load -i FILE`
 *   c. the same archive, root's `skopeo copy docker-archive:FILE containers-storage:[…]`
 *   d. user's `podman save` piped into root's `podman load` (two processes, no shell, no file)
 *   e. user's `podman save --format docker-dir -o DIR`, root's `skopeo copy dir:DIR containers-storage:[…]`
 *
 * Every transfer iteration starts with the image absent from root's store (removed outside the
 * timed part, through a clock that stops for it). Extra disk: the archive or dir written, and the
 * peak of archive + temp files (both sides' TMPDIR point into the temp dir, skopeo's --tmpdir too),
 * sampled every 100 ms. A table is printed at the end. Needs root: skipped otherwise, saying so.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, bench, describe } from 'vitest';

import { createBusyboxRootfs, tarRootfs } from '../integration/support/images';
import { machineContainersConf } from '../integration/support/podman-service';
import type { RootlessUser } from '../integration/support/rootless-user';
import { asUser, checkRootlessPodman, ensureRootlessUser } from '../integration/support/rootless-user';
import type { RunOptions, RunResult } from '../integration/support/run-process';
import { requireExecutable, runProcess } from '../integration/support/run-process';

const MiB = 1024 * 1024;
const FILE_BYTES = 64 * MiB;
const IMAGE_REPO = 'localhost/bootc-studio-handoff-bench';
const STEP_TIMEOUT_MS = 20 * 60_000;

interface SizeSpec {
  label: string;
  tag: string;
  bytes: number;
  iterations: number;
}
const SMALL: SizeSpec = { label: '0.5 GB', tag: '512m', bytes: 512 * MiB, iterations: 3 };
const LARGE: SizeSpec = { label: '2 GB', tag: '2g', bytes: 2048 * MiB, iterations: 2 };
/** The 2 GB image is made only if the 0.5 GB one took at most this long (4× that: about 3 min). */
const LARGE_SETUP_BUDGET_MS = 45_000;

interface Context {
  dir: string;
  user: RootlessUser;
  /** Where the user writes archives and dirs; root reads them there. */
  xfer: string;
  userTmp: string;
  rootTmp: string;
  root: string;
  runroot: string;
  driver: string;
  rootArgs: string[];
  rootEnv: NodeJS.ProcessEnv;
  podmanPath: string;
  skopeoPath: string;
  versions: string;
}

interface TestImage {
  spec: SizeSpec;
  ref: string;
  id: string;
  bytes: number;
  setupSeconds: number;
}

interface Row {
  size: string;
  method: string;
  imageBytes: number;
  seconds: number[];
  archiveBytes: number;
  peakBytes: number;
  /** undefined: not checked (no successful run). */
  idKept?: boolean;
  error?: string;
}

/** A clock that stops while untimed() runs: tinybench times whole iterations with it. */
let untimedMs = 0;
const clock = (): number => performance.now() - untimedMs;
async function untimed<T>(fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    untimedMs += performance.now() - start;
  }
}

const rows: Row[] = [];
const notes: string[] = [];
const images: TestImage[] = [];
let context: Context | undefined;
let skipReason: string | undefined;

// Benchmarks run their functions outside the describe hooks, so setup happens at import.
if (process.getuid?.() !== 0) {
  skipReason = `needs root (to make a rootless user and run root's podman); running as uid ${process.getuid?.()}`;
} else {
  let user: RootlessUser | undefined;
  try {
    user = await ensureRootlessUser();
    await checkRootlessPodman(user);
  } catch (error) {
    skipReason = `rootless podman cannot work here: ${messageOf(error)}`;
  }
  if (user && !skipReason) {
    context = await createContext(user);
    process.on('exit', emergencyCleanup);
    try {
      images.push(await createTestImage(context, SMALL));
      const smallSetup = images[0].setupSeconds;
      if (smallSetup * 1000 <= LARGE_SETUP_BUDGET_MS) {
        images.push(await createTestImage(context, LARGE));
      } else {
        notes.push(
          `2 GB image not made: the 0.5 GB one took ${smallSetup.toFixed(1)} s to set up ` +
            `(budget ${LARGE_SETUP_BUDGET_MS / 1000} s), 2 GB would take about ${(smallSetup * 4).toFixed(0)} s.`,
        );
      }
    } catch (error) {
      await cleanUp();
      throw error;
    }
  }
}

if (skipReason) {
  console.log(`handoff.bench.ts skipped: ${skipReason}`);
  describe.skip(`image hand-off, rootless user → root (skipped: ${skipReason})`, () => {
    bench('skipped', () => undefined);
  });
}

afterAll(async () => {
  if (context) console.log(table(context));
  await cleanUp();
}, 600_000);

for (const image of images) {
  const ctx = context as Context;
  const options = {
    iterations: image.spec.iterations,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
    now: clock,
  };
  describe(`image hand-off, rootless user → root, ${image.spec.label}`, () => {
    bench(`${image.spec.label} a. ID check: root's image inspect vs the user's`, idCheck(ctx, image), options);
    for (const method of methods(ctx)) {
      bench(`${image.spec.label} ${method.name}`, transfer(ctx, image, method), options);
    }
  });
}

interface Method {
  name: string;
  /** A failure is a row in the table ("failed: …"), not a failed benchmark. */
  optional?: boolean;
  run(image: TestImage, disk: DiskPeak): Promise<void>;
}

function methods(ctx: Context): Method[] {
  const archive = join(ctx.xfer, 'image.tar');
  const dirArchive = join(ctx.xfer, 'image.dir');
  const store = (ref: string): string => `containers-storage:[${ctx.driver}@${ctx.root}+${ctx.runroot}]${ref}`;
  const skopeoCopy = (source: string, ref: string): Promise<RunResult> =>
    runProcess(ctx.skopeoPath, ['--tmpdir', ctx.rootTmp, 'copy', '--quiet', source, store(ref)], {
      env: ctx.rootEnv,
      timeoutMs: STEP_TIMEOUT_MS,
    });
  return [
    {
      name: 'b. save docker-archive → podman load -i',
      async run(image, disk) {
        await userPodman(ctx, ['save', '--format', 'docker-archive', '--output', archive, image.ref]);
        await disk.sample();
        await rootPodman(ctx, ['load', '--quiet', '--input', archive]);
        await rm(archive, { force: true });
      },
    },
    {
      name: 'c. save docker-archive → skopeo copy',
      async run(image, disk) {
        await userPodman(ctx, ['save', '--format', 'docker-archive', '--output', archive, image.ref]);
        await disk.sample();
        await skopeoCopy(`docker-archive:${archive}`, image.ref);
        await rm(archive, { force: true });
      },
    },
    {
      name: 'd. save | load (stream)',
      async run(image) {
        // Not `--output /dev/stdout`: reopening the pipe fails for the user (ENXIO on Node's socket
        // pair, EACCES on root's pipe); without --output podman writes the archive to its stdout.
        await pipeProcesses(
          asUser(ctx.user, ['podman', 'save', '--format', 'docker-archive', image.ref], { TMPDIR: ctx.userTmp }),
          process.env,
          [ctx.podmanPath, ...ctx.rootArgs, 'load', '--quiet'],
          ctx.rootEnv,
        );
      },
    },
    {
      name: 'e. save docker-dir → skopeo copy dir:',
      optional: true,
      async run(image, disk) {
        await userPodman(ctx, ['save', '--format', 'docker-dir', '--output', dirArchive, image.ref]);
        await disk.sample();
        await skopeoCopy(`dir:${dirArchive}`, image.ref);
        await rm(dirArchive, { recursive: true, force: true });
      },
    },
  ];
}

function idCheck(ctx: Context, image: TestImage): () => Promise<void> {
  const row = addRow(image, 'a. ID check (root inspect + user inspect)');
  return async () => {
    await untimed(async () => {
      if (!(await rootHas(ctx, image.ref))) {
        await userPodman(ctx, ['save', '--format', 'docker-archive', '--output', join(ctx.xfer, 'id.tar'), image.ref]);
        await rootPodman(ctx, ['load', '--quiet', '--input', join(ctx.xfer, 'id.tar')]);
        await rm(join(ctx.xfer, 'id.tar'), { force: true });
      }
    });
    const start = performance.now();
    const userId = (await userPodman(ctx, ['image', 'inspect', '--format', '{{.Id}}', image.ref])).stdout.trim();
    const rootId = (await rootPodman(ctx, ['image', 'inspect', '--format', '{{.Id}}', image.ref])).stdout.trim();
    const same = userId === rootId;
    row.seconds.push((performance.now() - start) / 1000);
    if (!same) {
      row.idKept = false;
      throw new Error(`ID check: root has ${image.ref} as ${rootId}, the user as ${userId}`);
    }
    row.idKept = row.idKept ?? true;
  };
}

function transfer(ctx: Context, image: TestImage, method: Method): () => Promise<void> {
  const row = addRow(image, method.name);
  return async () => {
    await untimed(async () => {
      await rootPodman(ctx, ['rmi', '--all', '--force']);
      if (await rootHas(ctx, image.ref)) throw new Error(`${image.ref} is still in root's store`);
      await emptyDir(ctx.xfer);
    });
    const disk = new DiskPeak(ctx.xfer, [ctx.userTmp, ctx.rootTmp]);
    const start = performance.now();
    let failure: unknown;
    try {
      await method.run(image, disk);
    } catch (error) {
      failure = error;
    }
    const seconds = (performance.now() - start) / 1000;
    await untimed(async () => {
      await disk.stop();
      row.archiveBytes = Math.max(row.archiveBytes, disk.archive);
      row.peakBytes = Math.max(row.peakBytes, disk.total);
      await emptyDir(ctx.xfer);
      if (failure) {
        row.error = messageOf(failure).split('\n').slice(-3).join(' ');
        return;
      }
      row.seconds.push(seconds);
      const rootId = await rootPodman(ctx, ['image', 'inspect', '--format', '{{.Id}}', image.ref]).then(
        result => result.stdout.trim(),
        (error: unknown) => `(not found by name: ${messageOf(error).split('\n').pop()})`,
      );
      if (rootId !== image.id) {
        console.log(`${image.spec.label} ${method.name}: root's image ID ${rootId} ≠ the user's ${image.id}`);
      }
      row.idKept = (row.idKept ?? true) && rootId === image.id;
    });
    if (failure && !method.optional) throw failure;
  };
}

function addRow(image: TestImage, method: string): Row {
  const row: Row = {
    size: image.spec.label,
    method,
    imageBytes: image.bytes,
    seconds: [],
    archiveBytes: 0,
    peakBytes: 0,
  };
  rows.push(row);
  return row;
}

function table(ctx: Context): string {
  const header = ['size', 'method', 'runs', 'mean s', 'MB/s', 'archive MB', 'peak extra MB', 'ID kept'];
  const body = rows.map(row => {
    const mean = row.seconds.length ? row.seconds.reduce((a, b) => a + b, 0) / row.seconds.length : NaN;
    const isCheck = row.method.startsWith('a.');
    return [
      row.size,
      row.method,
      String(row.seconds.length),
      Number.isNaN(mean) ? '—' : mean.toFixed(2),
      isCheck || Number.isNaN(mean) ? '—' : (row.imageBytes / 1e6 / mean).toFixed(0),
      isCheck ? '0' : (row.archiveBytes / 1e6).toFixed(0),
      isCheck ? '0' : (row.peakBytes / 1e6).toFixed(0),
      row.error ? `failed: ${row.error}` : row.idKept === undefined ? '—' : row.idKept ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((_, i) => Math.max(header[i].length, ...body.map(cells => cells[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i >= 2 && i <= 6 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    '',
    "Image hand-off, rootless user → root's podman",
    ctx.versions,
    `root's store: private, ${ctx.driver} driver; user's store: ${ctx.user.name}'s default`,
    ...images.map(
      image =>
        `${image.spec.label} image ${image.ref}: ${(image.bytes / 1e6).toFixed(0)} MB (podman's size), one layer, ` +
        `id ${image.id.slice(0, 12)}, set up in ${image.setupSeconds.toFixed(1)} s`,
    ),
    ...notes,
    'MB/s: image size / mean; archive MB: the archive or dir written; peak extra MB: archive + temp files at peak.',
    '',
    line(header),
    line(widths.map(width => '-'.repeat(width))),
    ...body.map(line),
    '',
  ].join('\n');
}

async function createContext(user: RootlessUser): Promise<Context> {
  const podmanPath = requireExecutable('podman', 'podman runc uidmap');
  const skopeoPath = requireExecutable('skopeo', 'skopeo');
  const dir = mkdtempSync(join(tmpdir(), 'bootc-studio-handoff-'));
  try {
    await chmod(dir, 0o755); // the user writes below it
    const xfer = join(dir, 'xfer');
    const userTmp = join(dir, 'user-tmp');
    const rootTmp = join(dir, 'root-tmp');
    for (const path of [xfer, userTmp, rootTmp, join(dir, 'libpod'), join(dir, 'work')]) await mkdir(path);
    await chmod(join(dir, 'work'), 0o755);
    for (const path of [xfer, userTmp]) await chown(path, user.uid, user.gid);
    const root = join(dir, 'root');
    const runroot = join(dir, 'runroot');
    const storageConf = join(dir, 'storage.conf');

    const rootEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['CONTAINER_HOST', 'CONTAINER_CONNECTION', 'CONTAINER_SSHKEY', 'CONTAINER_PASSPHRASE']) {
      delete rootEnv[name];
    }
    rootEnv.TMPDIR = rootTmp;
    rootEnv.CONTAINERS_STORAGE_CONF = storageConf;
    const containersConf = process.env.CONTAINERS_CONF ?? machineContainersConf();
    if (containersConf) rootEnv.CONTAINERS_CONF = containersConf;
    else delete rootEnv.CONTAINERS_CONF;

    // Root's podman on a desktop uses overlay; vfs where overlay cannot mount.
    let driver: string | undefined;
    let rootArgs: string[] = [];
    const probeErrors: string[] = [];
    for (const candidate of ['overlay', 'vfs']) {
      await writeFile(
        storageConf,
        `[storage]\ndriver = ${JSON.stringify(candidate)}\ngraphroot = ${JSON.stringify(root)}\nrunroot = ${JSON.stringify(runroot)}\n`,
      );
      rootArgs = ['--root', root, '--runroot', runroot, '--storage-driver', candidate];
      rootArgs.push('--tmpdir', join(dir, 'libpod'), '--events-backend', 'file');
      try {
        const { stdout } = await runProcess(
          podmanPath,
          [...rootArgs, 'info', '--format', '{{.Store.GraphDriverName}}'],
          {
            env: rootEnv,
          },
        );
        if (stdout.trim() === candidate) {
          driver = candidate;
          break;
        }
        probeErrors.push(`${candidate}: podman reports ${stdout.trim()}`);
      } catch (error) {
        probeErrors.push(`${candidate}: ${messageOf(error)}`);
      }
      await rm(root, { recursive: true, force: true });
      await rm(runroot, { recursive: true, force: true });
    }
    if (!driver) throw new Error(`no storage driver works for root's private store:\n${probeErrors.join('\n')}`);

    const podmanVersion = (await runProcess(podmanPath, ['--version'])).stdout.trim();
    const skopeoVersion = (await runProcess(skopeoPath, ['--version'])).stdout.trim();
    const versions = `${podmanVersion}, ${skopeoVersion}; CONTAINERS_CONF for root: ${containersConf ?? '(none)'}`;
    return {
      dir,
      user,
      xfer,
      userTmp,
      rootTmp,
      root,
      runroot,
      driver,
      rootArgs,
      rootEnv,
      podmanPath,
      skopeoPath,
      versions,
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A busybox root filesystem plus `spec.bytes` of random files, tarred and imported by the user. */
async function createTestImage(ctx: Context, spec: SizeSpec): Promise<TestImage> {
  const started = performance.now();
  const ref = `${IMAGE_REPO}:${spec.tag}`;
  await userPodman(ctx, ['rmi', '--force', ref]).catch(() => undefined); // left by an interrupted run
  const work = join(ctx.dir, 'work', spec.tag);
  await mkdir(work);
  await chmod(work, 0o755);
  try {
    const rootfs = join(work, 'rootfs');
    await createBusyboxRootfs(rootfs);
    await mkdir(join(rootfs, 'data'));
    const buffer = Buffer.allocUnsafe(FILE_BYTES);
    for (let i = 0; i < spec.bytes / FILE_BYTES; i++) {
      randomFillSync(buffer);
      await writeFile(join(rootfs, 'data', `random-${i}.bin`), buffer);
    }
    const tarball = join(work, 'rootfs.tar');
    await tarRootfs(rootfs, tarball);
    await rm(rootfs, { recursive: true, force: true });
    await chmod(tarball, 0o644);
    await userPodman(ctx, ['import', '--quiet', '--change', 'CMD ["/bin/sh"]', tarball, ref]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const { stdout } = await userPodman(ctx, ['image', 'inspect', '--format', '{{.Id}} {{.Size}}', ref]);
  const [id, size] = stdout.trim().split(' ');
  return { spec, ref, id, bytes: Number(size), setupSeconds: (performance.now() - started) / 1000 };
}

function userPodman(ctx: Context, args: string[], options: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  const [command, ...argv] = asUser(ctx.user, ['podman', ...args], { TMPDIR: ctx.userTmp });
  return runProcess(command, argv, { timeoutMs: STEP_TIMEOUT_MS, ...options });
}

function rootPodman(ctx: Context, args: string[], options: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  return runProcess(ctx.podmanPath, [...ctx.rootArgs, ...args], {
    timeoutMs: STEP_TIMEOUT_MS,
    ...options,
    env: ctx.rootEnv,
  });
}

async function rootHas(ctx: Context, ref: string): Promise<boolean> {
  return rootPodman(ctx, ['image', 'exists', ref]).then(
    () => true,
    () => false,
  );
}

/**
 * Runs `from` with its stdout connected straight to `to`'s stdin (the pipe's write end is handed to
 * `from`; no data passes through Node) and resolves when both exit 0.
 */
function pipeProcesses(
  from: readonly string[],
  fromEnv: NodeJS.ProcessEnv,
  to: readonly string[],
  toEnv: NodeJS.ProcessEnv,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const consumer = spawn(to[0], to.slice(1), { env: toEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const producer = spawn(from[0], from.slice(1), { env: fromEnv, stdio: ['ignore', consumer.stdin, 'pipe'] });
    // Only the producer holds the write end now: its exit is the consumer's end of input.
    consumer.stdin.destroy();
    const output = { producer: '', consumer: '' };
    producer.stderr.on('data', (chunk: Buffer) => (output.producer += chunk.toString()));
    consumer.stdout.on('data', (chunk: Buffer) => (output.consumer += chunk.toString()));
    consumer.stderr.on('data', (chunk: Buffer) => (output.consumer += chunk.toString()));
    const timer = setTimeout(() => {
      producer.kill('SIGKILL');
      consumer.kill('SIGKILL');
    }, timeoutMs);
    const exit = (child: ChildProcess, name: string): Promise<string | undefined> =>
      new Promise(done => {
        child.once('error', error => {
          producer.kill('SIGKILL');
          consumer.kill('SIGKILL');
          done(`${name} could not start: ${error.message}`);
        });
        child.once('close', (code, signal) => done(code === 0 ? undefined : `${name} ended with ${signal ?? code}`));
      });
    void Promise.all([exit(producer, from.join(' ')), exit(consumer, to.join(' '))]).then(([fromError, toError]) => {
      clearTimeout(timer);
      if (!fromError && !toError) {
        resolve();
        return;
      }
      const tail = (text: string): string => text.trimEnd().split('\n').slice(-5).join('\n');
      reject(
        new Error(
          [fromError && `${fromError}:\n${tail(output.producer)}`, toError && `${toError}:\n${tail(output.consumer)}`]
            .filter(Boolean)
            .join('\n'),
        ),
      );
    });
  });
}

/** Peak disk use of the archive dir, and of it plus the temp dirs, sampled every 100 ms until stop(). */
class DiskPeak {
  archive = 0;
  total = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly archiveDir: string,
    private readonly tempDirs: readonly string[],
  ) {
    this.loop = this.run();
  }

  async sample(): Promise<void> {
    const archive = await diskUsage(this.archiveDir);
    let temp = 0;
    for (const dir of this.tempDirs) temp += await diskUsage(dir);
    this.archive = Math.max(this.archive, archive);
    this.total = Math.max(this.total, archive + temp);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sample();
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}

/** Bytes allocated below `path` (du), 0 for what vanished meanwhile. */
async function diskUsage(path: string): Promise<number> {
  try {
    const stat = await lstat(path);
    if (!stat.isDirectory()) return stat.blocks * 512;
    let total = stat.blocks * 512;
    for (const name of await readdir(path)) total += await diskUsage(join(path, name));
    return total;
  } catch {
    return 0;
  }
}

async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

async function cleanUp(): Promise<void> {
  const ctx = context;
  if (!ctx) return;
  context = undefined;
  try {
    await rootPodman(ctx, ['rmi', '--all', '--force']).catch((error: unknown) =>
      console.log(`handoff cleanup: root's rmi failed: ${messageOf(error)}`),
    );
    for (const spec of [SMALL, LARGE]) {
      await userPodman(ctx, ['rmi', '--force', `${IMAGE_REPO}:${spec.tag}`]).catch(() => undefined);
    }
    await rm(ctx.dir, { recursive: true, force: true, maxRetries: 3 });
  } finally {
    process.removeListener('exit', emergencyCleanup);
  }
}

/** The worker ends without afterAll: at least the temp dir (root's store, archives) goes. */
function emergencyCleanup(): void {
  if (!context) return;
  try {
    rmSync(context.dir, { recursive: true, force: true });
  } catch {
    // nothing more to do at exit
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
