/**
 * The disk build service's state machine over an in-memory container runtime: checks before
 * anything starts, the container it creates, the record through preparing → building → an end,
 * cancel, time limit, reconciliation after a restart, deletion — and secrets kept out of the
 * record, the log and the files left behind.
 */

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../../src/api/disk-build';
import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { ValidationError } from '../../../src/api/validation';
import { OUTPUT_MARKER } from '../../../src/builds/build-log';
import { BUILD_ID_LABEL } from '../../../src/builds/builder-plan';
import { NotEnoughSpaceError } from '../../../src/builds/build-checks';
import { LogMissingError } from '../../../src/builds/build-log';
import { DiskBuildService, type DiskBuildServiceOptions } from '../../../src/builds/disk-build-service';
import { CANCEL_FILE, HANDOFF_FAILURE_PREFIX } from '../../../src/builds/linux-handoff';
import type { AdminRunner } from '../../../src/platform/admin';
import { verifyPassword } from '../../../src/builds/password-hash';
import type { ContainerSpec } from '../../../src/engine/container-runtime';
import { BUILD_IMAGE, BUILDER_IMAGE, BuildEngine, buildServiceOptions, GRAPH_ROOT } from '../support/build-engine';
import type { FakeContainer } from '../support/fake-containers';
import { ENGINE } from '../support/fake-engine';

const IMAGE = BUILD_IMAGE;
const BUILDER = BUILDER_IMAGE;
const PASSWORD = 'Plain-Secret-9q';

let dir: string;
let out: string;
let engine: BuildEngine;
const services: DiskBuildService[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-service-'));
  out = join(dir, 'out');
  mkdirSync(out);
  mkdirSync(join(dir, 'tmp'));
  engine = new BuildEngine();
});

