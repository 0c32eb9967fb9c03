/**
 * `bootc-studio disk build | ls | show | logs | cancel | rm` as a user runs them: the built
 * dist/cli.js in a child process, against a real podman service and the stand-in builder, with the
 * exit codes scripts rely on: 0 done, 1 the build failed, 2 bad input (nothing started).
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm as rm_ } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { BUILD_ID_LABEL } from '../../src/builds/builder-plan';
import { verifyPassword } from '../../src/builds/password-hash';
import { writeFinishedBuilds } from '../bench/bench-records';
import { finalRecord } from './support/cli-json';
import { BUSYBOX_BASE, buildImage, createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import { ProcessError, runProcess } from './support/run-process';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  standInVariant,
} from './support/stand-in-builder';

const cli = resolve(__dirname, '../../dist/cli.js');
const IMAGE = 'localhost/test-bootc:1';
const SLOW = 'localhost/stand-in-slow:latest';
/** A builder that runs for half a minute: still running when a loaded machine's next command comes. */
const CRAWLING = 'localhost/stand-in-crawling:latest';
const FAILING = 'localhost/stand-in-failing:latest';

let podman: PodmanService;
let home: string;
let store: string;

function env(): NodeJS.ProcessEnv {
  const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, TMPDIR: _tmp, ...base } = process.env;
  return { ...base, HOME: home, TMPDIR: join(podman.dir, 'tmp') };
}

