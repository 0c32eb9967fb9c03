/**
 * Disk builds end to end on a real podman service with the stand-in builder
 * (support/stand-in-builder.ts): the service plans, writes the config, creates and starts a real
 * privileged container with the engine's graph root mounted, follows its log, records the outcome —
 * and leaves no secret, container or temp file behind.
 */

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../src/api/disk-build';
import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { ValidationError } from '../../src/api/validation';
import { CONFIG_DIR_PREFIX } from '../../src/builds/build-config-tempdir';
import { BUILD_ID_LABEL } from '../../src/builds/builder-plan';
import { DiskBuildService, type DiskBuildServiceOptions } from '../../src/builds/disk-build-service';
import { verifyPassword } from '../../src/builds/password-hash';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  standInVariant,
} from './support/stand-in-builder';

const IMAGE = 'localhost/test-bootc:1';
const SLOW = 'localhost/stand-in-slow:latest';
const FAILING = 'localhost/stand-in-failing:latest';
/** Ignores SIGTERM as osbuild does, one stage a second. */
const STUBBORN = 'localhost/stand-in-stubborn:latest';
const PASSWORD = 'changeit-Plain-7f3a';
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl demo@example';

describe('disk builds on a real podman with the stand-in builder', () => {
  let podman: PodmanService;
  let engine: PodmanSocketEngine;
  let work: string;
  let configParent: string;
  const services: DiskBuildService[] = [];

  beforeAll(async () => {
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInVariant(podman, SLOW, { STANDIN_STEP_SECONDS: '0.3', STANDIN_STAGES: '5' });
    await standInVariant(podman, FAILING, { STANDIN_FAIL: 'stage' });
    await standInVariant(podman, STUBBORN, {
      STANDIN_STEP_SECONDS: '1',
      STANDIN_STAGES: '5',
      STANDIN_IGNORE_TERM: '1',
    });
    engine = new PodmanSocketEngine(podman.url);
    work = await mkdtemp(join(podman.dir, 'work-'));
    configParent = join(work, 'tmp');
    await mkdir(configParent);
  });

  afterAll(async () => {
    for (const service of services) await service.dispose();
    await podman?.stop();
  });

  function service(options: Partial<DiskBuildServiceOptions> = {}): DiskBuildService {
    const created = new DiskBuildService({
      engine,
      storeDir: join(work, 'store'),
      configParentDir: configParent,
      heartbeatMs: 500,
      progressWriteMs: 100,
      logDrainMs: 1000,
      stopTimeoutSeconds: 2,
      warn: () => undefined,
      ...options,
    });
    services.push(created);
    return created;
  }

  async function outputDir(name: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  function request(outputDir: string, overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
    return {
      image: IMAGE,
      outputDir,
      types: ['qcow2'],
      arch: 'amd64',
      builder: { image: STAND_IN_BUILDER },
      config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
      ...overrides,
    };
  }

  async function builderContainers(): Promise<string[]> {
    const { stdout } = await podman.podman(['ps', '-a', '--filter', `label=${BUILD_ID_LABEL}`, '--format', '{{.ID}}']);
    return stdout.split('\n').filter(Boolean);
  }

  async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }

  test('several disk types: artifacts at their paths with sizes, the hashed config the builder got, nothing left behind', async () => {
    const builds = service();
    const out = await outputDir('several');
    const seen: DiskBuildRecord[] = [];
    builds.onDidChange(change => change.record && seen.push(change.record));
    const id = await builds.start(
      request(out, {
        types: ['qcow2', 'raw', 'vmdk'],
        rootfs: 'xfs',
        config: {
          users: [{ name: 'demo', password: PASSWORD, sshKey: SSH_KEY, groups: ['wheel'] }],
          groups: [],
          kernelArgs: ['audit=0'],
          filesystems: [],
        },
      }),
    );
    const early = await builds.get(id);
    expect(['preparing', 'building']).toContain(early.status);

    const record = await builds.wait(id);
    expect(record.status, record.error).toBe('succeeded');
    expect(record.percent).toBe(100);
    expect(record.artifacts.map(artifact => [artifact.type, artifact.path])).toEqual([
      ['qcow2', join(out, 'qcow2/disk.qcow2')],
      ['raw', join(out, 'image/disk.raw')],
      ['vmdk', join(out, 'vmdk/disk.vmdk')],
    ]);
    for (const artifact of record.artifacts) {
      expect(artifact.size).toBe((await stat(artifact.path)).size);
      expect(artifact.size).toBeGreaterThan(4096);
    }
    // Progress went up through real percentages before 100.
    const percents = seen.map(r => r.percent).filter((p): p is number => p !== undefined);
    expect(percents.some(p => p > 0 && p < 100)).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));

    const received = await readFile(join(out, 'stand-in-config.toml'), 'utf8');
    expect(received).not.toContain(PASSWORD);
    const hash = /password = "(\$6\$[^"]+)"/.exec(received)?.[1];
    expect(hash, received).toBeDefined();
    expect(verifyPassword(PASSWORD, hash as string)).toBe(true);
    expect(received).toContain('audit=0');
    expect(received).toContain(SSH_KEY);
    await rm(join(out, 'stand-in-config.toml'));

    const log = await readFile(record.logPath, 'utf8');
    expect(log).toContain('Build complete!');
    expect(log).toContain('org.osbuild.users');
    expect(log).not.toContain('$6$');
    expect(log).not.toContain(PASSWORD);

    const stored = await builds.store.read(id);
    expect(stored.status).toBe('succeeded');
    expect(JSON.stringify(stored)).not.toContain(PASSWORD);
    expect(JSON.stringify(stored)).not.toContain('$6$');
    expect(await builderContainers()).toEqual([]);
    expect((await readdir(configParent)).filter(name => name.startsWith(CONFIG_DIR_PREFIX))).toEqual([]);
  });

  test('a failing builder: failed with the reason from its log, partial artifacts removed', async () => {
    const builds = service();
    const out = await outputDir('failing');
    const id = await builds.start(request(out, { builder: { image: FAILING } }));
    const record = await builds.wait(id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/osbuild failed in stage org\.osbuild\.users/);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(existsSync(join(out, 'manifest-qcow2.json'))).toBe(false);
    expect(await builderContainers()).toEqual([]);
  });

  test('bad input is refused with the field named, and nothing is started', async () => {
    const builds = service();
    const out = await outputDir('bad');
    await expect(builds.start(request(out, { arch: 'arm64' }))).rejects.toThrow(/arch: the image offers amd64/);
    await expect(builds.start(request(join(out, 'missing')), { createOutputDir: false })).rejects.toThrow(
      ValidationError,
    );
    await expect(builds.start(request(out, { image: 'localhost/nope:1' }))).rejects.toThrow(/image: .*not on/);
    expect(await builderContainers()).toEqual([]);
    expect((await builds.list()).filter(record => record.request.outputDir === out)).toEqual([]);
  });

  test('cancel mid-build: container gone, partial artifacts removed, record cancelled', async () => {
    const builds = service();
    const out = await outputDir('cancel');
    const id = await builds.start(request(out, { builder: { image: SLOW }, types: ['qcow2', 'vmdk'] }));
    await waitFor(async () => existsSync(join(out, 'qcow2/disk.qcow2')), 'a partial artifact');
    const record = await builds.cancel(id);
    expect(record.status).toBe('cancelled');
    expect(record.artifacts).toEqual([]);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(existsSync(join(out, 'vmdk'))).toBe(false);
    expect(await builderContainers()).toEqual([]);
    expect((await builds.store.read(id)).status).toBe('cancelled');
  });

  test('cancel kills a builder that ignores SIGTERM at once: no stage after the one on its way, one "cancelled", no percentage', async () => {
    // A stop with a grace period would let this builder (one stage a second, deaf to SIGTERM) log
    // stage after stage for 30 s; a kill ends it with at most the stage already on its way.
    const builds = service({ stopTimeoutSeconds: 30 });
    const out = await outputDir('cancel-at-once');
    const id = await builds.start(request(out, { builder: { image: STUBBORN } }));
    const logPath = (await builds.get(id)).logPath;
    const stages = (text: string) => text.split('\n').filter(line => /^\s*\[\d+ \/ \d+\] Stage /.test(line)).length;
    const readLog = () => readFile(logPath, 'utf8').catch(() => '');
    // Cancel just after a stage began: the next one is a second away.
    await waitFor(async () => stages(await readLog()) >= 2, 'two stages in the log');
    const seen = stages(await readLog());
    await waitFor(async () => stages(await readLog()) > seen, 'the next stage', 5000);
    const before = stages(await readLog());
    const record = await builds.cancel(id);

    expect(await builderContainers()).toEqual([]);
    const log = await readLog();
    expect(stages(log)).toBeLessThanOrEqual(before + 1);
    expect(log).not.toContain('Received signal');
    expect(log.trimEnd().split('\n').at(-1)).toBe(`bootc-studio: Build ${id} cancelled`);
    const stored = await builds.store.read(id);
    for (const ended of [record, stored]) {
      expect(ended.status).toBe('cancelled');
      expect(ended.percent).toBeUndefined();
      expect(ended.message).toBeUndefined();
      expect(ended.error).toBeUndefined();
    }
  });

  test('a build over its time limit is stopped and failed with the reason', async () => {
    const builds = service({ timeoutMs: 2000 });
    const out = await outputDir('timeout');
    const id = await builds.start(request(out, { builder: { image: SLOW } }));
    const record = await builds.wait(id);
    expect(record.status).toBe('failed');
    expect(record.error).toBe('timed out after 2 seconds');
    expect(await builderContainers()).toEqual([]);
  });

  test('restart: a running build is re-attached by a new service, a vanished one is marked lost', async () => {
    const first = service();
    const out = await outputDir('restart');
    // The re-attached build must outlast the second start, the dispose and the new service's
    // reconcile on a loaded machine: the one-stage-a-second builder (its deafness to SIGTERM plays no part).
    const id = await first.start(request(out, { builder: { image: STUBBORN } }));
    await waitFor(async () => ((await first.get(id)).percent ?? 0) > 10, 'progress');
    const goneOut = await outputDir('restart-gone');
    const goneId = await first.start(request(goneOut, { builder: { image: SLOW } }));
    await waitFor(async () => (await first.get(goneId)).status === 'building', 'the second build to start');
    await first.dispose();
    // The extension went away; the builders did not.
    expect(await builderContainers()).toHaveLength(2);
    const gone = (await first.store.read(goneId)).containerId as string;
    await podman.podman(['rm', '-f', gone]);

    const second = service();
    await second.reconcile();
    expect(second.isRunningHere(id)).toBe(true);
    const lost = await second.get(goneId);
    expect(lost.status).toBe('lost');
    expect(lost.error).toMatch(/builder container is gone/);

    const record = await second.wait(id);
    expect(record.status, record.error).toBe('succeeded');
    const log = await readFile(record.logPath, 'utf8');
    // Replayed from the container's start, but every line only once.
    expect(log.match(/^Pipeline build: /gm)).toHaveLength(1);
    expect(log.match(/^Build complete!$/gm)).toHaveLength(1);
    expect(log).toContain('re-attached to the running builder');
    expect(await builderContainers()).toEqual([]);
    expect((await readdir(configParent)).filter(name => name.startsWith(CONFIG_DIR_PREFIX))).toEqual([]);
  });

  test('two builds at once: distinct containers, the second without the shared cache volumes, both succeed', async () => {
    const builds = service();
    const [outA, outB] = [await outputDir('twin-a'), await outputDir('twin-b')];
    const a = await builds.start(request(outA, { builder: { image: SLOW }, types: ['qcow2'] }));
    const b = await builds.start(request(outB, { builder: { image: SLOW }, types: ['vmdk'] }));
    await expect(builds.start(request(outA))).rejects.toThrow(/outputDir: build .* is writing into this folder/);
    await waitFor(async () => (await builderContainers()).length === 2, 'two builder containers');
    const [recordA, recordB] = await Promise.all([builds.wait(a), builds.wait(b)]);
    expect(recordA.status, recordA.error).toBe('succeeded');
    expect(recordB.status, recordB.error).toBe('succeeded');
    expect(existsSync(join(outA, 'qcow2/disk.qcow2'))).toBe(true);
    expect(existsSync(join(outA, 'vmdk'))).toBe(false);
    expect(existsSync(join(outB, 'vmdk/disk.vmdk'))).toBe(true);
    expect(await readFile(recordA.logPath, 'utf8')).toMatch(/-v bootc-studio-store-[^ ]*:\/store/);
    expect(await readFile(recordB.logPath, 'utf8')).toContain('Cache:   none');
  });

  test('deleting a build removes its record, artifacts and log (or keeps the files)', async () => {
    const builds = service();
    const out = await outputDir('delete');
    const id = await builds.start(request(out));
    const record = await builds.wait(id);
    expect(record.status).toBe('succeeded');
    await builds.delete(id, true);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    await expect(builds.get(id)).rejects.toThrow(/no disk build/);

    // The kept disk image is in the way: written over only when asked.
    await expect(builds.start(request(out))).rejects.toThrow(/files the builder would overwrite/);
    const again = await builds.wait(await builds.start(request(out), { overwrite: true }));
    await builds.delete(again.id, false);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(existsSync(again.logPath)).toBe(false);
    expect(existsSync(join(out, 'manifest-qcow2.json'))).toBe(false);
  });

  test('two builds into one folder: deleting the failed one leaves the survivor’s disk image and log; each log is its own', async () => {
    const builds = service();
    const out = await outputDir('shared');
    const failed = await builds.wait(await builds.start(request(out, { builder: { image: FAILING } })));
    expect(failed.status).toBe('failed');
    const survivor = await builds.wait(await builds.start(request(out)));
    expect(survivor.status, survivor.error).toBe('succeeded');
    const disk = join(out, 'qcow2/disk.qcow2');
    const size = (await stat(disk)).size;

    const result = await builds.delete(failed.id, false);
    expect(existsSync(disk)).toBe(true);
    expect((await stat(disk)).size).toBe(size);
    expect(existsSync(survivor.logPath)).toBe(true);
    expect(result).toEqual({ removed: [failed.logPath], kept: [] });
    const log = (await builds.readLog(survivor.id, 0)).text;
    expect(log).toContain(`Bootc Studio disk build ${survivor.id}`);
    expect(log).not.toContain(failed.id);
    expect(log).toContain('Build complete!');
    expect((await builds.get(survivor.id)).artifacts).toEqual([
      expect.objectContaining({ path: disk, size, state: 'present' }),
    ]);
  });

  test('another build’s disk image in the folder: refused unless overwriting; then shown replaced and left alone on delete', async () => {
    const builds = service();
    const out = await outputDir('overwrite');
    const first = await builds.wait(await builds.start(request(out)));
    expect(first.status, first.error).toBe('succeeded');
    const check = await builds.checkOutputFolder(out, IMAGE, ['qcow2']);
    expect(check.conflicts).toEqual([{ path: join(out, 'qcow2/disk.qcow2'), buildId: first.id }]);
    expect(check.suggestion).toMatch(new RegExp(`^${out}/test-bootc-\\d{8}-\\d{4}$`));
    await expect(builds.start(request(out))).rejects.toThrow(
      new RegExp(`already holds the files of build ${first.id} \\(${out}/qcow2/disk\\.qcow2\\)`),
    );

    const second = await builds.wait(await builds.start(request(out), { overwrite: true }));
    expect(second.status, second.error).toBe('succeeded');
    expect((await builds.get(first.id)).artifacts).toEqual([
      expect.objectContaining({ state: 'replaced', replacedBy: second.id }),
    ]);
    const result = await builds.delete(first.id, false);
    expect(result.kept).toEqual([
      { path: join(out, 'qcow2/disk.qcow2'), reason: `replaced by build ${second.id} since this build wrote it` },
    ]);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    expect(existsSync(second.logPath)).toBe(true);
    expect((await builds.get(second.id)).artifacts[0].state).toBe('present');
  });

  test('files removed or replaced outside: the record says so, delete leaves the replaced file, a gone log is said', async () => {
    const builds = service();
    const out = await outputDir('outside');
    const built = await builds.wait(await builds.start(request(out, { types: ['qcow2', 'raw'] })));
    expect(built.status, built.error).toBe('succeeded');
    await rm(join(out, 'image/disk.raw'));
    await rm(join(out, 'qcow2/disk.qcow2'));
    await writeFile(join(out, 'qcow2/disk.qcow2'), 'a file of the user’s');
    expect((await builds.get(built.id)).artifacts.map(artifact => artifact.state)).toEqual(['replaced', 'missing']);
    await rm(built.logPath);
    await expect(builds.readLog(built.id, 0)).rejects.toThrow(`the log of build ${built.id} is gone`);
    const result = await builds.delete(built.id, false);
    expect(result.kept).toEqual([
      { path: join(out, 'qcow2/disk.qcow2'), reason: 'replaced since this build wrote it' },
    ]);
    expect(await readFile(join(out, 'qcow2/disk.qcow2'), 'utf8')).toBe('a file of the user’s');
  });

  test('an engine on another machine: the config is copied into the builder, the log stays with the record', async () => {
    // The same podman, reported as remote: everything but the SSH transport is the remote path.
    class RemoteEngine extends PodmanSocketEngine {
      override async listEngines() {
        return (await super.listEngines()).map(info => ({ ...info, remote: true }));
      }
    }
    const builds = service({ engine: new RemoteEngine(podman.url) });
    const out = await outputDir('remote');
    const id = await builds.start(
      request(out, {
        config: {
          users: [{ name: 'demo', password: PASSWORD, groups: [] }],
          groups: [],
          kernelArgs: [],
          filesystems: [],
        },
      }),
    );
    const record = await builds.wait(id);
    expect(record.status, record.error).toBe('succeeded');
    expect(record.remote).toBe(true);
    expect(record.logPath).toBe(join(builds.store.dirOf(id), `image-build-${id}.log`));
    expect(await readFile(record.logPath, 'utf8')).toContain('Build complete!');
    expect(existsSync(join(out, `image-build-${id}.log`))).toBe(false);
    const received = await readFile(join(out, 'stand-in-config.toml'), 'utf8');
    const hash = /password = "(\$6\$[^"]+)"/.exec(received)?.[1];
    expect(verifyPassword(PASSWORD, hash as string)).toBe(true);
    await rm(join(out, 'stand-in-config.toml'));
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    expect(await builderContainers()).toEqual([]);
  });

  test('no secret in any file the builds left behind: outputs, store, temp dir', async () => {
    const found: string[] = [];
    async function walk(dir: string): Promise<void> {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          const text = await readFile(path, 'latin1');
          if (text.includes(PASSWORD) || text.includes('$6$')) found.push(path);
        }
      }
    }
    await walk(work);
    expect(found).toEqual([]);
    expect((await readdir(configParent)).filter(name => name.startsWith(CONFIG_DIR_PREFIX))).toEqual([]);
  });
});