afterEach(async () => {
  for (const service of services.splice(0)) await service.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function service(options: Partial<DiskBuildServiceOptions> = {}): DiskBuildService {
  const created = new DiskBuildService({ ...buildServiceOptions(engine, dir), ...options });
  services.push(created);
  return created;
}

function request(overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
  return {
    image: IMAGE,
    outputDir: out,
    types: ['qcow2', 'raw'],
    arch: 'amd64',
    builder: { image: BUILDER },
    config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
    ...overrides,
  };
}

const withUser = (): DiskBuildRequest['config'] => ({
  users: [{ name: 'demo', password: PASSWORD, groups: ['wheel'] }],
  groups: [],
  kernelArgs: ['audit=0'],
  filesystems: [],
});

function hostPathOf(container: FakeContainer, target: string): string | undefined {
  const bind = container.spec.binds.find(candidate => candidate.split(':')[1] === target);
  return bind?.split(':')[0];
}

/** A builder that prints osbuild's debug progress, writes its artifacts, and exits with `code`. */
function scriptBuilder(
  options: {
    code?: number;
    lines?: string[];
    skipArtifacts?: boolean;
    hold?: boolean;
    /** Goes on past the first stage only once this resolves. */
    after?: () => Promise<void>;
  } = {},
) {
  return (container: FakeContainer) => {
    const output = hostPathOf(container, '/output') as string;
    container.write(
      'Generating manifest manifest-qcow2-raw.json\n[0 / 2] Pipeline build\n  [1 / 4] Stage org.osbuild.rpm\n',
    );
    mkdirSync(join(output, 'qcow2'), { recursive: true });
    writeFileSync(join(output, 'qcow2/disk.qcow2'), 'partial');
    if (options.hold) return;
    const goOn = (next: () => void) =>
      options.after ? void options.after().then(() => setTimeout(next, 20)) : setTimeout(next, 20);
    goOn(() => {
      container.write('[1 / 2] Pipeline image\n  [3 / 4] Stage org.osbuild.qemu\n');
      for (const line of options.lines ?? []) container.write(`${line}\n`);
      if (!options.skipArtifacts) {
        writeFileSync(join(output, 'qcow2/disk.qcow2'), 'q'.repeat(100));
        mkdirSync(join(output, 'image'), { recursive: true });
        writeFileSync(join(output, 'image/disk.raw'), 'r'.repeat(200));
      }
      if ((options.code ?? 0) === 0) container.write('Build complete!\nResults saved in\n/output\n');
      container.exit(options.code ?? 0);
    });
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

async function refused(
  build: Promise<string>,
  message: RegExp,
  type: new (...args: never[]) => Error = ValidationError,
) {
  await expect(build).rejects.toThrow(type);
  await expect(build).rejects.toThrow(message);
}

const configDirs = () => readdirSync(join(dir, 'tmp'));

describe('DiskBuildService: start', () => {
  test('answers with an id at once, the record preparing; the builder container follows the plan', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const builds = service();
    const id = await builds.start(request({ config: withUser(), rootfs: 'xfs' }));
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const first = await builds.store.read(id);
    expect(first.status).toBe('preparing');
    expect(first.logPath).toBe(join(out, `image-build-${id}.log`));
    expect(first.artifacts).toEqual([
      { type: 'qcow2', path: join(out, 'qcow2/disk.qcow2') },
      { type: 'raw', path: join(out, 'image/disk.raw') },
    ]);

    await until(() => engine.containers.size === 1, 'the container');
    const [container] = engine.containers.values();
    expect(container.spec.name).toBe(`bootc-studio-build-${id}`);
    expect(container.spec.image).toBe(BUILDER);
    expect(container.spec.privileged).toBe(true);
    expect(container.spec.securityOpt).toEqual(['label=type:unconfined_t']);
    expect(container.spec.labels).toEqual({ 'bootc.image.builder': 'true', [BUILD_ID_LABEL]: id });
    expect(container.spec.binds).toContain(`${out}:/output`);
    expect(container.spec.binds).toContain(`${GRAPH_ROOT}:/var/lib/containers/storage`);
    expect(container.spec.volumes.map(volume => volume.target)).toEqual(['/store', '/rpmmd']);
    expect(container.spec.cmd).toEqual([
      'build',
      '--output',
      '/output',
      '--progress',
      'debug',
      '--type',
      'qcow2',
      '--type',
      'raw',
      '--target-arch',
      'amd64',
      '--rootfs',
      'xfs',
      IMAGE,
    ]);
    // The config: hashed, 0600, alone in a private 0700 temp dir, mounted read-only.
    const configPath = hostPathOf(container, '/config.toml') as string;
    expect(container.spec.binds).toContain(`${configPath}:/config.toml:ro`);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(configPath, '..')).mode & 0o777).toBe(0o700);
    const config = readFileSync(configPath, 'utf8');
    expect(config).not.toContain(PASSWORD);
    expect(verifyPassword(PASSWORD, /password = "([^"]+)"/.exec(config)?.[1] as string)).toBe(true);
    await until(async () => (await builds.get(id)).status === 'building', 'building');

    container.exit(0);
    const end = await builds.wait(id);
    // Exit 0 without the artifacts: failed, and the config dir is gone all the same.
    expect(end.status).toBe('failed');
    expect(end.error).toMatch(/without writing .*image\/disk\.raw/);
    expect(existsSync(configPath)).toBe(false);
    expect(configDirs()).toEqual([]);
  });

  test('a successful build: percentages from the log, artifacts with sizes, the container removed, secrets nowhere', async () => {
    const seen: DiskBuildRecord[] = [];
    engine.onStart = scriptBuilder({
      lines: ['org.osbuild.users: 0123 {"users": {"demo": {"password": "$6$abcdefgh$' + 'x'.repeat(86) + '"}}}'],
      // The first stage's percentage is reported before the rest of the log arrives.
      after: () => until(() => seen.some(r => r.percent === 12), "the first stage's percentage"),
    });
    const builds = service();
    builds.onDidChange(change => change.record && seen.push(change.record));
    const id = await builds.start(request({ config: withUser() }));
    const record = await builds.wait(id);
    expect(record.status, record.error).toBe('succeeded');
    expect(record.percent).toBe(100);
    const identity = { mtimeMs: expect.any(Number), ino: expect.any(Number), dev: expect.any(Number) };
    expect(record.artifacts).toEqual([
      { type: 'qcow2', path: join(out, 'qcow2/disk.qcow2'), size: 100, ...identity },
      { type: 'raw', path: join(out, 'image/disk.raw'), size: 200, ...identity },
    ]);
    expect(record.containerId).toBeUndefined();
    expect(engine.containers.size).toBe(0);
    expect(record.started).toBeGreaterThanOrEqual(record.created);
    expect(record.ended).toBeGreaterThanOrEqual(record.started as number);
    const percents = seen.map(r => r.percent).filter((p): p is number => p !== undefined);
    expect(percents).toContain(12);
    expect(percents.at(-1)).toBe(100);
    expect(seen.map(r => r.status)).toEqual(expect.arrayContaining(['preparing', 'building', 'succeeded']));

    const log = readFileSync(record.logPath, 'utf8');
    expect(log).toContain(`Bootc Studio disk build ${id}`);
    expect(log).toContain(OUTPUT_MARKER);
    expect(log).toContain('"password": "********"');
    expect(log).not.toContain('$6$');
    const stored = readFileSync(join(dir, 'store', 'builds', id, 'build.json'), 'utf8');
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain('$6$');
    expect(JSON.parse(stored).request.config.users).toEqual([{ name: 'demo', groups: ['wheel'] }]);
    expect(readdirSync(join(dir, 'store', 'builds', id))).toEqual(['build.json']);
    expect(configDirs()).toEqual([]);
  });

  test('a final record the store cannot take (a full disk) is still told by this process, not "building" forever', async () => {
    engine.onStart = scriptBuilder();
    const warnings: string[] = [];
    const builds = service({ warn: message => warnings.push(message) });
    const write = builds.store.write.bind(builds.store);
    builds.store.write = record =>
      record.status === 'succeeded'
        ? Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))
        : write(record);
    const id = await builds.start(request());
    expect((await builds.wait(id)).status).toBe('succeeded');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(JSON.parse(readFileSync(join(dir, 'store', 'builds', id, 'build.json'), 'utf8')).status).toBe('building');
    expect((await builds.get(id)).status).toBe('succeeded');
    expect((await builds.wait(id)).status).toBe('succeeded');
    expect(warnings.join('\n')).toContain(`Cannot write the record of ${id}`);
  });

  test('an empty config: no config file at all', async () => {
    engine.onStart = scriptBuilder();
    const builds = service();
    const id = await builds.start(request());
    await until(() => engine.calls.some(call => call.method === 'createContainer'), 'the container');
    const spec = engine.calls.find(call => call.method === 'createContainer')?.args[1] as FakeContainer['spec'];
    expect(spec.binds.some(bind => bind.includes('/config.toml'))).toBe(false);
    expect((await builds.wait(id)).status).toBe('succeeded');
  });

  test('a failing builder: failed with the reason from the log; partial artifacts removed', async () => {
    engine.onStart = scriptBuilder({
      code: 1,
      skipArtifacts: true,
      lines: ['manifest - failed', 'error: cannot run osbuild: running osbuild failed: exit status 1'],
    });
    const builds = service();
    const record = await builds.wait(await builds.start(request()));
    expect(record.status).toBe('failed');
    expect(record.error).toBe('osbuild failed in stage org.osbuild.qemu (pipeline image)');
    expect(record.artifacts).toEqual([]);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(engine.containers.size).toBe(0);
  });

  test('without a known reason, the exit code and the last line say why', async () => {
    engine.onStart = scriptBuilder({ code: 2, skipArtifacts: true, lines: ['something odd happened'] });
    const builds = service();
    const record = await builds.wait(await builds.start(request()));
    expect(record.error).toBe('the builder exited with code 2: something odd happened');
  });

  test('the builder image is pulled first when the engine lacks it', async () => {
    engine.images.delete(BUILDER);
    engine.onStart = scriptBuilder();
    const builds = service();
    const record = await builds.wait(await builds.start(request()));
    expect(record.status).toBe('succeeded');
    const methods = engine.started();
    expect(methods.indexOf('pullImage')).toBeLessThan(methods.indexOf('createContainer'));
    expect(readFileSync(record.logPath, 'utf8')).toContain('is not on the engine: pulling it');
  });
});