async function bootcStudio(args: string[]) {
  try {
    const { stdout, stderr } = await runProcess(
      process.execPath,
      [cli, ...args, '--url', podman.url, '--store', store],
      { env: env(), cwd: podman.dir, timeoutMs: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

async function builderContainers(): Promise<string[]> {
  const { stdout } = await podman.podman(['ps', '-a', '--filter', `label=${BUILD_ID_LABEL}`, '--format', '{{.ID}}']);
  return stdout.split('\n').filter(Boolean);
}

async function records(): Promise<DiskBuildRecord[]> {
  const { stdout } = await bootcStudio(['disk', 'ls', '--json']);
  return JSON.parse(stdout) as DiskBuildRecord[];
}

describe('bootc-studio disk … against a real podman with the stand-in builder', () => {
  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    podman = await startPodmanService();
    home = join(podman.dir, 'home');
    store = join(podman.dir, 'store');
    await mkdir(home, { recursive: true });
    await mkdir(join(podman.dir, 'tmp'), { recursive: true });
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInVariant(podman, SLOW, { STANDIN_STEP_SECONDS: '0.4', STANDIN_STAGES: '6' });
    await standInVariant(podman, CRAWLING, { STANDIN_STEP_SECONDS: '1.2', STANDIN_STAGES: '6' });
    await standInVariant(podman, FAILING, { STANDIN_FAIL: 'stage' });
  });

  afterAll(async () => {
    await podman?.stop();
  });

  test('the seed walkthrough in one line builds, and ls / show / logs / rm find it', async () => {
    const result = await bootcStudio([
      'disk',
      'build',
      IMAGE,
      '--type',
      'vmdk',
      '--arch',
      'amd64',
      '--rootfs',
      'xfs',
      '--user',
      'demo:changeit:wheel',
      '--kernel-arg',
      'audit=0',
      '--output',
      './out',
      '--builder',
      STAND_IN_BUILDER,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = join(podman.dir, 'out');
    expect(result.stdout).toContain('Build complete!');
    expect(result.stdout).toContain(join(out, 'vmdk/disk.vmdk'));
    expect(result.stdout + result.stderr).not.toContain('changeit');
    expect(existsSync(join(out, 'vmdk/disk.vmdk'))).toBe(true);
    const received = await readFile(join(out, 'stand-in-config.toml'), 'utf8');
    const hash = /password = "(\$6\$[^"]+)"/.exec(received)?.[1] as string;
    expect(verifyPassword('changeit', hash)).toBe(true);
    expect(received).toMatch(/groups = \[\s*"wheel"\s*\]/);
    expect(received).toContain('audit=0');

    const [record] = await records();
    expect(record.status).toBe('succeeded');
    expect(record.request.types).toEqual(['vmdk']);
    expect(JSON.stringify(record)).not.toContain('changeit');

    const shown = await bootcStudio(['disk', 'show', record.id.slice(0, 6)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`ID:        ${record.id}`);
    expect(shown.stdout).toMatch(/vmdk\s+\S+vmdk\/disk\.vmdk\s+4\.\d kB/);
    const logs = await bootcStudio(['disk', 'logs', record.id]);
    expect(logs.stdout).toContain('--- builder output ---');
    expect(logs.stdout).toContain('Build complete!');
    expect(logs.stdout).not.toContain('$6$');

    const removed = await bootcStudio(['disk', 'rm', record.id]);
    expect(removed.code).toBe(0);
    expect(existsSync(join(out, 'vmdk'))).toBe(false);
    expect(await records()).toEqual([]);
  });

  test('two builds into one folder: each log only its own; rm of the failed one keeps the survivor; overwrite only with --overwrite', async () => {
    const out = join(podman.dir, 'shared');
    const build = (...extra: string[]) =>
      bootcStudio(['disk', 'build', IMAGE, '--output', './shared', '--type', 'qcow2', '--json', ...extra]);
    const failedRun = await build('--builder', FAILING);
    expect(failedRun.code).toBe(1);
    const failed = finalRecord<DiskBuildRecord>(failedRun.stdout);
    const survivorRun = await build('--builder', STAND_IN_BUILDER);
    expect(survivorRun.code, survivorRun.stderr).toBe(0);
    const survivor = finalRecord<DiskBuildRecord>(survivorRun.stdout);
    // The new build's output starts with its own header, never the previous build's log.
    expect(survivorRun.stderr.match(/Bootc Studio disk build [0-9a-f]{12}/g)).toEqual([
      `Bootc Studio disk build ${survivor.id}`,
    ]);

    for (const [mine, other] of [
      [failed, survivor],
      [survivor, failed],
    ]) {
      const logs = await bootcStudio(['disk', 'logs', mine.id]);
      expect(logs.code).toBe(0);
      expect(logs.stdout).toContain(`Bootc Studio disk build ${mine.id}`);
      expect(logs.stdout).not.toContain(other.id);
    }

    const removed = await bootcStudio(['disk', 'rm', failed.id]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
    expect(existsSync(survivor.logPath)).toBe(true);
    expect((await bootcStudio(['disk', 'logs', survivor.id])).stdout).toContain('Build complete!');

    const refused = await build('--builder', STAND_IN_BUILDER);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--output: this folder already holds the files of build ${survivor.id}`);
    expect(refused.stderr).toContain('add --overwrite');
    expect(await builderContainers()).toEqual([]);

    const newer = await build('--builder', STAND_IN_BUILDER, '--overwrite');
    expect(newer.code, newer.stderr).toBe(0);
    const newerId = finalRecord<DiskBuildRecord>(newer.stdout).id;
    const shown = await bootcStudio(['disk', 'show', survivor.id]);
    expect(shown.stdout).toMatch(new RegExp(`qcow2\\s+\\S+qcow2/disk\\.qcow2\\s+replaced by build ${newerId}`));
    const rm = await bootcStudio(['disk', 'rm', survivor.id]);
    expect(rm.stdout).toContain(`Left ${join(out, 'qcow2/disk.qcow2')}: replaced by build ${newerId}`);
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);

    const newerLog = join(out, `image-build-${newerId}.log`);
    await rm_(newerLog);
    const gone = await bootcStudio(['disk', 'logs', newerId]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`the log of build ${newerId} is gone`);
    expect((await bootcStudio(['disk', 'show', newerId])).stdout).toContain('(gone: removed outside Bootc Studio)');
    await bootcStudio(['disk', 'rm', newerId]);
  });

  test('bad flags exit 2 and start nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['disk', 'build', IMAGE, '--type', 'floppy', '--output', './bad'], /--type: an image type is one of/],
      [['disk', 'build', IMAGE, '--user', 'Bad Name:x', '--output', './bad'], /--user \(1\): a user name/],
      [['disk', 'build', IMAGE], /--output DIR is required/],
      [['disk', 'build', IMAGE, '--output', './bad', '--local'], /Unknown option '--local'/],
      [
        ['disk', 'build', IMAGE, '--output', './bad', '--arch', 'arm64', '--builder', STAND_IN_BUILDER],
        /--arch: the image offers amd64/,
      ],
      [
        ['disk', 'build', IMAGE, '--output', './bad', '--type', 'iso', '--type', 'qcow2'],
        /--type: ISO types cannot be built together/,
      ],
      [['disk', 'build', IMAGE, '--output', './bad', '--kernel-arg', "quiet 'x'"], /--kernel-arg \(1\)/],
      [
        ['disk', 'build', IMAGE, '--output', './bad', '--aws-bucket', 'b'],
        /--aws-ami-name: an AWS upload needs all three/,
      ],
      [['disk', 'show', 'zz'], /ID: not a build id/],
    ];
    for (const [args, message] of cases) {
      const result = await bootcStudio(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await builderContainers()).toEqual([]);
    expect(await records()).toEqual([]);
  });

  test('a failing builder exits 1 with the reason; --json ends with the final record', async () => {
    const result = await bootcStudio(['disk', 'build', IMAGE, '--output', './failing', '--builder', FAILING, '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: osbuild failed in stage org\.osbuild\.users/);
    const record = finalRecord<DiskBuildRecord>(result.stdout);
    expect(record.status).toBe('failed');
    expect(await builderContainers()).toEqual([]);
    await bootcStudio(['disk', 'rm', record.id]);
  });

  test('bootc container lint in the image first: an error stops the build (nothing recorded), --skip-lint goes on', async () => {
    const linted = 'localhost/test-bootc-lint:1';
    // A stand-in bootc in the image: its lint warns and fails.
    const standIn = [
      '#!/bin/sh',
      'echo "Lint warning: var-log: Found non-empty logfiles: /var/log/app.log"',
      'echo "Lint error: kernel: Multiple kernels found"',
      'exit 1',
    ].join('\n');
    await buildImage(
      podman,
      {
        Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nCOPY bootc /usr/bin/bootc\n`,
        bootc: { content: `${standIn}\n`, mode: 0o755 },
      },
      linted,
    );
    const before = (await records()).length;
    const refused = await bootcStudio(['disk', 'build', linted, '--output', './linted', '--builder', STAND_IN_BUILDER]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/lint: Lint warning: var-log: Found non-empty logfiles/);
    expect(refused.stderr).toMatch(/lint: Lint error: kernel: Multiple kernels found/);
    expect(refused.stderr).toMatch(/fix the Containerfile, or add --skip-lint to build anyway/);
    expect(await records()).toHaveLength(before);

    const anyway = await bootcStudio([
      'disk',
      'build',
      linted,
      '--output',
      './linted',
      '--builder',
      STAND_IN_BUILDER,
      '--skip-lint',
    ]);
    expect(anyway.code, anyway.stderr).toBe(0);
    expect(anyway.stderr).toMatch(/building anyway \(--skip-lint\)/);
    expect(await records()).toHaveLength(before + 1);
    // The lint's container went with its run.
    const { stdout } = await podman.podman([
      'ps',
      '-a',
      '--filter',
      'label=io.bootc-studio.lint',
      '--format',
      '{{.ID}}',
    ]);
    expect(stdout.trim()).toBe('');
  });

  test('--detach prints the id at once; the build runs on in the background and is recorded', async () => {
    const result = await bootcStudio([
      'disk',
      'build',
      IMAGE,
      '--output',
      './detached',
      '--builder',
      CRAWLING,
      '--detach',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    // At once: the command has returned while its build runs.
    const running = JSON.parse((await bootcStudio(['disk', 'show', id, '--json'])).stdout) as DiskBuildRecord;
    expect(['queued', 'preparing', 'building']).toContain(running.status);
    const deadline = Date.now() + 120_000;
    let record: DiskBuildRecord;
    for (;;) {
      record = JSON.parse((await bootcStudio(['disk', 'show', id, '--json'])).stdout) as DiskBuildRecord;
      if (['succeeded', 'failed', 'cancelled', 'lost'].includes(record.status)) break;
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise(resolveDelay => setTimeout(resolveDelay, 500));
    }
    expect(record.status, record.error).toBe('succeeded');
    const log = await readFile(record.logPath, 'utf8');
    expect(log.match(/^Build complete!$/gm)).toHaveLength(1);
    expect(await builderContainers()).toEqual([]);
    expect((await readdir(join(podman.dir, 'tmp'))).filter(name => name.startsWith('bootc-studio-config-'))).toEqual(
      [],
    );
  });

  test('disk cancel stops a build that another process runs (a detached one)', async () => {
    const started = await bootcStudio([
      'disk',
      'build',
      IMAGE,
      '--output',
      './detached-cancel',
      '--builder',
      CRAWLING,
      '-d',
    ]);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    await new Promise(resolveDelay => setTimeout(resolveDelay, 1500));
    const cancelled = await bootcStudio(['disk', 'cancel', id]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toBe(`Cancelled ${id}\n`);
    const record = JSON.parse((await bootcStudio(['disk', 'show', id, '--json'])).stdout) as DiskBuildRecord;
    expect(record.status).toBe('cancelled');
    expect(existsSync(join(podman.dir, 'detached-cancel/qcow2'))).toBe(false);
    expect(await builderContainers()).toEqual([]);
  });

  test('Ctrl-C cancels the build cleanly: exit 1, record cancelled, builder and partial files gone', async () => {
    const child = spawn(
      process.execPath,
      [
        cli,
        'disk',
        'build',
        IMAGE,
        '--output',
        './interrupted',
        '--builder',
        SLOW,
        '--url',
        podman.url,
        '--store',
        store,
      ],
      { env: env(), cwd: podman.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>(resolveExit => child.on('exit', code => resolveExit(code)));
    const deadline = Date.now() + 30_000;
    while (!output.includes('Pipeline image')) {
      expect(Date.now(), output).toBeLessThan(deadline);
      await new Promise(resolveDelay => setTimeout(resolveDelay, 100));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(output).toContain('Cancelling');
    const record = (await records()).find(candidate => candidate.request.outputDir.endsWith('interrupted'));
    expect(record?.status).toBe('cancelled');
    expect(existsSync(join(podman.dir, 'interrupted/qcow2'))).toBe(false);
    expect(await builderContainers()).toEqual([]);
  });

  test('disk ls --json into a reader that stops early (| head): exit 0, no stack trace', async () => {
    const many = join(podman.dir, 'many-builds');
    await writeFinishedBuilds(many, 300);
    const child = spawn(process.execPath, [cli, 'disk', 'ls', '--json', '--url', podman.url, '--store', many], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>(resolveExit => child.on('exit', code => resolveExit(code)));
    // The first chunk read, then the pipe closed, as `head -c` does: 300 records are far more than a pipe holds.
    await new Promise(resolveRead => child.stdout.once('data', resolveRead));
    child.stdout.destroy();
    expect(await exited, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
  });
});
