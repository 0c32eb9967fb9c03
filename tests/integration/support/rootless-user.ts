/**
 * A non-root user with a working rootless podman, for tests and benchmarks of what happens between
 * a user's rootless podman and root's podman (on Linux the disk-image builder runs on root's).
 *
 *   const user = await ensureRootlessUser();            // as root; throws otherwise (callers skip)
 *   await checkRootlessPodman(user);                    // throws with podman's message if it cannot work
 *   const [command, ...args] = asUser(user, ['podman', 'images']);
 *   await runProcess(command, args);
 *
 * Processes run from argv arrays only (runuser + env), never through a shell.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { createBusyboxRootfs, tarRootfs } from './images';
import { machineContainersConf, ping } from './podman-service';
import { ProcessError, requireExecutable, runProcess } from './run-process';

export const ROOTLESS_USER = 'bootc-studio-rootless';

export interface RootlessUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Sub-id ranges given to the user when it has none (the size useradd gives by default). */
const SUBID_COUNT = 65536;
const SUBID_MIN = 100000;

/** PATH of the user's processes: runuser does not reset root's, and root's may not suit. */
const USER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Makes sure the user `name` exists with a home, sub-uid and sub-gid ranges (rootless podman's user
 * namespace) and, on machines whose podman needs the project's containers.conf
 * (`machineContainersConf()`: cgroup v1/hybrid, see .ci/containers.conf), that file as the user's
 * ~/.config/containers/containers.conf. Idempotent. Needs root: throws otherwise.
 */
export async function ensureRootlessUser(name = ROOTLESS_USER): Promise<RootlessUser> {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `ensureRootlessUser(${name}) needs root (it runs useradd and runuser); this process runs as uid ${uid ?? 'unknown'}.`,
    );
  }
  if (!/^[a-z_][a-z0-9_-]*$/.test(name))
    throw new Error(`ensureRootlessUser: not a user name: ${JSON.stringify(name)}`);

  let user = await lookUpUser(name);
  let created = false;
  if (!user) {
    try {
      await runProcess(requireExecutable('useradd', 'passwd'), ['--create-home', name]);
      created = true;
    } catch (error) {
      // Another process may have created it at the same time (useradd exits 9): fine if it exists now.
      if (!(await lookUpUser(name))) throw error;
    }
    user = await lookUpUser(name);
    if (!user) throw new Error(`useradd --create-home ${name} succeeded, but getent passwd does not know ${name}.`);
  }

  if (!existsSync(user.home)) {
    await mkdir(user.home, { recursive: true, mode: 0o755 });
    await chown(user.home, user.uid, user.gid);
  }

  const addedRanges = await ensureSubIdRanges(user);
  if (addedRanges && !created) {
    // A rootless podman that already ran keeps its old user namespace until told to migrate.
    const [command, ...args] = asUser(user, ['podman', 'system', 'migrate']);
    await runProcess(command, args).catch(() => undefined);
  }

  const conf = machineContainersConf();
  if (conf) await writeUserFile(user, join('.config', 'containers', 'containers.conf'), readFileSync(conf, 'utf8'));

  return user;
}

/**
 * An argv that runs `argv` as `user`: `runuser -u NAME -- env -i -C HOME HOME=… USER=… LOGNAME=…
 * PATH=… [XDG_RUNTIME_DIR=/run/user/UID] [extraEnv…] argv…`. The environment starts empty: root's
 * XDG_RUNTIME_DIR, TMPDIR, CONTAINERS_CONF, CONTAINERS_STORAGE_CONF or CONTAINER_HOST would
 * otherwise reach the user's podman (runuser keeps them), which then fails on root's paths or uses
 * root's settings. XDG_RUNTIME_DIR is set only if /run/user/UID exists (there is no login session
 * here); without it rootless podman uses /tmp/podman-run-UID. The working directory is the home, as
 * the caller's may not be readable by the user.
 */
export function asUser(user: RootlessUser, argv: readonly string[], extraEnv: Record<string, string> = {}): string[] {
  if (argv.length === 0) throw new Error('asUser: empty argv');
  const runuser = requireExecutable('runuser', 'util-linux');
  const env = requireExecutable('env', 'coreutils');
  const assignments = [`HOME=${user.home}`, `USER=${user.name}`, `LOGNAME=${user.name}`, `PATH=${USER_PATH}`];
  const runtimeDir = `/run/user/${user.uid}`;
  if (existsSync(runtimeDir)) assignments.push(`XDG_RUNTIME_DIR=${runtimeDir}`);
  for (const [key, value] of Object.entries(extraEnv)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`asUser: not an environment variable name: ${key}`);
    assignments.push(`${key}=${value}`);
  }
  // `env` would take an argv[0] containing '=' for one more assignment.
  if (argv[0].includes('=')) throw new Error(`asUser: the command must not contain '=': ${argv[0]}`);
  return [runuser, '-u', user.name, '--', env, '-i', '-C', user.home, ...assignments, ...argv];
}

/**
 * Runs `podman info` as the user and resolves with its storage driver; rejects with what podman
 * printed when rootless podman cannot work (no sub-ids, no newuidmap, a broken store…).
 */
export async function checkRootlessPodman(user: RootlessUser): Promise<string> {
  requireExecutable('podman', 'podman');
  const [command, ...args] = asUser(user, ['podman', 'info', '--format', '{{.Store.GraphDriverName}}']);
  try {
    const { stdout } = await runProcess(command, args, { timeoutMs: 120_000 });
    return stdout.trim();
  } catch (error) {
    const detail = error instanceof ProcessError ? error.message : String(error);
    throw new Error(`rootless podman does not work for ${user.name}: ${detail}`);
  }
}

