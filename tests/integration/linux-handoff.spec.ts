/**
 * The Linux hand-off for real: a user's rootless podman (its own service, as that user) holds the
 * bootc image; the build copies it to root's podman (a private store of this test) once, runs the
 * stand-in builder there as root, and gives the artifacts to the user. The admin step is the CLI's
 * AdminRunner, which runs the script directly because the test is root (pkexec would prompt a user).
 */

import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../src/api/disk-build';
import { CONFIG_DIR_PREFIX } from '../../src/builds/build-config-tempdir';
import { DiskBuildService } from '../../src/builds/disk-build-service';
import { verifyPassword } from '../../src/builds/password-hash';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { processAdminRunner } from '../../src/platform/admin';
import { startPodmanService, type PodmanService } from './support/podman-service';
import {
  checkRootlessPodman,
  ensureRootlessUser,
  startRootlessPodman,
  type RootlessPodman,
  type RootlessUser,
} from './support/rootless-user';
import { ProcessError, runProcess } from './support/run-process';
import { createStandInBuilder, STAND_IN_BUILDER, standInVariant } from './support/stand-in-builder';

const IMAGE = 'localhost/handoff-os:1';
const SLOW = 'localhost/stand-in-slow:latest';
const PASSWORD = 'Handoff-Plain-4c1d';
const isRoot = process.getuid?.() === 0;
const cli = resolve(__dirname, '../../dist/cli.js');

if (!isRoot)
  console.log('linux-handoff.spec: skipped — it needs root (it creates a user and runs the admin step directly)');

