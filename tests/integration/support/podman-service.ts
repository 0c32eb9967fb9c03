/**
 * A private podman service for one test file: its own image store, run root, temp dir and socket
 * in a fresh temp directory, so tests never see or touch the machine's images.
 *
 *   let podman: PodmanService;
 *   beforeAll(async () => { podman = await startPodmanService(); });
 *   afterAll(() => podman?.stop());
 *
 *   new PodmanSocketEngine(podman.url)                 // the product, over the REST API
 *   await podman.podman(['images', '--format', 'json']) // the podman CLI, on the same store
 *
 * The machine-specific podman settings (runtime, ulimits, network; see .ci/containers.conf) come
 * from CONTAINERS_CONF in the environment, as .ci/run exports it, or from `containersConf`.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import type { RunOptions, RunResult } from './run-process';
import { findExecutable, ProcessError, requireExecutable, runProcess, terminate } from './run-process';

export const PODMAN_APT_PACKAGES = 'podman runc uidmap slirp4netns fuse-overlayfs';

const DIR_PREFIX = 'bootc-studio-podman-';

export interface PodmanServiceOptions {
  /** Where the private temp dir is created. Default: the OS temp dir. */
  parentDir?: string;
  /** A containers.conf for podman. Default: $CONTAINERS_CONF, if set. */
  containersConf?: string;
  /** How long to wait for the socket to answer /_ping. Default 30 s. */
  readyTimeoutMs?: number;
  /**
   * Registries (`host:port`) the service reaches over plain HTTP without being told per request,
   * through a registries.conf of its own (CONTAINERS_REGISTRIES_CONF) marking them `insecure`.
   */
  insecureRegistries?: string[];
}

