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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { freePort } from '../../../src/platform/free-port';
import { findExecutable, requireExecutable, runProcess, terminate } from './run-process';

export interface LocalRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references (`${url}/name:tag`). */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the config, the storage and the log; removed by stop(). */
  readonly dir: string;
  /** The tags of repository `name` (`GET /v2/<name>/tags/list`); [] when it has none. */
  tags(name: string): Promise<string[]>;
  /**
   * The digest the registry stores for `name:tag` (`HEAD /v2/<name>/manifests/<tag>` accepting
   * Docker and OCI manifests and lists → Docker-Content-Digest); undefined when it has none.
   */
  manifestDigest(name: string, tag: string): Promise<string | undefined>;
  /** The media type of that manifest (an image manifest, or a list / OCI index). */
  manifestType(name: string, tag: string): Promise<string | undefined>;
  /** The user and password an htpasswd registry accepts; undefined for an open one. */
  readonly credentials?: { username: string; password: string };
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
  /**
   * Require this user and password (htpasswd auth, bcrypt hashed with `htpasswd -B` from Debian's
   * apache2-utils). Without it the registry is open.
   */
  htpasswd?: { username: string; password: string };
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
    if (child) await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    let authConfig: string[] = [];
    if (options.htpasswd) {
      const htpasswd = requireExecutable('htpasswd', 'apache2-utils');
      const file = join(dir, 'htpasswd');
      // -i: the password comes on stdin, not in argv.
      const { stdout } = await runProcess(htpasswd, ['-B', '-i', '-n', options.htpasswd.username], {
        input: options.htpasswd.password,
      });
      await writeFile(file, stdout.trim() + '\n', { mode: 0o600 });
      authConfig = ['auth:', '  htpasswd:', '    realm: bootc-studio-tests', `    path: ${JSON.stringify(file)}`];
    }
    const authHeader = options.htpasswd
      ? `Basic ${Buffer.from(`${options.htpasswd.username}:${options.htpasswd.password}`).toString('base64')}`
      : undefined;
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
          ...authConfig,
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
          tags: name => listTags(url, name, authHeader),
          manifestDigest: async (name, tag) => (await headManifest(url, name, tag, authHeader))?.digest,
          manifestType: async (name, tag) => (await headManifest(url, name, tag, authHeader))?.type,
          credentials: options.htpasswd ? { ...options.htpasswd } : undefined,
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
      // An htpasswd registry answers /v2/ with 401 once it is up.
      if (response.status === 200 || response.status === 401) return true;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) return `did not answer /v2/ within ${timeoutMs} ms`;
    await delay(50);
  }
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

async function headManifest(
  url: string,
  name: string,
  tag: string,
  authHeader: string | undefined,
): Promise<{ digest: string; type: string } | undefined> {
  const response = await fetch(`http://${url}/v2/${name}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_TYPES.join(', '), ...(authHeader ? { Authorization: authHeader } : {}) },
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`HEAD /v2/${name}/manifests/${tag} on ${url}: HTTP ${response.status}`);
  const digest = response.headers.get('docker-content-digest');
  if (!digest) throw new Error(`HEAD /v2/${name}/manifests/${tag} on ${url}: no Docker-Content-Digest`);
  return { digest, type: response.headers.get('content-type') ?? '' };
}

async function listTags(url: string, name: string, authHeader?: string): Promise<string[]> {
  const response = await fetch(`http://${url}/v2/${name}/tags/list`, {
    headers: authHeader ? { Authorization: authHeader } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 404) {
    await response.arrayBuffer();
    return [];
  }
  if (!response.ok) throw new Error(`GET /v2/${name}/tags/list on ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}
