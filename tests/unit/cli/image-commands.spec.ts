/**
 * `bootc-studio image build | push | pull` through runCli with a scripted engine: flags parsed and
 * checked before the engine is even contacted (exit 2), the log streamed, --json, exit codes,
 * Ctrl-C, and credentials from podman's auth file.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ImageOperation } from '../../../src/api/image-operations';
import { imageBuildCommand, parseBuildArgs } from '../../../src/cli/commands/image-build';
import { imagePullCommand } from '../../../src/cli/commands/image-pull';
import { imagePushCommand, parseTlsVerify } from '../../../src/cli/commands/image-push';
import { progressBar } from '../../../src/cli/job-follower';
import { authFileCandidates, credentialsFromAuthFiles, parseCreds } from '../../../src/cli/registry-credentials';
import { runCli } from '../../../src/cli/run';
import { EngineError, RegistryError } from '../../../src/engine/container-engine';
import { FakeEngine, untilAborted } from '../support/fake-engine';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-image-'));
  writeFileSync(join(dir, 'Containerfile'), 'FROM quay.io/fedora/fedora-bootc:42\n');
  writeFileSync(join(dir, 'Alt.containerfile'), 'FROM quay.io/fedora/fedora-bootc:42\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonEvent {
  type: 'job' | 'log' | 'end';
  job?: { status: string; error?: unknown; detail: unknown };
  lines?: string[];
}

/** Every line of the output parsed: --json prints nothing else. */
function jsonLines(stdout: string): JsonEvent[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map(line => JSON.parse(line) as JsonEvent);
}

