/**
 * `bootc-studio image build | push | pull` as a user runs them: the built dist/cli.js in a child
 * process, against a real podman service and real registries (an open one, which the engine's
 * registries.conf marks insecure, and an htpasswd one it does not), with the exit codes scripts
 * rely on: 0 done, 1 the operation failed, 2 bad input (nothing started).
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ImageOperation } from '../../src/api/image-operations';
import { finalRecord } from './support/cli-json';
import { BUSYBOX_BASE, createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import type { LocalRegistry } from './support/registry';
import { startRegistry } from './support/registry';
import { ProcessError, runProcess } from './support/run-process';

const cli = resolve(__dirname, '../../dist/cli.js');
const PASSWORD = 'cli-pa55word-not-in-output';

let podman: PodmanService;
let registry: LocalRegistry;
let authRegistry: LocalRegistry;

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { CONTAINER_HOST: _host, REGISTRY_AUTH_FILE: _auth, XDG_RUNTIME_DIR: _runtime, ...base } = process.env;
  // An empty HOME: no auth file of the machine's user leaks in.
  return { ...base, HOME: join(podman.dir, 'home'), ...extra };
}

async function bootcStudio(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await runProcess(process.execPath, [cli, ...args, '--url', podman.url], {
      env: cleanEnv(env),
      cwd: podman.dir,
    });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

async function imageExists(ref: string): Promise<boolean> {
  return podman.podman(['image', 'exists', ref]).then(
    () => true,
    () => false,
  );
}

describe('bootc-studio image build / push / pull against a real podman and registries', () => {
  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    [registry, authRegistry] = await Promise.all([
      startRegistry(),
      startRegistry({ htpasswd: { username: 'tester', password: PASSWORD } }),
    ]);
    podman = await startPodmanService({ insecureRegistries: [registry.url] });
    await createBusyboxBase(podman);
    await mkdir(join(podman.dir, 'home'), { recursive: true });
    const context = join(podman.dir, 'os');
    await mkdir(context, { recursive: true });
    await writeFile(
      join(context, 'Containerfile'),
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nARG FLAVOUR\nRUN echo "flavour=$FLAVOUR"\n`,
    );
    const failing = join(podman.dir, 'failing');
    await mkdir(failing, { recursive: true });
    await writeFile(join(failing, 'Dockerfile'), `FROM ${BUSYBOX_BASE}\nRUN echo step-output && false\n`);
    const slow = join(podman.dir, 'slow');
    await mkdir(slow, { recursive: true });
    await writeFile(join(slow, 'Containerfile'), `FROM ${BUSYBOX_BASE}\nRUN echo going-to-sleep && sleep 8\n`);
  });

  afterAll(async () => {
    await Promise.all([podman?.stop(), registry?.stop(), authRegistry?.stop()]);
  });

  test('image build streams the log and exits 0; --json ends with the final record', async () => {
    const tag = `${registry.url}/cli/os:1`;
    const { code, stdout, stderr } = await bootcStudio([
      'image',
      'build',
      'os',
      '-t',
      tag,
      '--build-arg',
      'FLAVOUR=minimal',
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('flavour=minimal');
    expect(stderr).toMatch(/STEP \d+\/\d+: RUN/);
    const operation = finalRecord<ImageOperation>(stdout);
    expect(operation).toMatchObject({ kind: 'build', status: 'succeeded', ref: tag, warnings: [] });
    const { stdout: id } = await podman.podman(['image', 'inspect', '--format', '{{.Id}}', tag]);
    expect(operation.imageId).toBe(id.trim());
  });

  test('a failing step exits 1 with the step named; the Dockerfile is found when there is no Containerfile', async () => {
    const { code, stdout, stderr } = await bootcStudio(['image', 'build', 'failing', '-t', 'localhost/cli/failing:1']);
    expect(code).toBe(1);
    expect(stdout).toContain('step-output');
    expect(stderr).toContain('RUN echo step-output && false');
    expect(await imageExists('localhost/cli/failing:1')).toBe(false);
  });

  test('image push exits 0 once the registry has the image; pull brings it back', async () => {
    const tag = `${registry.url}/cli/os:1`;
    const pushed = await bootcStudio(['image', 'push', tag]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`Pushed ${tag}`);
    expect(await registry.tags('cli/os')).toEqual(['1']);
    const digest = await registry.manifestDigest('cli/os', '1');
    expect(pushed.stdout).toContain(`1: digest: ${digest}`);
    expect(pushed.stdout).not.toContain('latest: digest:');
    const again = await bootcStudio(['image', 'push', tag, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(finalRecord(again.stdout)).toMatchObject({ kind: 'push', status: 'succeeded', digest });

    await podman.podman(['rmi', tag]);
    const pulled = await bootcStudio(['image', 'pull', tag, '--json']);
    expect(pulled.code, pulled.stderr).toBe(0);
    const operation = finalRecord<ImageOperation>(pulled.stdout);
    expect(operation).toMatchObject({ kind: 'pull', status: 'succeeded', percent: 100 });
    const { stdout } = await podman.podman(['image', 'inspect', '--format', '{{json .RepoDigests}}', tag]);
    expect(JSON.parse(stdout)).toContain(`${registry.url}/cli/os@${digest}`);
  });

  test('a plain-HTTP registry the engine does not trust: exit 1, naming the flag that fixes it', async () => {
    const tag = `${authRegistry.url}/cli/private:1`;
    await podman.podman(['tag', `${registry.url}/cli/os:1`, tag]);
    const refused = await bootcStudio(['image', 'push', tag, '--creds', `tester:${PASSWORD}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('speaks plain HTTP, not HTTPS');
    expect(refused.stderr).toContain('--tls-verify=false');
  });

  test('an htpasswd registry: no credentials exit 1 naming it; --creds and the auth file push; the password is never printed', async () => {
    const tag = `${authRegistry.url}/cli/private:1`;
    const anonymous = await bootcStudio(['image', 'push', tag, '--tls-verify=false']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`${authRegistry.url} requires authentication`);

    const withCreds = await bootcStudio([
      'image',
      'push',
      tag,
      '--tls-verify=false',
      '--creds',
      `tester:${PASSWORD}`,
      '--json',
    ]);
    expect(withCreds.code, withCreds.stderr).toBe(0);
    expect(await authRegistry.tags('cli/private')).toEqual(['1']);
    expect(withCreds.stdout + withCreds.stderr).not.toContain(PASSWORD);

    // podman login's auth file, found through REGISTRY_AUTH_FILE.
    const authFile = join(podman.dir, 'auth.json');
    const auth = Buffer.from(`tester:${PASSWORD}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [authRegistry.url]: { auth } } }), { mode: 0o600 });
    const other = `${authRegistry.url}/cli/private:2`;
    await podman.podman(['tag', tag, other]);
    const fromFile = await bootcStudio(['image', 'push', other, '--tls-verify=false'], {
      REGISTRY_AUTH_FILE: authFile,
    });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect((await authRegistry.tags('cli/private')).sort()).toEqual(['1', '2']);
    expect(fromFile.stdout + fromFile.stderr).not.toContain(PASSWORD);

    const wrong = await bootcStudio(['image', 'push', other, '--tls-verify=false', '--creds', 'tester:not-it']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('denied access with the credentials given');
    expect(wrong.stdout + wrong.stderr).not.toContain('not-it');
  });

  test.each([
    [['image', 'build', 'os', '-t', 'localhost/x:1', '--build-arg', 'NOEQUALS'], '--build-arg'],
    [['image', 'build', 'os', '-t', 'localhost/x:1', '--platform', 'linux/s390x'], '--platform'],
    [['image', 'build', 'os', '-t', 'Not/A:Tag!'], '--tag'],
    [['image', 'build', 'os'], '-t/--tag'],
    [['image', 'build', 'no-such-folder', '-t', 'localhost/x:1'], 'CONTEXT: '],
    [['image', 'push', 'localhost/x:1', '--tls-verify=maybe'], '--tls-verify'],
    [['image', 'push', 'localhost/x:1', '--creds', 'only-a-user'], '--creds'],
    [['image', 'pull', 'localhost/x:1', '--platform', 'windows/amd64'], '--platform'],
  ])('bad input %j exits 2 naming %s, and starts nothing', async (args, named) => {
    const { stdout: before } = await podman.podman(['images', '-q', '--no-trunc']);
    const { code, stderr } = await bootcStudio(args);
    expect(code).toBe(2);
    expect(stderr).toContain(named);
    const { stdout: after } = await podman.podman(['images', '-q', '--no-trunc']);
    expect(after).toBe(before);
  });

  test('Ctrl-C cancels a running build: exit 1, the build stops', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [cli, 'image', 'build', 'slow', '-t', 'localhost/cli/slow:1', '--url', podman.url],
      {
        env: cleanEnv(),
        cwd: podman.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>(done => child.once('exit', code => done(code)));
    const deadline = Date.now() + 60_000;
    while (!output.includes('going-to-sleep')) {
      if (Date.now() > deadline) throw new Error(`the build never started:\n${output}`);
      await new Promise(done => setTimeout(done, 50));
    }
    const interrupted = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(Date.now() - interrupted).toBeLessThan(20_000);
    expect(output).toMatch(/cancel/i);
    expect(await imageExists('localhost/cli/slow:1')).toBe(false);
  });
});
