/**
 * What the crash-safety and concurrency specs share: a seeded random source (its seed printed, so a
 * failing run can be replayed with HARDENING_SEED), the built CLI (`dist/cli.js`, the backend a user
 * runs: the same services as the extension) started in a child process and SIGKILLed at a chosen
 * moment, an audit of every file of a store, and a small tmpfs to fill.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { runProcess } from '../../integration/support/run-process';

export const CLI = resolve(__dirname, '../../../dist/cli.js');

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
}

/**
 * The environment a CLI child runs with: this one's, without what would point it at another engine
 * or store (CONTAINER_HOST, BOOTC_STUDIO_HOME), with `extra` laid over it.
 */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, ...base } = process.env;
  return { ...base, ...extra };
}

/** `disk build IMAGE` into `output` with `builder`, on the engine at `url` and the store `store`, then `extra`. */
export function diskBuildArgs(
  where: { url: string; store: string },
  image: string,
  output: string,
  builder: string,
  extra: readonly string[] = [],
): string[] {
  return [
    '--url',
    where.url,
    '--store',
    where.store,
    'disk',
    'build',
    image,
    '--output',
    output,
    '--builder',
    builder,
    ...extra,
  ];
}

/** mulberry32: a small seeded generator, enough to spread kill moments reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run's seed: HARDENING_SEED when given (to replay a run), else a fresh one; printed either way. */
export function runSeed(spec: string): number {
  const given = process.env.HARDENING_SEED;
  const seed = given ? Number.parseInt(given, 10) : Math.floor(Math.random() * 2 ** 31);
  console.log(`[hardening] ${spec}: seed ${seed} (replay with HARDENING_SEED=${seed})`);
  return seed;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Backend {
  child: ChildProcess;
  pid: number;
  exited: Promise<Exit>;
  /** Whether it has exited by itself. */
  ended(): boolean;
}

/** `node dist/cli.js ARGS…` (argv only) with `env`; its output is collected. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Backend {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  let done = false;
  const exited = new Promise<Exit>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      done = true;
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
  return { child, pid: child.pid as number, exited, ended: () => done };
}

/** Runs the CLI to its end. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Exit> {
  return startCli(args, env, cwd).exited;
}

/**
 * SIGKILLs the backend `afterMs` after now, unless it ended before; whether the kill hit a live
 * process. Resolves once the process is gone either way.
 */
export async function killAfter(backend: Backend, afterMs: number): Promise<{ killed: boolean; exit: Exit }> {
  const timer = new Promise<'timer'>(done => setTimeout(() => done('timer'), afterMs));
  const first = await Promise.race([timer, backend.exited.then(() => 'exited' as const)]);
  let killed = false;
  if (first === 'timer' && !backend.ended()) {
    killed = backend.child.kill('SIGKILL');
  }
  const exit = await backend.exited;
  return { killed: killed && exit.signal === 'SIGKILL', exit };
}

/** What the audit of a store found. */
export interface StoreAudit {
  /** JSON files (records, leases) read and parsed. */
  parsed: number;
  /** Record files (build.json, vm.json) among them. */
  records: number;
  /** Files that are not valid JSON, with why. */
  damaged: string[];
  /** Temp files of a write that never reached its rename. */
  tempFiles: string[];
}

/** Reads every file of `<store>/builds/*` and `<store>/vms/*` that the record store writes. */
export async function auditStore(store: string): Promise<StoreAudit> {
  const audit: StoreAudit = { parsed: 0, records: 0, damaged: [], tempFiles: [] };
  for (const kind of ['builds', 'vms']) {
    const base = join(store, kind);
    const folders = await readdir(base, { withFileTypes: true }).catch(() => []);
    for (const folder of folders) {
      if (!folder.isDirectory()) continue;
      const dir = join(base, folder.name);
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        if (name.endsWith('.tmp')) {
          audit.tempFiles.push(path);
          continue;
        }
        if (!name.endsWith('.json')) continue;
        const text = await readFile(path, 'utf8');
        try {
          const value: unknown = JSON.parse(text);
          if (typeof value !== 'object' || value === null) throw new Error('not an object');
          audit.parsed += 1;
          if (name === 'build.json' || name === 'vm.json') audit.records += 1;
        } catch (error) {
          audit.damaged.push(`${path}: ${(error as Error).message} (${text.length} bytes)`);
        }
      }
    }
  }
  return audit;
}

/** A tmpfs of `size` (e.g. `2m`) on a new temp dir; we run as root. `unmount` removes it. */
export async function mountTmpfs(size: string): Promise<{ dir: string; unmount(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bootc-studio-tmpfs-'));
  await runProcess('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    async unmount() {
      if (mounted) {
        await runProcess('umount', ['-l', dir]).catch(() => undefined);
        mounted = false;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system of `dir` (a file `name` of every byte left) and says how much it took. */
export async function fillDisk(dir: string, name = 'filler'): Promise<void> {
  // dd stops at ENOSPC with exit status 1: the disk is full, which is what was asked.
  await runProcess('dd', ['if=/dev/zero', `of=${join(dir, name)}`, 'bs=64k']).catch(() => undefined);
}

/** The ids of a record kind's folders in the store. */
export async function recordIds(store: string, kind: 'builds' | 'vms'): Promise<string[]> {
  const entries = await readdir(join(store, kind), { withFileTypes: true }).catch(() => []);
  return entries.filter(entry => entry.isDirectory()).map(entry => entry.name);
}

/** A pause that is not an assertion (spacing out work). */
export function pause(ms: number): Promise<void> {
  return new Promise(done => setTimeout(done, ms));
}