describe('DiskBuildService: the output folder', () => {
  test('a missing folder is created by a start from the form as from the CLI, and the preview says so first', async () => {
    engine.onStart = scriptBuilder({});
    const builds = service();
    const folder = join(dir, 'new', 'disks');
    const preview = await builds.preview(request({ outputDir: folder }));
    expect(preview.outputFolder).toEqual({
      state: 'missing',
      message: `${folder} does not exist yet: it will be created`,
    });
    expect(existsSync(folder)).toBe(false);
    const record = await builds.wait(await builds.start(request({ outputDir: folder })));
    expect(record.status).toBe('succeeded');
    expect(existsSync(join(folder, 'qcow2/disk.qcow2'))).toBe(true);
    expect((await builds.preview(request({ outputDir: folder }))).outputFolder).toEqual({ state: 'exists' });
  });

  test('what Build would refuse about the folder, the preview says before', async () => {
    const builds = service();
    writeFileSync(join(dir, 'file'), '');
    expect((await builds.preview(request({ outputDir: join(dir, 'file') }))).outputFolder).toEqual({
      state: 'refused',
      message: `${join(dir, 'file')} is not a folder`,
    });
    expect((await builds.preview(request({ outputDir: join(dir, 'file', 'sub') }))).outputFolder).toEqual({
      state: 'refused',
      message: `${join(dir, 'file')} is not a folder`,
    });
  });
});

describe('DiskBuildService: refusals before anything starts', () => {
  test('bad input names its fields; nothing is created, nothing recorded', async () => {
    const builds = service();
    await refused(builds.start({ ...request(), types: [], arch: 'sparc' }), /types: choose at least one.*arch:/);
    await refused(builds.start(request({ arch: 'arm64' })), /^arch: the image offers amd64, not arm64$/);
    await refused(builds.start(request({ image: 'quay.io/example/missing:1' })), /^image: .* is not on podman/);
    await refused(
      builds.start(request({ outputDir: join(dir, 'nowhere') }), { createOutputDir: false }),
      /^outputDir: .* does not exist$/,
    );
    writeFileSync(join(dir, 'file'), '');
    await refused(builds.start(request({ outputDir: join(dir, 'file') })), /^outputDir: .* is not a folder$/);
    await refused(
      builds.start(request({ config: { ...withUser(), kernelArgs: ['a\nb'] } })),
      /config\.kernelArgs\.0: a kernel argument has no newline/,
    );
    engine.images.set(IMAGE, { arch: 'amd64', labels: { 'redhat.id': 'fedora' } });
    await refused(builds.start(request()), /^rootfs: Fedora-based images have no default root filesystem/);
    expect(engine.started().filter(method => method !== 'listContainers')).toEqual([]);
    expect((await builds.list()).length).toBe(0);
    expect(configDirs()).toEqual([]);
  });

  test('a rootless engine, one without a graph root, or podman 4 on a Mac is refused by name', async () => {
    const builds = service();
    engine.info = { ...engine.info, rootful: false };
    await refused(
      builds.start(request()),
      /^engineId: podman \(rootful\) is rootless, and the builder needs a rootful podman/,
    );
    engine.info = { ...engine.info, rootful: true, graphRoot: undefined };
    await refused(builds.start(request()), /^engineId: .* does not say where it stores its images/);
    engine.info = { ...engine.info, graphRoot: GRAPH_ROOT, version: '4.9.3' };
    await refused(
      service({ platform: 'darwin' }).start(request()),
      /^engineId: podman \(rootful\) is podman 4\.9\.3: building disk images on macOS needs podman 5 or newer/,
    );
    expect(engine.started()).toEqual([]);
  });

  test('not twice the image size free in the output folder: refused with how much is missing', async () => {
    const builds = service({ freeBytes: async () => 1500 });
    await refused(
      builds.start(request()),
      /^outputDir: only 1\.5 kB free in .*; the build needs at least 2 kB \(twice the image's 1 kB\)/,
      NotEnoughSpaceError,
    );
    expect(engine.started()).toEqual([]);
  });

  test('an output folder another build is writing into is refused', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const builds = service();
    const id = await builds.start(request());
    await refused(builds.start(request()), new RegExp(`^outputDir: build ${id} is writing into this folder`));
    await builds.cancel(id);
  });
});

