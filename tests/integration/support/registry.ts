/**
 * A private container registry for push/pull tests: Debian's `docker-registry` (distribution 2.8)
 * serving plain HTTP on a free 127.0.0.1 port, storing into its own temp dir.
 *
 *   let registry: LocalRegistry;
 *   beforeAll(async () => { registry = await startRegistry(); });
 *   afterAll(() => registry?.stop());
 *
 *   await podman.podman(['push', '--tls-verify=false', 'localhost/x:1', `${registry.url}/x:1`]);
 *   await registry.tags('x'); // ['1']
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findExecutable, requireExecutable } from './run-process';

export interface LocalRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references (`${url}/name:tag`). */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the config, the storage and the log; removed by stop(). */
  readonly dir: string;
  /** The tags of repository `name` (`GET /v2/<name>/tags/list`); [] when it has none. */
  tags(name: string): Promise<string[]>;
  /** What the registry has logged, for failure messages. */
  log(): string;
  /** Stops the registry and deletes its dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Where the temp dir is created. Default: the OS temp dir. */
  parentDir?: string;
  /** How long to wait for `/v2/` to answer. Default 15 s. */
  readyTimeoutMs?: number;
}

/** Starts `docker-registry serve` on a free loopback port and waits until `/v2/` answers. */
export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  const binary = requireExecutable('docker-registry', 'docker-registry');
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'bootc-studio-registry-'));
  const logPath = join(dir, 'registry.log');
  const readLog = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  let child: ChildProcess | undefined;
  let stopped = false;
  const kill = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', kill);
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise(resolve => running.once('exit', resolve));
      running.kill('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), delay(5_000).then(() => false)]);
      if (!gone) {
        running.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // The port is chosen free, then handed to the registry; another process could take it in
    // between, which shows as the registry exiting with "address already in use" — retried.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      await writeFile(
        config,
        [
          'version: 0.1',
          'log:',
          '  level: warn',
          '  accesslog:',
          '    disabled: true',
          'storage:',
          '  filesystem:',
          `    rootdirectory: ${JSON.stringify(join(dir, 'data'))}`,
          '  delete:',
          '    enabled: true',
          'http:',
          `  addr: 127.0.0.1:${port}`,
          // A fixed secret silences the "No HTTP secret provided" warning; it signs upload state only.
          '  secret: bootc-studio-tests',
          '',
        ].join('\n'),
      );
      const logFd = openSync(logPath, 'a');
      try {
        const setpriv = findExecutable('setpriv');
        const argv = [binary, 'serve', config];
        // If the test process is killed outright (SIGKILL), the kernel kills the registry too.
        const [command, ...args] = setpriv ? [setpriv, '--pdeathsig', 'SIGKILL', '--', ...argv] : argv;
        child = spawn(command, args, { stdio: ['ignore', logFd, logFd] });
      } finally {
        closeSync(logFd);
      }
      const started = child;
      const exited = new Promise<string>(resolve => {
        started.once('error', error => resolve(`could not start: ${error.message}`));
        started.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
      });
      const url = `127.0.0.1:${port}`;
      const ready = await waitForRegistry(url, exited, options.readyTimeoutMs ?? 15_000);
      if (ready === true) {
        return {
          url,
          port,
          dir,
          tags: name => listTags(url, name),
          log: readLog,
          stop,
        };
      }
      if (attempt < 3 && /address already in use/.test(readLog())) continue;
      throw new Error(`docker-registry ${ready} on ${url}:\n${readLog().trim().split('\n').slice(-20).join('\n')}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForRegistry(url: string, exited: Promise<string>, timeoutMs: number): Promise<true | string> {
  let exitReason: string | undefined;
  void exited.then(reason => (exitReason = reason));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitReason !== undefined) return exitReason;
    try {
      const response = await fetch(`http://${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) return `did not answer /v2/ within ${timeoutMs} ms`;
    await delay(50);
  }
}

async function listTags(url: string, name: string): Promise<string[]> {
  const response = await fetch(`http://${url}/v2/${name}/tags/list`, { signal: AbortSignal.timeout(10_000) });
  if (response.status === 404) {
    await response.arrayBuffer();
    return [];
  }
  if (!response.ok) throw new Error(`GET /v2/${name}/tags/list on ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