function invoke(argv: string[], engine = new FakeEngine(), options: { env?: NodeJS.ProcessEnv; tty?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  let connects = 0;
  let interrupt: (() => void) | undefined;
  const done = runCli(
    argv,
    {
      stdout: { write: (text: string) => (stdout += text), isTTY: options.tty, columns: 60 },
      stderr: { write: (text: string) => (stderr += text) },
      env: options.env ?? {},
      cwd: dir,
      onInterrupt: handler => {
        interrupt = handler;
        return () => (interrupt = undefined);
      },
    },
    {
      commands: [imageBuildCommand, imagePushCommand, imagePullCommand],
      version: '0.0.0',
      connect: async () => {
        connects++;
        return engine;
      },
    },
  ).then(code => ({ code, stdout, stderr, connects, engine }));
  return { done, interrupt: () => interrupt?.(), output: () => stdout + stderr };
}

function run(argv: string[], engine = new FakeEngine(), options: { env?: NodeJS.ProcessEnv; tty?: boolean } = {}) {
  return invoke(argv, engine, options).done;
}

describe('bad flags exit 2 before the engine is contacted', () => {
  test.each([
    [
      ['image', 'build', '.', '-t', 'quay.io/me/os:1', '--build-arg', 'NOVALUE'],
      '--build-arg: expected KEY=VALUE, got "NOVALUE"',
    ],
    [['image', 'build', '.', '-t', 'quay.io/me/os:1', '--build-arg', '=x'], '--build-arg: expected KEY=VALUE'],
    [['image', 'build', '.', '-t', 'quay.io/me/os:1', '--build-arg', '9X=1'], '--build-arg 9X: a build argument name'],
    [
      ['image', 'build', '.', '-t', 'quay.io/me/os:1', '--platform', 'linux/ppc64le'],
      '--platform: a platform is one of',
    ],
    [['image', 'build', '.', '-t', 'NOT A REF'], '--tag: not an image reference'],
    [['image', 'build', '.'], 'image build: -t/--tag REF is required'],
    [
      ['image', 'build', '.', '-t', 'quay.io/me/os:1', '-f', '../elsewhere/Containerfile'],
      '-f/--file: ../elsewhere/Containerfile must be a file inside',
    ],
    [['image', 'build', '-t', 'quay.io/me/os:1'], 'image build: missing argument'],
    [['image', 'build', '.', '-t', 'quay.io/me/os:1', '--squash'], "Unknown option '--squash'"],
    [['image', 'push', 'quay.io/me/os:1', '--tls-verify=no'], '--tls-verify: expected true or false, got "no"'],
    [['image', 'push', 'quay.io/me/os:1', '--tls-verify'], "Option '--tls-verify <value>' argument missing"],
    [['image', 'push', 'quay.io/me/os:1', '--creds', 'justauser'], '--creds: expected USER:PASSWORD'],
    [['image', 'push', 'quay.io/me/os:1', '--creds', ':secretonly'], '--creds: expected USER:PASSWORD'],
    [['image', 'push', 'Bad Ref'], 'ref: not an image reference'],
    [['image', 'pull', 'quay.io/me/os:1', '--platform', 'linux/riscv64'], '--platform: a platform is one of'],
  ])('%j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.connects).toBe(0);
    expect(result.engine.started()).toEqual([]);
  });

  test('a bad --creds value is never echoed', async () => {
    const result = await run(['image', 'push', 'quay.io/me/os:1', '--creds', 'secret-without-colon']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('secret-without-colon');
  });

  test('a context folder that does not exist exits 2 naming CONTEXT, and starts nothing', async () => {
    const result = await run(['image', 'build', 'missing-folder', '-t', 'quay.io/me/os:1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`CONTEXT: ${join(dir, 'missing-folder')} is not a folder`);
    expect(result.engine.started()).toEqual([]);
  });
});

describe('image build', () => {
  test('streams the log to stdout and exits 0; -f is taken relative to the working folder; the default platform is the engine’s', async () => {
    const result = await run([
      'image',
      'build',
      '.',
      '-f',
      'Alt.containerfile',
      '-t',
      'quay.io/me/os:1',
      '--build-arg',
      'A=b=c',
      '--no-cache',
      '--pull',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('STEP 1/1: FROM quay.io/fedora/fedora-bootc:42');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('Built quay.io/me/os:1 — image built');
    expect(result.engine.calls[0].args[1]).toMatchObject({
      contextDir: dir,
      containerfile: 'Alt.containerfile',
      platforms: ['linux/amd64'],
      buildArgs: { A: 'b=c' },
      noCache: true,
      pull: true,
    });
  });

  test('--json: stdout holds only JSON lines of the job’s events, the last its end with the record; the log also goes to stderr; a failure exits 1', async () => {
    const engine = new FakeEngine();
    engine.onBuild = async (_options, sink) => {
      sink.log('STEP 2/2: RUN false');
      throw new EngineError('building at STEP "RUN false": exit status 1');
    };
    const result = await run(
      ['image', 'build', dir, '-t', 'quay.io/me/os:1', '--platform', 'linux/arm64', '--json'],
      engine,
    );
    expect(result.code).toBe(1);
    const events = jsonLines(result.stdout);
    expect(events.map(event => event.type)).toContain('job');
    expect(events.filter(event => event.type === 'log').flatMap(event => event.lines)).toContain('STEP 2/2: RUN false');
    const end = events.at(-1);
    expect(end?.type).toBe('end');
    expect(end?.job?.error).toEqual({ message: 'building at STEP "RUN false": exit status 1' });
    const record = end?.job?.detail as ImageOperation;
    expect(record).toMatchObject({
      kind: 'build',
      status: 'failed',
      error: 'building at STEP "RUN false": exit status 1',
    });
    expect(result.stderr).toContain('STEP 2/2: RUN false');
    expect(result.stderr).toContain('bootc-studio: building at STEP "RUN false": exit status 1');
  });

  test('Ctrl-C cancels the running build: exit 1, reported as cancelled', async () => {
    const engine = new FakeEngine();
    let started!: () => void;
    const running = new Promise<void>(resolve => (started = resolve));
    engine.onBuild = (options, sink) => {
      sink.log('STEP 1/1: RUN sleep 600');
      started();
      return untilAborted(options.signal);
    };
    const invocation = invoke(['image', 'build', '.', '-t', 'quay.io/me/os:1', '--json'], engine);
    await running;
    await new Promise(resolve => setImmediate(resolve));
    invocation.interrupt();
    const result = await invocation.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cancelling…');
    const end = jsonLines(result.stdout).at(-1);
    expect(end).toMatchObject({ type: 'end', job: { status: 'cancelled', detail: { status: 'cancelled' } } });
  });
});

describe('image push and pull', () => {
  test('push passes --creds and --tls-verify to the engine; the password appears nowhere in the output', async () => {
    const engine = new FakeEngine();
    engine.images.set('quay.io/me/os:1', {});
    engine.onPush = async (_ref, _options, sink) => {
      sink.layer({ id: 'aaa', status: 'Pushing', current: 1, total: 2 });
      return { digest: 'sha256:1234' };
    };
    const result = await run(['image', 'push', 'quay.io/me/os:1', '--tls-verify=false', '--creds', 'me:pa:ss'], engine);
    expect(result.code, result.stderr).toBe(0);
    expect(result.engine.calls[0].args[2]).toMatchObject({
      tlsVerify: false,
      credentials: { username: 'me', password: 'pa:ss' },
    });
    expect(result.stdout).toContain('Pushed quay.io/me/os:1 (sha256:1234)');
    expect(result.stdout.match(/Pushed quay.io/g)).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain('pa:ss');
  });

  test('push takes credentials from podman’s auth file when --creds is absent', async () => {
    const authFile = join(dir, 'auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({ auths: { 'quay.io': { auth: Buffer.from('robot:t0ken').toString('base64') } } }),
    );
    const engine = new FakeEngine();
    engine.images.set('quay.io/me/os:1', {});
    const result = await run(['image', 'push', 'quay.io/me/os:1'], engine, { env: { REGISTRY_AUTH_FILE: authFile } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.engine.calls[0].args[2]).toMatchObject({ credentials: { username: 'robot', password: 't0ken' } });
  });

  test('a registry refusal exits 1 with its message on stderr', async () => {
    const engine = new FakeEngine();
    engine.images.set('quay.io/me/os:1', {});
    engine.onPush = async () => {
      throw new RegistryError(
        'Push of quay.io/me/os:1 failed: quay.io requires authentication',
        'authentication-required',
      );
    };
    const result = await run(['image', 'push', 'quay.io/me/os:1'], engine);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bootc-studio: Push of quay.io/me/os:1 failed: quay.io requires authentication');
  });

  test('pull passes the platform; on a terminal the bar is redrawn in place and removed at the end', async () => {
    const engine = new FakeEngine();
    engine.onPull = async (_ref, _options, sink) => {
      sink.layer({ id: 'aaa', status: 'Downloading', current: 1, total: 4 });
      sink.layer({ id: 'aaa', status: 'Downloading', current: 3, total: 4 });
      return { imageId: 'abc' };
    };
    const result = await run(['image', 'pull', 'quay.io/me/os:1', '--platform', 'linux/arm64'], engine, { tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.engine.calls[0].args[2]).toMatchObject({ platform: 'linux/arm64' });
    expect(result.stdout).toContain('\r\x1b[2K[');
    expect(result.stdout).toMatch(/ 75%/);
    expect(result.stdout).toContain('Pulled quay.io/me/os:1');
  });
});

describe('flag parsing helpers', () => {
  test('parseBuildArgs, parseTlsVerify, parseCreds', () => {
    expect(parseBuildArgs(['A=1', 'B=', 'C=x=y'])).toEqual({ A: '1', B: '', C: 'x=y' });
    expect(() => parseBuildArgs(['A'])).toThrow(/--build-arg/);
    expect(parseTlsVerify(undefined)).toBeUndefined();
    expect(parseTlsVerify('false')).toBe(false);
    expect(parseTlsVerify('true')).toBe(true);
    expect(() => parseTlsVerify('0')).toThrow(/--tls-verify/);
    expect(parseCreds('me:a:b')).toEqual({ username: 'me', password: 'a:b' });
    expect(() => parseCreds('me:')).toThrow(/--creds/);
  });

  test('auth files: podman’s order, and the most specific entry wins', () => {
    expect(authFileCandidates({ REGISTRY_AUTH_FILE: '/a.json', XDG_RUNTIME_DIR: '/run/user/1' })).toEqual(['/a.json']);
    expect(authFileCandidates({ XDG_RUNTIME_DIR: '/run/user/1', HOME: '/home/me' })).toEqual([
      '/run/user/1/containers/auth.json',
      '/home/me/.config/containers/auth.json',
      '/home/me/.docker/config.json',
    ]);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const file = JSON.stringify({
      auths: {
        'quay.io': { auth: b64('general:one') },
        'quay.io/team': { auth: b64('team:two') },
        'https://index.docker.io/v1/': { auth: b64('hub:three') },
        'broken.io': { auth: b64('nocolon') },
      },
    });
    const read = (path: string) => (path === '/auth.json' ? file : undefined);
    const env = { REGISTRY_AUTH_FILE: '/auth.json' };
    expect(credentialsFromAuthFiles('quay.io/team/os:1', env, read)).toEqual({ username: 'team', password: 'two' });
    expect(credentialsFromAuthFiles('quay.io/other/os:1', env, read)).toEqual({ username: 'general', password: 'one' });
    expect(credentialsFromAuthFiles('library/busybox', env, read)).toEqual({ username: 'hub', password: 'three' });
    expect(credentialsFromAuthFiles('broken.io/x:1', env, read)).toBeUndefined();
    expect(credentialsFromAuthFiles('ghcr.io/x:1', env, read)).toBeUndefined();
  });

  test('progressBar draws the percent and the current message within the width', () => {
    const line = progressBar({ percent: 75, message: 'Pushing quay.io/me/os:1' }, 50);
    expect(line).toMatch(/^\[=+> +\] {2}75% Pushing quay\.io\/me\/os:1$/);
    expect(line.length).toBeLessThanOrEqual(50);
    expect(progressBar({ percent: 75, message: 'x'.repeat(200) }, 50)).toHaveLength(50);
    expect(progressBar({ percent: undefined }, 50)).toMatch(/^\[ +\] {3}…$/);
  });
});