describe('DiskBuildService: cancel, time limit, two builds', () => {
  test('cancel while building: stopped, removed, partial artifacts gone, cancelled', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const builds = service();
    const id = await builds.start(request({ config: withUser() }));
    await until(() => existsSync(join(out, 'qcow2/disk.qcow2')), 'a partial artifact');
    await until(async () => (await builds.get(id)).status === 'building', 'building');
    const record = await builds.cancel(id);
    expect(record.status).toBe('cancelled');
    // The status says it; no error repeating it, no stage or percentage left from the run.
    expect(record.error).toBeUndefined();
    expect(record.message).toBeUndefined();
    expect(record.percent).toBeUndefined();
    expect(engine.started()).toEqual(expect.arrayContaining(['stopContainer', 'removeContainer']));
    expect(engine.containers.size).toBe(0);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(configDirs()).toEqual([]);
    expect((await builds.store.read(id)).status).toBe('cancelled');
    // A finished build is left as it is.
    expect((await builds.cancel(id)).status).toBe('cancelled');
  });

  test('cancel while the builder image is being pulled: no container is ever created', async () => {
    engine.images.delete(BUILDER);
    let release!: () => void;
    engine.onPull = (_ref, options) =>
      new Promise((resolve, reject) => {
        release = () => resolve({});
        options.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const builds = service();
    const id = await builds.start(request());
    await until(() => engine.started().includes('pullImage'), 'the pull');
    const record = await builds.cancel(id);
    expect(record.status).toBe('cancelled');
    expect(engine.started()).not.toContain('createContainer');
    void release;
  });

  test('a build that fails before its builder runs keeps no "Preparing": the error says what happened', async () => {
    engine.images.delete(BUILDER);
    engine.onPull = async () => {
      throw new Error('manifest unknown');
    };
    const builds = service();
    const record = await builds.wait(await builds.start(request()));
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/^pulling the builder .* failed: manifest unknown$/);
    expect(record.message).toBeUndefined();
    expect((await builds.store.read(record.id)).message).toBeUndefined();
  });

  test('a build over its time limit is stopped and failed with the reason', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const builds = service({ timeoutMs: 1000 });
    const record = await builds.wait(await builds.start(request()));
    expect(record.status).toBe('failed');
    expect(record.error).toBe('timed out after 1 second');
    expect(engine.containers.size).toBe(0);
  });

  test('two builds at once: distinct containers; the second runs without the shared cache volumes', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const builds = service();
    const other = join(dir, 'other');
    mkdirSync(other);
    const [a, b] = await Promise.all([builds.start(request()), builds.start(request({ outputDir: other }))]);
    // Both started (a container the test ended before its start would run again once started).
    const running = () => [...engine.containers.values()].filter(container => container.state === 'running');
    await until(() => running().length === 2, 'two running containers');
    const builderOf = (id: string) => running().find(container => container.spec.labels[BUILD_ID_LABEL] === id)!;
    const [first, second] = [builderOf(a), builderOf(b)];
    expect(first.spec.name).not.toBe(second.spec.name);
    expect(first.spec.volumes).toHaveLength(2);
    expect(second.spec.volumes).toEqual([]);
    first.exit(1);
    second.exit(1);
    expect((await builds.wait(a)).status).toBe('failed');
    expect((await builds.wait(b)).status).toBe('failed');
  });
});

