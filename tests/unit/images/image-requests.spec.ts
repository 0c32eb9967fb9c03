/**
 * The core's build, push and pull requests: checked before anything starts (each bad field named),
 * the engine driven as the port says, and the checks after a build (architecture, bootc label).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { imageReferenceSchema, validate } from '../../../src/api/validation';
import { NOT_BOOTC_WARNING, startBuild, withoutPlatformArgsWarning } from '../../../src/images/image-build';
import { detectContainerfileIn } from '../../../src/images/containerfile';
import { ImageOperations } from '../../../src/images/image-operations';
import { pushWarnings, startPull, startPush } from '../../../src/images/image-transfer';
import { ENGINE, FakeEngine } from '../support/fake-engine';

let dir: string;
let empty: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-requests-'));
  writeFileSync(join(dir, 'Containerfile'), 'FROM quay.io/fedora/fedora-bootc:42\n');
  writeFileSync(join(dir, 'Other.containerfile'), 'FROM quay.io/fedora/fedora-bootc:42\n');
  empty = mkdtempSync(join(tmpdir(), 'image-requests-empty-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

const valid = () => ({
  contextDir: dir,
  tag: 'quay.io/me/os:1',
  platforms: ['linux/amd64'],
  buildArgs: {},
  noCache: false,
  pull: false,
});

function setup() {
  const engine = new FakeEngine();
  const operations = new ImageOperations();
  return { engine, operations, deps: { engine, operations } };
}

describe('image references', () => {
  // Docker's rule: the first component is a registry only with a `.` or a `:`, or as `localhost`;
  // otherwise it is part of the path, which is lower-case.
  test.each(['UPPER/case', 'Quay/x:1'])('%s is refused: an upper-case first component is no registry', ref => {
    expect(validate(imageReferenceSchema, ref)).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringMatching(/^not an image reference/) }],
    });
  });

  test.each(['Quay.io/x:1', 'localhost:5000/x', 'localhost/x', '[::1]:5000/x', 'registry:5000/me/os:1', 'me/os:1'])(
    '%s is accepted',
    ref => {
      expect(validate(imageReferenceSchema, ref)).toEqual({ ok: true, value: ref });
    },
  );
});

describe('build requests', () => {
  test.each([
    [{ tag: 'Quay.io/Me/OS:1!' }, /^tag: not an image reference/],
    [{ tag: '' }, /^tag: an image reference is required/],
    [{ platforms: [] }, /^platforms: choose at least one platform/],
    [{ platforms: ['linux/s390x'] }, /^platforms\.0: a platform is one of linux\/amd64, linux\/arm64/],
    [{ buildArgs: { '1BAD': 'x' } }, /^buildArgs\.1BAD: a build argument name/],
    [{ buildArgs: { GOOD: 'two\nlines' } }, /^buildArgs\.GOOD: a build argument value is one line/],
    [{ containerfile: '../outside' }, /^containerfile: the Containerfile must be a path inside the context folder/],
    [{ containerfile: 'Missing' }, /^containerfile: Missing does not exist/],
    [{ contextDir: 'relative/dir' }, /^contextDir: the context folder must be an absolute path/],
    [{ contextDir: '/no/such/folder' }, /^contextDir: \/no\/such\/folder is not a folder/],
    [{ noCache: 'yes' }, /^noCache: /],
  ])('%j is refused, naming the field, and nothing starts', async (change, message) => {
    const { deps, engine, operations } = setup();
    await expect(startBuild(deps, { ...valid(), ...change })).rejects.toThrow(message);
    expect(engine.started()).toEqual([]);
    expect(operations.list()).toEqual([]);
  });

  test('the first log line is there at once, before the engine has answered anything', async () => {
    const { deps, engine, operations } = setup();
    let answer!: () => void;
    const answered = new Promise<void>(resolve => (answer = resolve));
    const list = engine.listEngines.bind(engine);
    engine.listEngines = async () => {
      await answered;
      return list();
    };
    const id = await startBuild(deps, valid());
    await new Promise(resolve => setImmediate(resolve));
    expect(operations.readLog(id, 0).lines[0]).toBe(
      `Building quay.io/me/os:1 from ${dir} (Containerfile) for linux/amd64…`,
    );
    answer();
    const done = await operations.wait(id);
    expect(done).toMatchObject({ status: 'succeeded', engineId: 'podman:/run/podman/podman.sock' });
    expect(done.engineName).not.toBe('');
  });

  test("without a platform (the CLI without --platform) the first line comes first, then the engine's platform is built", async () => {
    const { deps, engine, operations } = setup();
    engine.listEngines = async () => [{ ...ENGINE, arch: 'arm64' }];
    const id = await startBuild(deps, { ...valid(), platforms: [] }, { enginePlatform: true });
    expect(operations.readLog(id, 0).lines[0]).toBe(
      `Building quay.io/me/os:1 from ${dir} (Containerfile) for the engine's platform…`,
    );
    await operations.wait(id);
    const build = engine.calls.find(call => call.method === 'buildImage');
    expect((build?.args[1] as { platforms: string[] }).platforms).toEqual(['linux/arm64']);
  });

  test("an empty platform list is still refused where the caller did not ask for the engine's", async () => {
    const { deps, operations } = setup();
    await expect(startBuild(deps, { ...valid(), platforms: [] })).rejects.toThrow(/platforms/);
    expect(operations.list()).toEqual([]);
  });

  test('a build keeps its folder and settings for "New build", never its build arguments', async () => {
    const { deps, operations } = setup();
    const id = await startBuild(deps, { ...valid(), noCache: true, buildArgs: { TOKEN: 's3cret-token' } });
    const done = await operations.wait(id);
    expect(done.source).toEqual({ contextDir: dir, platforms: ['linux/amd64'], noCache: true, pull: false });
    expect(JSON.stringify(done)).not.toContain('s3cret-token');
  });

  test('an engine that is not running fails the build naming the Engine field in words', async () => {
    const { deps, engine, operations } = setup();
    const done = await operations.wait(await startBuild(deps, { ...valid(), engineId: 'docker:/elsewhere' }));
    expect(done).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^Engine: the engine docker:\/elsewhere is not running; choose one that is: /),
    });
    expect(engine.started()).toEqual([]);
  });

  test("the form's look-up: a path that is not a folder is said so, naming the context folder", async () => {
    await expect(detectContainerfileIn(join(dir, 'Containerfile'))).rejects.toThrow(
      /^contextDir: .*Containerfile is not a folder/,
    );
    await expect(detectContainerfileIn(dir)).resolves.toBe('Containerfile');
    await expect(detectContainerfileIn(empty)).resolves.toBeUndefined();
  });

  test('a folder without Containerfile or Dockerfile is refused naming the containerfile', async () => {
    const { deps } = setup();
    await expect(startBuild(deps, { ...valid(), contextDir: empty })).rejects.toThrow(
      /^containerfile: .* has no Containerfile or Dockerfile/,
    );
  });

  test('the default Containerfile is used; the result is bootc-labelled so no warning', async () => {
    const { deps, engine, operations } = setup();
    const id = await startBuild(deps, { ...valid(), buildArgs: { A: '1' } });
    const done = await operations.wait(id);
    expect(done).toMatchObject({ status: 'succeeded', kind: 'build', imageId: 'built', warnings: [] });
    expect(engine.calls[0].args[1]).toMatchObject({
      contextDir: dir,
      containerfile: 'Containerfile',
      tag: 'quay.io/me/os:1',
      platforms: ['linux/amd64'],
      buildArgs: { A: '1' },
      noCache: false,
    });
    expect(operations.readLog(id, 0).lines).toContain('STEP 1/1: FROM quay.io/fedora/fedora-bootc:42');
  });

  test('a result without a bootc label gets the warning', async () => {
    const { deps, engine, operations } = setup();
    engine.onBuild = async () => {
      engine.images.set('plain', { arch: 'amd64', labels: { maintainer: 'me' } });
      return { imageId: 'plain' };
    };
    const done = await operations.wait(await startBuild(deps, valid()));
    expect(done.status).toBe('succeeded');
    expect(done.warnings).toEqual([NOT_BOOTC_WARNING]);
  });

  test("an image of the wrong architecture (podman 4.3's cache) is rebuilt once without the cache", async () => {
    const { deps, engine, operations } = setup();
    engine.onBuild = async (options, _sink, attempt) => {
      engine.images.set(`img${attempt}`, {
        arch: attempt === 1 ? 'amd64' : 'arm64',
        labels: { 'containers.bootc': '1' },
      });
      void options;
      return { imageId: `img${attempt}` };
    };
    const done = await operations.wait(await startBuild(deps, { ...valid(), platforms: ['linux/arm64'] }));
    expect(done).toMatchObject({ status: 'succeeded', imageId: 'img2' });
    expect(engine.calls.map(call => (call.args[1] as { noCache: boolean }).noCache)).toEqual([false, true]);
    expect(operations.readLog(done.id, 0).lines.join('\n')).toContain('building again without the cache');
  });

  test('several platforms build without the cache, and every member is checked', async () => {
    const { deps, engine, operations } = setup();
    engine.onBuild = async () => {
      engine.images.set('amd', { arch: 'amd64', labels: { 'containers.bootc': '1' } });
      engine.images.set('arm', { arch: 'arm64', labels: {} });
      return {
        imageId: 'list',
        platformImages: [
          { platform: 'linux/amd64', imageId: 'amd' },
          { platform: 'linux/arm64', imageId: 'arm' },
        ],
      };
    };
    const done = await operations.wait(
      await startBuild(deps, { ...valid(), platforms: ['linux/amd64', 'linux/arm64'] }),
    );
    expect(done.status).toBe('succeeded');
    expect(engine.calls[0].args[1]).toMatchObject({ platforms: ['linux/amd64', 'linux/arm64'], noCache: true });
    expect(done.warnings).toEqual([NOT_BOOTC_WARNING]);
    expect(done.message).toBe('Built quay.io/me/os:1 for linux/amd64, linux/arm64');
  });
});

describe("buildah's unconsumed build args warning", () => {
  const warning = (names: string) => `[Warning] one or more build args were not consumed: [${names}]`;

  test('the platform args buildah set by itself are dropped; a line naming only those goes', () => {
    expect(withoutPlatformArgsWarning(warning('TARGETARCH TARGETOS TARGETPLATFORM'))).toBeUndefined();
    expect(withoutPlatformArgsWarning(warning('GREETING TARGETOS'))).toBe(warning('GREETING'));
    expect(withoutPlatformArgsWarning('STEP 1/2: FROM x')).toBe('STEP 1/2: FROM x');
  });

  test('a platform arg the user passed is still reported', () => {
    expect(withoutPlatformArgsWarning(warning('TARGETARCH TARGETOS'), ['TARGETARCH'])).toBe(warning('TARGETARCH'));
  });
});

describe('push and pull requests', () => {
  test('bad references and credentials are refused naming the field; an image the engine lacks too', async () => {
    const { deps, engine } = setup();
    await expect(startPush(deps, { ref: 'quay.io/Me/os:1' })).rejects.toThrow(/^ref: not an image reference/);
    await expect(
      startPush(deps, { ref: 'quay.io/me/os:1', credentials: { username: 'me', password: '' } }),
    ).rejects.toThrow(/^credentials\.password: a password is required/);
    await expect(startPush(deps, { ref: 'quay.io/me/os:1', tlsVerify: 'no' })).rejects.toThrow(/^tlsVerify: /);
    await expect(startPush(deps, { ref: 'quay.io/me/os:1' })).rejects.toThrow(/^ref: .*has no image quay.io\/me\/os:1/);
    await expect(startPull(deps, { ref: 'quay.io/me/os:1', platform: 'linux/386' })).rejects.toThrow(/^platform: /);
    expect(engine.started()).toEqual([]);
  });

  test('a push hands credentials and TLS choice to the engine, reports layers, and records no password', async () => {
    const { deps, engine, operations } = setup();
    engine.images.set('quay.io/me/os:1', {});
    engine.onPush = async (_ref, _options, sink) => {
      sink.layer({ id: 'aaa', status: 'Pushing', current: 10, total: 20 });
      sink.log('Copying blob aaa');
      return { digest: 'sha256:abc' };
    };
    const id = await startPush(deps, {
      ref: 'quay.io/me/os:1',
      tlsVerify: true,
      credentials: { username: 'me', password: 'p4ss-w0rd' },
    });
    const done = await operations.wait(id);
    expect(done).toMatchObject({
      status: 'succeeded',
      percent: 100,
      message: 'Pushed quay.io/me/os:1 (sha256:abc)',
      digest: 'sha256:abc',
      warnings: [],
    });
    expect(engine.calls[0].args).toMatchObject([
      'podman:/run/podman/podman.sock',
      'quay.io/me/os:1',
      { tlsVerify: true, credentials: { username: 'me', password: 'p4ss-w0rd' } },
    ]);
    expect(JSON.stringify([done, operations.readLog(id, 0)])).not.toContain('p4ss-w0rd');
  });

  test("the loopback registry's warning comes with a push that succeeded, never with a failed one", async () => {
    const { deps, engine, operations } = setup();
    engine.images.set('127.0.0.1:5000/os:1', {});
    engine.onPush = () => Promise.reject(new Error('connection refused'));
    const failed = await operations.wait(await startPush(deps, { ref: '127.0.0.1:5000/os:1' }));
    expect(failed).toMatchObject({ status: 'failed', warnings: [] });
    engine.onPush = () => Promise.resolve({ digest: 'sha256:abc' });
    const pushed = await operations.wait(await startPush(deps, { ref: '127.0.0.1:5000/os:1' }));
    expect(pushed.status).toBe('succeeded');
    expect(pushed.warnings.join(' ')).toMatch(/loopback/);
  });

  test('a pull passes the platform and records the image id', async () => {
    const { deps, engine, operations } = setup();
    const done = await operations.wait(
      await startPull(deps, { ref: 'quay.io/fedora/fedora-bootc:42', platform: 'linux/arm64' }),
    );
    expect(done).toMatchObject({ kind: 'pull', status: 'succeeded', imageId: 'pulled', percent: 100 });
    expect(engine.calls[0].args[2]).toMatchObject({ platform: 'linux/arm64' });
  });

  test('pushWarnings: localhost/ and short names cannot be pulled by a VM; loopback registries neither', () => {
    expect(pushWarnings('localhost/os:1')[0]).toMatch(/tag it for a registry first/);
    expect(pushWarnings('os:1')[0]).toMatch(/tag it for a registry first/);
    expect(pushWarnings('127.0.0.1:5000/os:1')[0]).toMatch(/loopback/);
    expect(pushWarnings('localhost:5000/os:1')[0]).toMatch(/loopback/);
    expect(pushWarnings('quay.io/me/os:1')).toEqual([]);
    expect(pushWarnings('registry.lan:5000/os:1')).toEqual([]);
  });
});
