/**
 * `npm start` stopped by SIGTERM stops everything it started (issue 8, item 13): standalone mode,
 * and the podman service it started for the session when no other answered — whether the signal
 * reaches npm (whose script shell does not pass it on) or `node scripts/start.mjs`, and whether it
 * comes once the page is served or while the service is still starting.
 *
 * The service runs on a store of the test's own (CONTAINERS_STORAGE_CONF, a containers.conf with
 * its own tmp dir), never the machine's.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { machineContainersConf } from './support/podman-service';

const ROOT = resolve(__dirname, '../..');

/** Every live descendant of `pid` (zombies count as gone). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue;
    const list = children.get(Number(ppid)) ?? [];
    list.push(Number(name));
    children.set(Number(ppid), list);
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise(done => setTimeout(done, 100));
  }
}

describe('standalone mode stopped by SIGTERM', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let started: ChildProcess | undefined;
  let output = '';
  let pids: number[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'standalone-stop-'));
    await mkdir(join(dir, 'xdg'));
    await mkdir(join(dir, 'tmp'));
    await writeFile(
      join(dir, 'storage.conf'),
      `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`,
    );
    // The machine's settings (runc, rlimits) plus a libpod tmp dir and event log of this test's own.
    const machine = machineContainersConf();
    const engine = `[engine]\ntmp_dir = "${dir}/libpod"\nevents_logger = "file"\n`;
    const base = machine ? await readFile(machine, 'utf8') : '';
    await writeFile(
      join(dir, 'containers.conf'),
      base.includes('[engine]') ? base.replace('[engine]', engine) : `${base}\n${engine}`,
    );
    env = { ...process.env };
    for (const name of ['CONTAINER_HOST', 'CONTAINER_CONNECTION', 'CONTAINER_SSHKEY']) delete env[name];
    Object.assign(env, {
      // No rootless socket here, and (on these machines) no rootful one: standalone starts its own service.
      XDG_RUNTIME_DIR: join(dir, 'xdg'),
      CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
      CONTAINERS_CONF: join(dir, 'containers.conf'),
      TMPDIR: join(dir, 'tmp'),
      BOOTC_STUDIO_HOME: join(dir, 'store'),
    });
    output = '';
    pids = [];
  });

  afterEach(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (started?.exitCode === null) started.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  function start(command: string, args: string[]): ChildProcess {
    if (!existsSync(join(ROOT, 'dist/standalone.js'))) throw new Error('run `npm run build` first');
    started = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    return started;
  }

  const serviceDirs = () => readdirSync(join(dir, 'tmp')).filter(name => name.startsWith('bootc-studio-service-'));

  test('`npm start` SIGTERMed once serving: the podman service, its socket and every child are gone', async () => {
    const npm = start('npm', ['start']);
    await until(() => /Open http/.test(output), `standalone mode serving:\n${output}`, 60_000);
    expect(output).toContain('starting one for this session');
    const socket = /on unix:\/\/(\S+podman\.sock)/.exec(output)?.[1];
    expect(socket && existsSync(socket), output).toBe(true);
    pids = descendants(npm.pid!);
    // npm, its script shell, start.mjs, standalone.js, the podman service.
    expect(pids.length, output).toBeGreaterThanOrEqual(3);

    npm.kill('SIGTERM');
    await until(() => pids.every(pid => !alive(pid)), `every process of npm start gone (${pids.filter(alive)})`);
    expect(existsSync(socket!)).toBe(false);
    expect(serviceDirs()).toEqual([]);
  });

  test('`node scripts/start.mjs` SIGTERMed while its podman service starts: nothing is left behind', async () => {
    const node = start(process.execPath, ['scripts/start.mjs']);
    await until(() => serviceDirs().length > 0, `a service started:\n${output}`, 60_000);
    pids = descendants(node.pid!);
    node.kill('SIGTERM');
    await until(() => pids.every(pid => !alive(pid)), `every process gone (${pids.filter(alive)})\n${output}`);
    await until(() => serviceDirs().length === 0, 'the service dir removed');
  });

  test('`node scripts/start.mjs` killed outright (SIGKILL): standalone mode and its podman service follow it', async () => {
    const node = start(process.execPath, ['scripts/start.mjs']);
    await until(() => /Open http/.test(output), `standalone mode serving:\n${output}`, 60_000);
    pids = descendants(node.pid!);
    expect(pids.length, output).toBeGreaterThanOrEqual(2);
    node.kill('SIGKILL');
    await until(() => pids.every(pid => !alive(pid)), `every process gone (${pids.filter(alive)})\n${output}`);
    await until(() => serviceDirs().length === 0, 'the service dir removed');
  });
});