describe('DiskBuildService: restart reconciliation', () => {
  test('a running builder is taken over by a new service: the log continues without repeating lines', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const first = service();
    const id = await first.start(request());
    await until(async () => (await first.get(id)).status === 'building', 'building');
    await until(
      () => readFileSync(join(out, `image-build-${id}.log`), 'utf8').includes('Stage org.osbuild.rpm'),
      'log',
    );
    await first.dispose();
    const [container] = engine.containers.values();
    expect(container.state).toBe('running');
    expect((await first.store.readLease(id))?.pid).toBe(0);

    const second = service();
    await second.reconcile();
    expect(second.isRunningHere(id)).toBe(true);
    container.write('[1 / 2] Pipeline image\n');
    mkdirSync(join(out, 'image'), { recursive: true });
    writeFileSync(join(out, 'image/disk.raw'), 'raw');
    container.write('Build complete!\n');
    container.exit(0);
    const record = await second.wait(id);
    expect(record.status, record.error).toBe('succeeded');
    const log = readFileSync(record.logPath, 'utf8');
    expect(log.match(/Stage org\.osbuild\.rpm/g)).toHaveLength(1);
    expect(log.match(/Pipeline image/g)).toHaveLength(1);
    expect(log).toContain('re-attached to the running builder');
  });

  test('a builder that is gone: lost; one that never started: lost and removed', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const first = service();
    const id = await first.start(request());
    await until(async () => (await first.get(id)).status === 'building', 'building');
    await first.dispose();
    engine.containers.clear();

    const second = service();
    await second.reconcile();
    const lost = await second.get(id);
    expect(lost.status).toBe('lost');
    expect(lost.error).toMatch(/builder container is gone/);
    expect(lost.ended).toBeDefined();
    expect(configDirs()).toEqual([]);

    // A runner that died between creating the builder and starting it.
    const never = '0000000000ff';
    await second.store.write({ ...lost, id: never, status: 'preparing', error: undefined, ended: undefined });
    await engine.createContainer(ENGINE.id, {
      image: BUILDER,
      cmd: [],
      binds: [],
      volumes: [],
      privileged: true,
      securityOpt: [],
      labels: { [BUILD_ID_LABEL]: never },
    });
    await second.reconcile();
    expect((await second.get(never)).status).toBe('lost');
    expect((await second.get(never)).error).toBe('the build was interrupted before its builder started');
    expect(engine.containers.size).toBe(0);
  });

  test('observe mode leaves a running builder alone and records one that has exited', async () => {
    engine.onStart = scriptBuilder({ hold: true });
    const first = service();
    const id = await first.start(request());
    await until(async () => (await first.get(id)).status === 'building', 'building');
    await first.dispose();

    const observer = service();
    await observer.reconcile('observe');
    expect(observer.isRunningHere(id)).toBe(false);
    expect((await observer.get(id)).status).toBe('building');

    const [container] = engine.containers.values();
    container.exit(3);
    await observer.reconcile('observe');
    const record = await observer.get(id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/exited with code 3/);
  });

  test('builds of an engine this service does not reach, and builds another process runs, are left alone', async () => {
    const builds = service();
    const base = {
      request: request(),
      created: 1,
      engineName: 'x',
      remote: false,
      builderImage: BUILDER,
      artifacts: [],
      logPath: join(out, 'image-build.log'),
    };
    await builds.store.write({ ...base, id: '00000000000a', status: 'building', engineId: 'elsewhere' });
    await builds.store.write({ ...base, id: '00000000000b', status: 'building', engineId: ENGINE.id });
    await builds.store.writeLease('00000000000b', {
      pid: process.ppid,
      host: (await import('node:os')).hostname(),
      heartbeat: Date.now(),
    });
    await builds.reconcile();
    expect((await builds.get('00000000000a')).status).toBe('building');
    expect((await builds.get('00000000000b')).status).toBe('building');
    expect(engine.started().filter(method => method !== 'listContainers')).toEqual([]);
  });
});

describe('DiskBuildService: logs and deletion', () => {
  test('readLog reads from an offset and answers where to go on', async () => {
    engine.onStart = scriptBuilder();
    const builds = service();
    const id = await builds.start(request());
    await builds.wait(id);
    const whole = await builds.readLog(id, 0);
    expect(whole.text).toContain('Build complete!');
    const tail = await builds.readLog(id, whole.next - 10);
    expect(tail.text).toBe(whole.text.slice(-10));
    expect(await builds.readLog(id, whole.next)).toEqual({ text: '', next: whole.next });
    await expect(builds.readLog('../../etc', 0)).rejects.toThrow(/no disk build/);
  });

  test('delete removes the record, and unless keepFiles the artifacts and the log; a running build is cancelled first', async () => {
    engine.onStart = scriptBuilder();
    const builds = service();
    const changes: string[] = [];
    builds.onDidChange(change => change.record === undefined && changes.push(change.id));
    const kept = await builds.wait(await builds.start(request()));
    await builds.delete(kept.id, true);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    await expect(builds.get(kept.id)).rejects.toThrow(/no disk build/);

    // The kept disk image is in the way: the next build into the folder writes over it only when told to.
    await refused(builds.start(request()), /^outputDir: this folder already holds files the builder would overwrite/);
    const gone = await builds.wait(await builds.start(request(), { overwrite: true }));
    await builds.delete(gone.id, false);
    expect(readdirSync(out)).toEqual([`image-build-${kept.id}.log`]);
    expect(changes).toEqual([kept.id, gone.id]);

    engine.onStart = scriptBuilder({ hold: true });
    const running = await builds.start(request());
    await until(async () => (await builds.get(running)).status === 'building', 'building');
    await builds.delete(running, false);
    expect(engine.containers.size).toBe(0);
    expect(await builds.list()).toEqual([]);
  });
});