/** The user's own podman service, as a desktop session would run it, and their podman CLI. */
export interface RootlessPodman {
  /** `unix://<dir>/podman.sock`: the engine URL (the socket belongs to the user). */
  readonly url: string;
  /** A private dir of the user's (0755, so root and the user can reach it); removed by stop(). */
  readonly dir: string;
  /** The user's podman CLI (argv, as the user); resolves its stdout and stderr. */
  podman(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Imports a busybox root filesystem as `ref` in the user's store with `labels`; resolves its full ID. */
  importImage(ref: string, labels?: Record<string, string>): Promise<string>;
  /** Stops the service, removes the images this helper imported and `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts `podman system service` as the user on a socket in a dir of theirs, once it answers. */
export async function startRootlessPodman(user: RootlessUser, readyTimeoutMs = 30_000): Promise<RootlessPodman> {
  const dir = await mkdtemp(join(tmpdir(), 'bootc-studio-rootless-'));
  await chmod(dir, 0o755);
  await chown(dir, user.uid, user.gid);
  const socket = join(dir, 'podman.sock');
  const [command, ...args] = asUser(user, ['podman', 'system', 'service', '--time=0', `unix://${socket}`]);
  const service = spawn(command, args, { stdio: 'ignore' });
  const imported: string[] = [];
  const podman = (podmanArgs: readonly string[]) => {
    const [file, ...rest] = asUser(user, ['podman', ...podmanArgs]);
    return runProcess(file, rest, { timeoutMs: 180_000 });
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    service.kill('SIGTERM');
    for (const ref of imported) await podman(['rmi', '--force', ref]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await ping(socket).catch(() => false))) {
    if (Date.now() > deadline || service.exitCode !== null) {
      await stop();
      throw new Error(`the podman service of ${user.name} did not answer on ${socket}`);
    }
    await delay(200);
  }
  return {
    url: `unix://${socket}`,
    dir,
    podman,
    async importImage(ref, labels = {}) {
      const work = await mkdtemp(join(dir, 'image-'));
      try {
        const rootfs = join(work, 'rootfs');
        await createBusyboxRootfs(rootfs);
        const tarball = join(work, 'rootfs.tar');
        await tarRootfs(rootfs, tarball);
        await chmod(work, 0o755);
        await chmod(tarball, 0o644);
        await podman(['rmi', '--force', ref]).catch(() => undefined);
        const changes = Object.entries(labels).flatMap(([key, value]) => ['--change', `LABEL ${key}=${value}`]);
        await podman(['import', '--quiet', ...changes, tarball, ref]);
        imported.push(ref);
        return (await podman(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    stop,
  };
}

async function lookUpUser(name: string): Promise<RootlessUser | undefined> {
  let line: string;
  try {
    line = (await runProcess(requireExecutable('getent', 'libc-bin'), ['passwd', name])).stdout.trim();
  } catch (error) {
    if (error instanceof ProcessError && error.exitCode === 2) return undefined; // no such user
    throw error;
  }
  const [login, , uid, gid, , home] = line.split('\n')[0].split(':');
  if (login !== name || !home) throw new Error(`getent passwd ${name} printed something unexpected: ${line}`);
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/**
 * Gives the user ranges in /etc/subuid and /etc/subgid if it has none (a user made before
 * SUB_UID_* were in login.defs, or by a useradd that skips them), after every existing range.
 * Resolves true when it added any.
 */
async function ensureSubIdRanges(user: RootlessUser): Promise<boolean> {
  const files = { subuid: '/etc/subuid', subgid: '/etc/subgid' } as const;
  const missing: ('subuid' | 'subgid')[] = [];
  let next = SUBID_MIN;
  for (const [kind, path] of Object.entries(files) as ['subuid' | 'subgid', string][]) {
    const entries = (await readFile(path, 'utf8').catch(() => ''))
      .split('\n')
      .map(line => line.trim().split(':'))
      .filter(fields => fields.length === 3);
    if (!entries.some(([owner]) => owner === user.name || owner === String(user.uid))) missing.push(kind);
    for (const [, start, count] of entries) next = Math.max(next, Number(start) + Number(count) || 0);
  }
  if (missing.length === 0) return false;
  const range = `${next}-${next + SUBID_COUNT - 1}`;
  const args: string[] = [];
  if (missing.includes('subuid')) args.push('--add-subuids', range);
  if (missing.includes('subgid')) args.push('--add-subgids', range);
  await runProcess(requireExecutable('usermod', 'passwd'), [...args, user.name]);
  return true;
}

/** Writes `content` to HOME/relativePath (dirs created on the way), all owned by the user. */
async function writeUserFile(user: RootlessUser, relativePath: string, content: string): Promise<void> {
  const path = join(user.home, relativePath);
  if ((await readFile(path, 'utf8').catch(() => undefined)) === content) return;
  const dirs: string[] = [];
  for (let dir = dirname(path); dir !== user.home && !existsSync(dir); dir = dirname(dir)) dirs.unshift(dir);
  for (const dir of dirs) {
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, user.uid, user.gid);
  }
  await writeFile(path, content, { mode: 0o644 });
  await chown(path, user.uid, user.gid);
}