export interface PodmanService {
  /** The private temp dir holding everything below; removed by stop(). */
  readonly dir: string;
  /** Image store (podman --root); also what the engine reports as its graph root. */
  readonly root: string;
  /** podman --runroot. */
  readonly runroot: string;
  readonly socketPath: string;
  /** `unix://<socketPath>`: for CONTAINER_HOST, --url or `new PodmanSocketEngine(url)`. */
  readonly url: string;
  /**
   * The environment podman runs with here (TMPDIR, CONTAINERS_STORAGE_CONF, CONTAINERS_CONF,
   * BUILDAH_ISOLATION; no CONTAINER_HOST). Use it for other tools (skopeo, buildah) that should
   * see the same store.
   */
  readonly env: NodeJS.ProcessEnv;
  /** podman's global flags that select this store: prepend them to run podman yourself. */
  readonly globalArgs: readonly string[];
  /** Runs the podman CLI against this store (argv, no shell); rejects with a ProcessError. */
  podman(args: readonly string[], options?: Omit<RunOptions, 'env'>): Promise<RunResult>;
  /** What the service has logged so far, for failure messages. */
  serviceLog(): Promise<string>;
  /** Removes containers, stops the service and deletes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The project's containers.conf for machines like CI's: cgroup v1 or hybrid, where crun fails and
 * podman's default rlimits and CNI networking are refused (see .ci/containers.conf). On a cgroup v2
 * host podman needs nothing, and its own configuration is left alone.
 */
export function machineContainersConf(): string | undefined {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return undefined;
  return fileURLToPath(new URL('../../../.ci/containers.conf', import.meta.url));
}

/** Starts `podman system service` on a private store and waits until its socket answers. */
export async function startPodmanService(options: PodmanServiceOptions = {}): Promise<PodmanService> {
  const podmanPath = requireExecutable('podman', PODMAN_APT_PACKAGES);
  const containersConf = options.containersConf ?? process.env.CONTAINERS_CONF ?? machineContainersConf();
  if (containersConf && !existsSync(containersConf)) {
    throw new Error(`CONTAINERS_CONF ${containersConf} does not exist.`);
  }

  const parentDir = options.parentDir ?? tmpdir();
  sweepStaleDirs(parentDir);
  const dir = mkdtempSync(join(parentDir, DIR_PREFIX));
  const root = join(dir, 'root');
  const runroot = join(dir, 'runroot');
  const socketPath = join(dir, 'podman.sock');
  const url = `unix://${socketPath}`;
  const logPath = join(dir, 'service.log');
  const globalArgs = [
    '--root',
    root,
    '--runroot',
    runroot,
    '--storage-driver',
    'vfs',
    // libpod's own state (/run/libpod otherwise) and events stay inside the temp dir too.
    '--tmpdir',
    join(dir, 'libpod'),
    '--events-backend',
    'file',
  ];

  let child: ChildProcess | undefined;
  let stopped = false;
  const emergency = {
    dir,
    kill: (): void => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  liveServices.add(emergency);
  installEmergencyCleanup();

  try {
    await mkdir(join(dir, 'tmp'));
    await mkdir(join(dir, 'libpod'));
    // A storage.conf of our own, so the machine's (additional image stores, mount options) does
    // not leak in, and tools that honour CONTAINERS_STORAGE_CONF (skopeo) see the same store.
    const storageConf = join(dir, 'storage.conf');
    await writeFile(
      storageConf,
      `[storage]\ndriver = "vfs"\ngraphroot = ${JSON.stringify(root)}\nrunroot = ${JSON.stringify(runroot)}\n`,
    );
    const env = podmanEnvironment({ tmp: join(dir, 'tmp'), storageConf, containersConf });
    if (options.insecureRegistries?.length) {
      const registriesConf = join(dir, 'registries.conf');
      await writeFile(
        registriesConf,
        options.insecureRegistries
          .map(location => `[[registry]]\nlocation = ${JSON.stringify(location)}\ninsecure = true\n`)
          .join('\n'),
      );
      env.CONTAINERS_REGISTRIES_CONF = registriesConf;
    }

    const podman = (args: readonly string[], runOptions: Omit<RunOptions, 'env'> = {}): Promise<RunResult> =>
      runProcess(podmanPath, [...globalArgs, ...args], { ...runOptions, env }).catch((error: unknown) => {
        throw withConfHint(error, containersConf);
      });

    const logFd = openSync(logPath, 'a');
    try {
      const argv = [podmanPath, ...globalArgs, 'system', 'service', '--time=0', url];
      // If the test process is killed outright (SIGKILL), the kernel kills the service too.
      const setpriv = findExecutable('setpriv');
      const [command, ...args] = setpriv ? [setpriv, '--pdeathsig', 'SIGKILL', '--', ...argv] : argv;
      child = spawn(command, args, { env, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    const service = child;
    if (service.pid !== undefined) writeFileSync(join(dir, 'service.pid'), `${service.pid}\n`);
    const exited = new Promise<string>(resolve => {
      service.once('error', error => resolve(`could not start: ${error.message}`));
      service.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });

    await waitForPing(socketPath, exited, options.readyTimeoutMs ?? 30_000, logPath, containersConf);

    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      try {
        // Containers hold mounts (shm) under the store; remove them before deleting it.
        await podman(['pod', 'rm', '--all', '--force', '--time', '0']).catch(() => undefined);
        await podman(['rm', '--all', '--force', '--time', '0']).catch(() => undefined);
        await terminate(service, 10_000);
        await unmountBelow(dir);
        await removeTree(dir, podmanPath, globalArgs, env);
      } finally {
        liveServices.delete(emergency);
      }
    };

    return {
      dir,
      root,
      runroot,
      socketPath,
      url,
      env,
      globalArgs,
      podman,
      serviceLog: () => readFile(logPath, 'utf8').catch(() => ''),
      stop,
    };
  } catch (error) {
    emergency.kill();
    rmSync(dir, { recursive: true, force: true });
    liveServices.delete(emergency);
    throw error;
  }
}

/**
 * Services not stopped yet. When the test process ends without afterAll (a failed test that
 * started its own service, or vitest terminating the worker with SIGTERM), they are killed and
 * their dirs deleted synchronously; a worker killed with SIGKILL takes its services with it
 * (setpriv --pdeathsig) and the next start sweeps its dir.
 */
const liveServices = new Set<{ dir: string; kill(): void }>();
let emergencyInstalled = false;

function installEmergencyCleanup(): void {
  if (emergencyInstalled) return;
  emergencyInstalled = true;
  const cleanup = (): void => {
    for (const service of liveServices) {
      service.kill();
      try {
        rmSync(service.dir, { recursive: true, force: true });
      } catch {
        // a mount still busy: the next start sweeps it
      }
    }
    liveServices.clear();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanup();
      process.removeListener(signal, onSignal);
      // Keep the signal's meaning: terminate, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Deletes temp dirs of earlier services whose process is gone (a test process killed outright). */
function sweepStaleDirs(parentDir: string): void {
  let names: string[];
  try {
    names = readdirSync(parentDir).filter(name => name.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(parentDir, name);
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, 'service.pid'), 'utf8'));
    } catch {
      continue; // starting up, or not ours to judge
    }
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // leave it
    }
  }
}

/** Whether a process runs; a zombie does not (PID 1 of some machines never reaps them). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function podmanEnvironment(paths: { tmp: string; storageConf: string; containersConf?: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // These would turn the podman CLI into a remote client of some other service.
  for (const name of ['CONTAINER_HOST', 'CONTAINER_CONNECTION', 'CONTAINER_SSHKEY', 'CONTAINER_PASSPHRASE']) {
    delete env[name];
  }
  env.TMPDIR = paths.tmp;
  env.CONTAINERS_STORAGE_CONF = paths.storageConf;
  // Builds through the REST API use the service's isolation; OCI isolation fails on these machines.
  env.BUILDAH_ISOLATION = 'chroot';
  if (paths.containersConf) env.CONTAINERS_CONF = paths.containersConf;
  else delete env.CONTAINERS_CONF;
  return env;
}

async function waitForPing(
  socketPath: string,
  exited: Promise<string>,
  timeoutMs: number,
  logPath: string,
  containersConf: string | undefined,
): Promise<void> {
  let exitReason: string | undefined;
  void exited.then(reason => (exitReason = reason));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitReason !== undefined) {
      throw new Error(
        `podman system service ${exitReason} before answering on ${socketPath}:\n${logTail(logPath)}${confHint(containersConf)}`,
      );
    }
    if (await ping(socketPath)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `podman system service did not answer /_ping on ${socketPath} within ${timeoutMs} ms:\n${logTail(logPath)}`,
      );
    }
    await delay(50);
  }
}

/** True when the socket answers GET /_ping with 200. */
export function ping(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise(resolve => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs, agent: false }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Unmounts whatever is still mounted below `dir` (deepest first), e.g. a container's shm. */
async function unmountBelow(dir: string): Promise<void> {
  let mountinfo: string;
  try {
    mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const mounts = mountinfo
    .split('\n')
    .map(line => line.split(' ')[4])
    .filter((point): point is string => !!point && (point === dir || point.startsWith(`${dir}/`)))
    .map(point => point.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    await runProcess('umount', ['-l', point]).catch(() => undefined);
  }
}

/**
 * Deletes the temp dir. As root a plain recursive delete works; a rootless store holds files owned
 * by sub-uids, which only `podman unshare` may delete.
 */
async function removeTree(
  dir: string,
  podmanPath: string,
  globalArgs: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    return;
  } catch (error) {
    if (process.getuid?.() === 0) throw error;
  }
  await runProcess(podmanPath, [...globalArgs, 'unshare', 'rm', '-rf', dir], { env });
  await rm(dir, { recursive: true, force: true });
}

function withConfHint(error: unknown, containersConf: string | undefined): unknown {
  if (error instanceof ProcessError && !containersConf) {
    error.message += confHint(containersConf);
  }
  return error;
}

function confHint(containersConf: string | undefined): string {
  return containersConf
    ? ''
    : '\n(CONTAINERS_CONF is not set: on machines with the podman quirks of ENVIRONMENT.md, ' +
        'export CONTAINERS_CONF="$PWD/.ci/containers.conf" as .ci/run does.)';
}

function logTail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no service log)';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