describe('DiskBuildService: a rootless engine', () => {
  const IMAGE_ID = 'c'.repeat(64);

  /** An admin step that plays the hand-off: prints, writes the artifacts, ends — or waits for the cancel file. */
  function admin(behaviour: { code?: number; hold?: boolean } = {}) {
    const runs: { argv: string[]; purpose?: string; script: string }[] = [];
    const runner: AdminRunner = {
      async run(argv, onOutput, purpose) {
        const script = readFileSync(argv[1], 'utf8');
        runs.push({ argv, ...(purpose ? { purpose } : {}), script });
        onOutput("bootc-studio: copying quay.io/example/os:1 to root's podman\n[0 / 2] Pipeline build\n");
        if (behaviour.hold) {
          const cancel = join(dirname(argv[1]), CANCEL_FILE);
          await until(() => existsSync(cancel), 'the cancel file');
          return 143;
        }
        mkdirSync(join(out, 'qcow2'), { recursive: true });
        writeFileSync(join(out, 'qcow2/disk.qcow2'), 'q'.repeat(10));
        mkdirSync(join(out, 'image'), { recursive: true });
        writeFileSync(join(out, 'image/disk.raw'), 'r'.repeat(20));
        onOutput('[2 / 2] Pipeline image\nBuild complete!\n');
        return behaviour.code ?? 0;
      },
    };
    return { runner, runs };
  }

  beforeEach(() => {
    const store = join(dir, 'user-store');
    mkdirSync(store);
    engine.info = { ...engine.info, rootful: false, graphRoot: store, name: 'podman (rootless)' };
    engine.images.set(IMAGE, { id: IMAGE_ID, arch: 'amd64', labels: { 'containers.bootc': '1' }, size: 1000 });
  });

  test('without a hand-off, or not on Linux, it is refused with what to do instead', async () => {
    await refused(service({ platform: 'linux' }).start(request()), /^engineId: .*rootless.*build on root's podman/);
    const { runner } = admin();
    await refused(
      service({ platform: 'darwin', handoff: { admin: runner } }).start(request()),
      /^engineId: .*make the podman machine rootful \(podman machine stop; podman machine set --rootful/,
    );
    expect(engine.started()).toEqual([]);
  });

  test('on Linux the admin step runs the hand-off script once; the build succeeds and is recorded as a hand-off', async () => {
    const { runner, runs } = admin();
    const builds = service({ platform: 'linux', handoff: { admin: runner } });
    const record = await builds.wait(await builds.start(request({ config: withUser() })));
    expect(record.status, record.error).toBe('succeeded');
    expect(record.handoff).toBe(true);
    expect(record.artifacts.map(artifact => artifact.size)).toEqual([10, 20]);
    expect(runs).toHaveLength(1);
    expect(runs[0].argv[0]).toBe('/bin/sh');
    expect(runs[0].purpose).toMatch(/podman \(rootless\) is rootless.*asks once for administrator rights/);
    expect(runs[0].script).toContain(`image_id=${IMAGE_ID}`);
    expect(runs[0].script).not.toContain(PASSWORD);
    // No container on the rootless engine: the builder ran on root's podman.
    expect(engine.started()).not.toContain('createContainer');
    const log = readFileSync(record.logPath, 'utf8');
    expect(log).toContain('asks once for administrator rights');
    expect(log).toContain('Build complete!');
    expect(configDirs()).toEqual([]);
  });

  test('cancel writes the cancel file the script watches; the build ends cancelled', async () => {
    const { runner } = admin({ hold: true });
    const builds = service({ platform: 'linux', handoff: { admin: runner } });
    const id = await builds.start(request());
    await until(async () => (await builds.get(id)).status === 'building', 'building');
    const record = await builds.cancel(id);
    expect(record.status).toBe('cancelled');
    expect(configDirs()).toEqual([]);
  });

  test('a refused administrator prompt, and a failed hand-off step, fail with their reasons', async () => {
    const refusedPrompt: AdminRunner = { run: async () => 126 };
    let builds = service({ platform: 'linux', handoff: { admin: refusedPrompt } });
    let record = await builds.wait(await builds.start(request()));
    expect(record.error).toBe('administrator rights were not given, so nothing was run');

    const failing: AdminRunner = {
      async run(_argv, onOutput) {
        onOutput(`${HANDOFF_FAILURE_PREFIX}loading quay.io/example/os:1 into root's podman failed\n`);
        return 1;
      },
    };
    builds = service({ platform: 'linux', handoff: { admin: failing } });
    record = await builds.wait(await builds.start(request({ outputDir: out })));
    expect(record.status).toBe('failed');
    expect(record.error).toBe(
      "the hand-off to root's podman failed: loading quay.io/example/os:1 into root's podman failed",
    );
  });

  test('a rootless podman machine (macOS): the preview offers to make it rootful', async () => {
    engine.info = { ...engine.info, machine: { name: 'podman-machine-default', vmType: 'applehv' } };
    const preview = await service({ platform: 'darwin' }).preview(request());
    expect(preview.warnings[0]).toBe(
      'podman (rootless) runs in the rootless podman machine podman-machine-default, and the builder needs a rootful one',
    );
    expect(preview.fix).toEqual({
      kind: 'make-machine-rootful',
      engineId: ENGINE.id,
      machine: 'podman-machine-default',
    });
    // A rootful machine needs nothing.
    engine.info = { ...engine.info, rootful: true };
    expect((await service({ platform: 'darwin' }).preview(request())).fix).toBeUndefined();
  });

  test('a store that is not on this machine, and --detach, are refused before anything starts', async () => {
    const { runner, runs } = admin();
    engine.info = { ...engine.info, graphRoot: join(dir, 'not-here') };
    await refused(
      service({ platform: 'linux', handoff: { admin: runner } }).start(request()),
      /^engineId: .*its image store .* is not on this machine/,
    );
    engine.info = { ...engine.info, graphRoot: join(dir, 'user-store') };
    await refused(
      service({ platform: 'linux', handoff: { admin: runner } }).start(request(), { detach: true }),
      /^detach: .*cannot be detached/,
    );
    expect(runs).toEqual([]);
  });

  test('a hand-off build whose runner went away is lost, with why', async () => {
    const { runner } = admin({ hold: true });
    const first = service({ platform: 'linux', handoff: { admin: runner } });
    const id = await first.start(request());
    await until(async () => (await first.get(id)).status === 'building', 'building');
    // The runner's process is gone without ending the build (a crash): its record says building.
    const crashed = await first.store.read(id);
    await first.dispose();
    await first.store.write({ ...crashed, status: 'building', error: undefined, ended: undefined });
    await first.store.writeLease(id, { pid: 0, host: 'x', heartbeat: 0 });

    const second = service({ platform: 'linux', handoff: { admin: runner } });
    await second.reconcile();
    const lost = await second.get(id);
    expect(lost.status).toBe('lost');
    expect(lost.error).toMatch(/its builder on root's podman was stopped with it/);
  });
});

describe('DiskBuildService: an engine on another machine', () => {
  const REMOTE_OUT = '/srv/builds/out';

  beforeEach(() => {
    engine.info = { ...engine.info, remote: true, name: 'podman (rootful) on build-box' };
  });

  test('the folder is the remote machine’s: not checked here; the config is copied in, the log kept here', async () => {
    engine.onStart = container => {
      container.write('[0 / 1] Pipeline build\nBuild complete!\n');
      container.exit(0);
    };
    const builds = service({ freeBytes: async () => 0 });
    const id = await builds.start(request({ outputDir: REMOTE_OUT, config: withUser() }));
    const record = await builds.wait(id);
    expect(record.status, record.error).toBe('succeeded');
    expect(record.remote).toBe(true);
    expect(record.artifacts).toEqual([
      { type: 'qcow2', path: '/srv/builds/out/qcow2/disk.qcow2' },
      { type: 'raw', path: '/srv/builds/out/image/disk.raw' },
    ]);
    expect(record.logPath).toBe(join(builds.store.dirOf(id), `image-build-${id}.log`));
    expect(readFileSync(record.logPath, 'utf8')).toContain('Build complete!');
    const spec = engine.calls.find(call => call.method === 'createContainer')?.args[1] as ContainerSpec;
    expect(spec.binds).toContain('/srv/builds/out:/output');
    expect(spec.binds.some(bind => bind.endsWith(':/config.toml:ro'))).toBe(false);
    const [file] = spec.files ?? [];
    expect(file.path).toBe('/config.toml');
    expect(file.mode).toBe(0o600);
    expect(file.content).not.toContain(PASSWORD);
    const hash = /password = "(\$6\$[^"]+)"/.exec(file.content)?.[1] as string;
    expect(verifyPassword(PASSWORD, hash)).toBe(true);
    expect(configDirs()).toEqual([]);
  });

  test('a failed build leaves the remote folder alone and says so', async () => {
    engine.onStart = container => container.exit(1);
    const builds = service();
    const record = await builds.wait(await builds.start(request({ outputDir: REMOTE_OUT })));
    expect(record.status).toBe('failed');
    expect(readFileSync(record.logPath, 'utf8')).toContain(
      'partial results may remain in /srv/builds/out on podman (rootful) on build-box',
    );
  });

  test('an AMI upload and a rootless remote podman are refused', async () => {
    const builds = service();
    await refused(
      builds.start(
        request({
          outputDir: REMOTE_OUT,
          types: ['ami'],
          aws: { amiName: 'fedora-bootc-ami', bucket: 'my-bucket', region: 'us-east-1' },
        }),
      ),
      /^aws: .*reads ~\/\.aws on this one/,
    );
    engine.info = { ...engine.info, rootful: false };
    await refused(builds.start(request({ outputDir: REMOTE_OUT })), /^engineId: .*rootless podman on another machine/);
    expect(engine.started()).toEqual([]);
  });
});

describe('DiskBuildService: a build never touches another build’s files', () => {
  test('two builds into one folder: each has its own log; deleting the failed one leaves the survivor’s files', async () => {
    const builds = service();
    engine.onStart = scriptBuilder({ code: 1, lines: ['error: the first build breaks'] });
    const failed = await builds.wait(await builds.start(request()));
    expect(failed.status).toBe('failed');
    engine.onStart = scriptBuilder();
    const survivor = await builds.wait(await builds.start(request()));
    expect(survivor.status, survivor.error).toBe('succeeded');
    expect(survivor.logPath).not.toBe(failed.logPath);

    const logOf = async (id: string) => (await builds.readLog(id, 0)).text;
    expect(await logOf(failed.id)).toContain(`Bootc Studio disk build ${failed.id}`);
    expect(await logOf(failed.id)).not.toContain(survivor.id);
    expect(await logOf(survivor.id)).toContain(`Bootc Studio disk build ${survivor.id}`);
    expect(await logOf(survivor.id)).not.toContain(failed.id);

    const result = await builds.delete(failed.id, false);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    expect(readFileSync(join(out, 'qcow2/disk.qcow2'), 'utf8')).toBe('q'.repeat(100));
    expect(existsSync(join(out, 'image/disk.raw'))).toBe(true);
    expect(await logOf(survivor.id)).toContain('Build complete!');
    expect(result).toEqual({ removed: [failed.logPath], kept: [] });
    expect((await builds.get(survivor.id)).artifacts.map(artifact => artifact.state)).toEqual(['present', 'present']);
  });

  test('a folder with another build’s disk images is refused, naming it; --overwrite marks them replaced by the newer build', async () => {
    const builds = service();
    engine.onStart = scriptBuilder();
    const first = await builds.wait(await builds.start(request()));
    const check = await builds.checkOutputFolder(out, 'quay.io/example/os:1', ['qcow2']);
    expect(check.conflicts).toEqual([
      { path: join(out, 'qcow2/disk.qcow2'), buildId: first.id },
      { path: join(out, 'image/disk.raw'), buildId: first.id },
    ]);
    expect(check.suggestion).toMatch(new RegExp(`^${out}/os-\\d{8}-\\d{4}$`));
    await refused(
      builds.start(request()),
      new RegExp(`^outputDir: this folder already holds the files of build ${first.id}`),
    );

    // A file the builder would write, from no build of the store, is a conflict too.
    const other = join(dir, 'other');
    mkdirSync(join(other, 'qcow2'), { recursive: true });
    writeFileSync(join(other, 'qcow2/disk.qcow2'), 'mine');
    expect((await builds.checkOutputFolder(other, IMAGE, ['qcow2'])).conflicts).toEqual([
      { path: join(other, 'qcow2/disk.qcow2') },
    ]);

    // Same content and size, so only the identity (inode, mtime) tells the files apart.
    const second = await builds.wait(await builds.start(request(), { overwrite: true }));
    expect(second.status, second.error).toBe('succeeded');
    const old = await builds.get(first.id);
    expect(old.artifacts.map(artifact => [artifact.state, artifact.replacedBy])).toEqual([
      ['replaced', second.id],
      ['replaced', second.id],
    ]);
    const result = await builds.delete(first.id, false);
    expect(result.removed).toEqual([first.logPath]);
    expect(result.kept.map(kept => kept.reason)).toEqual([
      `replaced by build ${second.id} since this build wrote it`,
      `replaced by build ${second.id} since this build wrote it`,
    ]);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    expect((await builds.get(second.id)).artifacts.every(artifact => artifact.state === 'present')).toBe(true);
  });

  test('files removed or replaced outside the product: the record says so; delete leaves a replaced file; a gone log is said', async () => {
    const builds = service();
    engine.onStart = scriptBuilder();
    const built = await builds.wait(await builds.start(request()));
    rmSync(join(out, 'image/disk.raw'));
    rmSync(join(out, 'qcow2/disk.qcow2'));
    writeFileSync(join(out, 'qcow2/disk.qcow2'), 'someone else’s file');
    const record = await builds.get(built.id);
    expect(record.artifacts.map(artifact => artifact.state)).toEqual(['replaced', 'missing']);
    expect((await builds.list())[0].artifacts.map(artifact => artifact.state)).toEqual(['replaced', 'missing']);

    rmSync(built.logPath);
    expect((await builds.get(built.id)).logPresent).toBe(false);
    await expect(builds.readLog(built.id, 0)).rejects.toThrow(LogMissingError);

    const result = await builds.delete(built.id, false);
    expect(result).toEqual({
      removed: [],
      kept: [{ path: join(out, 'qcow2/disk.qcow2'), reason: 'replaced since this build wrote it' }],
    });
    expect(readFileSync(join(out, 'qcow2/disk.qcow2'), 'utf8')).toBe('someone else’s file');
  });
});

describe('DiskBuildService: an overwriting build that fails early', () => {
  test('leaves the earlier build’s disk image it never wrote over', async () => {
    const builds = service();
    engine.onStart = scriptBuilder();
    const first = await builds.wait(await builds.start(request()));
    expect(first.status, first.error).toBe('succeeded');
    // The builder fails before writing anything.
    engine.onStart = container => {
      container.write('error: no space left on device\n');
      container.exit(1);
    };
    const second = await builds.wait(await builds.start(request(), { overwrite: true }));
    expect(second.status).toBe('failed');
    expect(readFileSync(join(out, 'qcow2/disk.qcow2'), 'utf8')).toBe('q'.repeat(100));
    expect(readFileSync(join(out, 'image/disk.raw'), 'utf8')).toBe('r'.repeat(200));
    expect((await builds.get(first.id)).artifacts.map(artifact => artifact.state)).toEqual(['present', 'present']);
  });
});