describe.skipIf(!isRoot)('the Linux hand-off from a rootless podman to root’s podman', () => {
  let user: RootlessUser;
  let root: PodmanService;
  let rootless: RootlessPodman;
  let userDir: string;
  let engine: PodmanSocketEngine;
  let engineUrl: string;
  let imageId: string;
  let work: string;
  const services: DiskBuildService[] = [];

  beforeAll(async () => {
    user = await ensureRootlessUser();
    await checkRootlessPodman(user);
    root = await startPodmanService();
    await createStandInBuilder(root);
    await standInVariant(root, SLOW, { STANDIN_STEP_SECONDS: '0.5', STANDIN_STAGES: '6' });
    // The user's podman service (the engine the build is asked on), and the image in the user's store.
    rootless = await startRootlessPodman(user);
    imageId = await rootless.importImage(IMAGE, { 'containers.bootc': '1' });
    userDir = rootless.dir;
    engineUrl = rootless.url;
    engine = new PodmanSocketEngine(engineUrl);
    work = await mkdtemp(join(root.dir, 'work-'));
    await mkdir(join(work, 'tmp'));
  }, 300_000);

  afterAll(async () => {
    for (const service of services) await service.dispose();
    await rootless?.stop();
    await root?.stop();
  });

  function service(): DiskBuildService {
    const notices: string[] = [];
    const created = new DiskBuildService({
      engine,
      storeDir: join(work, 'store'),
      configParentDir: join(work, 'tmp'),
      heartbeatMs: 500,
      progressWriteMs: 100,
      logDrainMs: 500,
      stopTimeoutSeconds: 2,
      warn: () => undefined,
      platform: 'linux',
      // Root's podman in the script is the test's private store: its environment says so.
      handoff: {
        admin: processAdminRunner(
          message => notices.push(message),
          { uid: 0, platform: 'linux' },
          {
            ...process.env,
            ...root.env,
          },
        ),
      },
    });
    services.push(created);
    return created;
  }

  /** An output folder of the user's, as theirs would be. */
  async function outputDir(name: string): Promise<string> {
    const dir = join(userDir, name);
    await mkdir(dir);
    await chown(dir, user.uid, user.gid);
    return dir;
  }

  function request(out: string, overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
    return {
      image: IMAGE,
      outputDir: out,
      types: ['qcow2', 'raw'],
      arch: 'amd64',
      builder: { image: STAND_IN_BUILDER },
      config: {
        users: [{ name: 'demo', password: PASSWORD, groups: ['wheel'] }],
        groups: [],
        kernelArgs: [],
        filesystems: [],
      },
      ...overrides,
    };
  }

  const rootImageId = async () =>
    (await root.podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE]).catch(() => ({ stdout: '' }))).stdout.trim();
  const rootContainers = async () =>
    (await root.podman(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
  const leftovers = async (dir: string) => (await readdir(dir)).filter(name => name.startsWith('.bootc-studio-image-'));

  test('the image is copied once with its ID, the builder runs as root, the artifacts are the user’s, nothing is left', async () => {
    const engines = await engine.listEngines();
    expect(engines[0].rootful).toBe(false);
    await root.podman(['rmi', '--force', IMAGE]).catch(() => undefined);
    const builds = service();

    const out = await outputDir('first');
    const started = Date.now();
    const record = await builds.wait(await builds.start(request(out)));
    const firstMs = Date.now() - started;
    expect(record.status, record.error).toBe('succeeded');
    expect(record.handoff).toBe(true);
    expect(await rootImageId()).toBe(imageId);
    for (const artifact of record.artifacts) {
      const info = await stat(artifact.path);
      expect(info.size).toBe(artifact.size);
      expect([info.uid, info.gid]).toEqual([user.uid, user.gid]);
    }
    const log = await readFile(record.logPath, 'utf8');
    expect(log).toContain('asks once for administrator rights');
    expect(log).toContain(`copying ${IMAGE} to root's podman`);
    expect(log).toContain('Build complete!');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain('$6$');
    // The builder got the hashed config and root's store holding the image (the stand-in checks that).
    const received = await readFile(join(out, 'stand-in-config.toml'), 'utf8');
    const hash = /password = "(\$6\$[^"]+)"/.exec(received)?.[1];
    expect(verifyPassword(PASSWORD, hash as string)).toBe(true);
    expect(await leftovers(out)).toEqual([]);
    expect(await rootContainers()).toEqual([]);
    expect((await readdir(join(work, 'tmp'))).filter(name => name.startsWith(CONFIG_DIR_PREFIX))).toEqual([]);

    // Again: root's podman has that ID now, so nothing is copied.
    const again = await outputDir('again');
    const secondStart = Date.now();
    const second = await builds.wait(await builds.start(request(again)));
    const secondMs = Date.now() - secondStart;
    expect(second.status, second.error).toBe('succeeded');
    const secondLog = await readFile(second.logPath, 'utf8');
    expect(secondLog).toContain(`root's podman already has ${IMAGE} (${imageId.slice(0, 12)}): nothing to copy`);
    expect(secondLog).not.toContain('copying');
    console.log(`linux-handoff: build with the copy ${firstMs} ms, without it ${secondMs} ms`);
  }, 240_000);

  test('cancel stops the builder on root’s podman; partial artifacts and the builder are gone', async () => {
    const builds = service();
    const out = await outputDir('cancel');
    const id = await builds.start(request(out, { builder: { image: SLOW } }));
    const deadline = Date.now() + 120_000;
    while (!existsSync(join(out, 'qcow2/disk.qcow2'))) {
      if (Date.now() > deadline) throw new Error('no partial artifact');
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    const record = await builds.cancel(id);
    expect(record.status).toBe('cancelled');
    expect(record.artifacts).toEqual([]);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(existsSync(join(out, 'image'))).toBe(false);
    expect(await rootContainers()).toEqual([]);
    expect(await leftovers(out)).toEqual([]);
  }, 240_000);

  test('the CLI: the seed line builds on the rootless engine through the hand-off; --detach is refused', async () => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    const out = await outputDir('cli');
    const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, ...base } = process.env;
    const bootcStudio = async (args: string[]) => {
      const argv = [cli, ...args, '--url', engineUrl, '--store', join(work, 'cli-store')];
      try {
        const { stdout, stderr } = await runProcess(process.execPath, argv, {
          env: { ...base, ...root.env },
          cwd: out,
          timeoutMs: 180_000,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        if (error instanceof ProcessError) return { code: error.exitCode, stdout: error.stdout, stderr: error.stderr };
        throw error;
      }
    };
    const seed = ['disk', 'build', IMAGE, '--type', 'vmdk', '--rootfs', 'xfs', '--user', 'demo:changeit:wheel'];
    const builder = ['--kernel-arg', 'audit=0', '--output', './out', '--builder', STAND_IN_BUILDER];

    const detached = await bootcStudio([...seed, ...builder, '--detach']);
    expect(detached.code, detached.stderr).toBe(2);
    expect(detached.stderr).toMatch(/--detach: .*is rootless: the build runs on root's podman under this command/);

    const result = await bootcStudio([...seed, ...builder]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Build complete!');
    expect(result.stdout).toContain("(the builder ran on root's podman: Linux hand-off)");
    expect(result.stdout + result.stderr).not.toContain('changeit');
    const info = await stat(join(out, 'out/vmdk/disk.vmdk'));
    expect([info.uid, info.gid]).toEqual([user.uid, user.gid]);
  }, 240_000);

  test('the preview shows the command root will run and says why the rights are asked for', async () => {
    const builds = service();
    const preview = await builds.preview(request(await outputDir('preview')));
    expect(preview.command).toMatch(/^sudo podman run --rm/);
    expect(preview.command).toContain('/var/lib/containers/storage:/var/lib/containers/storage');
    expect(preview.warnings[0]).toMatch(
      /is rootless.*asks once for administrator rights, to copy localhost\/handoff-os:1/,
    );
  });
});
