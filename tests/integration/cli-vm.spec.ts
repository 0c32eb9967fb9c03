/**
 * `bootc-studio vm …` as a user runs it: dist/cli.js in a child process, on a store holding a
 * finished build of the tiny test disk, with real QEMU (TCG here). Wrong input is refused with the
 * argument named; `vm run` boots the build and ends with the VM's record (--json); `vm ls`, `vm ssh
 * -- CMD` (the real OpenSSH client with the VM's key), `vm console` with piped input, day 2 against
 * the test disk's stand-in bootc (`vm status`, `vm upgrade --check|--apply`, `vm switch`,
 * `vm rollback`), `vm stop` and `vm rm` do what they say.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { HostStatus } from '../../src/api/day2';
import type { VmInfo } from '../../src/api/vms';
import { finalRecord } from './support/cli-json';
import { ProcessError, runProcess } from './support/run-process';
import { buildTestDisk, recordTestDiskBuild, TEST_DISK_MARKERS } from './support/test-disk';

const cli = resolve(__dirname, '../../dist/cli.js');
const BUILD_ID = 'c11c11c11c11';

let store: string;

async function bootcStudio(args: string[], input?: string) {
  const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, ...env } = process.env;
  try {
    const { stdout, stderr } = await runProcess(process.execPath, [cli, '--store', store, ...args], {
      env,
      input,
      timeoutMs: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

describe('bootc-studio vm …', () => {
  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-cli-vm-'));
    await recordTestDiskBuild(await buildTestDisk(), store, join(store, 'output'), BUILD_ID);
  }, 180_000);

  afterAll(async () => {
    await bootcStudio(['vm', 'rm', 'cli-1']).catch(() => undefined);
    await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('wrong input is refused with the argument named, before anything runs', async () => {
    const missing = await bootcStudio(['vm', 'run', '/nowhere/disk.qcow2']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/DISK-PATH: \/nowhere\/disk\.qcow2 does not exist/);
    const memory = await bootcStudio(['vm', 'run', BUILD_ID, '--memory', 'lots']);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toMatch(/--memory: a whole number/);
    const small = await bootcStudio(['vm', 'run', BUILD_ID, '--memory', '12']);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/--memory: a whole number of MiB from 256/);
    const diskSize = await bootcStudio(['vm', 'run', BUILD_ID, '--disk-size', '40']);
    expect(diskSize.code).toBe(2);
    expect(diskSize.stderr).toMatch(/--disk-size: only an installer ISO gets a new disk/);
    const notDisk = await bootcStudio(['vm', 'run', '/etc/hostname']);
    expect(notDisk.code).toBe(2);
    expect(notDisk.stderr).toMatch(
      /IMAGE\|BUILD-ID\|DISK-PATH: \/etc\/hostname is \d+ bytes and neither a qcow2 nor a vmdk: not a disk image/,
    );
    const unknown = await bootcStudio(['vm', 'stop', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/VM: no VM named or with the id "nope"/);
    const empty = await bootcStudio(['vm', 'ls']);
    expect(empty.stdout).toMatch(/No VMs yet/);
  });

  test('vm run boots a build (by id prefix) and ends with the running VM; vm ls lists it', async () => {
    const run = await bootcStudio([
      'vm',
      'run',
      BUILD_ID.slice(0, 6),
      '--name',
      'cli-1',
      '--memory',
      '384',
      '--cpus',
      '1',
      '--json',
    ]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const vm = finalRecord<VmInfo>(run.stdout);
    expect(vm).toMatchObject({ name: 'cli-1', state: 'running', source: { kind: 'build', buildId: BUILD_ID } });
    const listed = JSON.parse((await bootcStudio(['vm', 'ls', '--json'])).stdout) as VmInfo[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'cli-1', state: 'running', sshPort: vm.sshPort });
    expect((await bootcStudio(['vm', 'ls'])).stdout).toMatch(
      new RegExp(
        `cli-1\\s+running\\s+quay\\.io/example/tiny-os:1 \\(build ${BUILD_ID}\\)\\s+127\\.0\\.0\\.1:${vm.sshPort}`,
      ),
    );
  }, 300_000);

  test('vm ssh runs a command or a shell with the VM key; vm console takes piped input and shows the answer', async () => {
    const ssh = await bootcStudio(['vm', 'ssh', 'cli-1', '--', 'echo', 'ssh-$((1+1))']);
    expect(ssh.code).toBe(0);
    expect(ssh.stdout.trim()).toBe('ssh-2');
    // ssh2 in the process, no ssh binary: the remote exit status is ours, and without a command a shell reads stdin.
    expect((await bootcStudio(['vm', 'ssh', 'cli-1', '--', 'exit', '3'])).code).toBe(3);
    const shell = await bootcStudio(['vm', 'ssh', 'cli-1'], 'echo shell-$((3*3))\nexit\n');
    expect(shell.code).toBe(0);
    expect(shell.stdout).toContain('shell-9');
    const console = await bootcStudio(['vm', 'console', 'cli-1'], 'echo console-$((2*3))\n');
    expect(console.code).toBe(0);
    // The recent output first (the boot's markers), then the answer to what was typed.
    expect(console.stdout).toContain(TEST_DISK_MARKERS.ssh);
    expect(console.stdout).toContain('console-6');
    expect(console.stderr).toMatch(/Attached to the console of cli-1/);
  }, 120_000);

  test('vm status shows the booted image; vm upgrade --check finds a push, --apply reboots into it; switch and rollback', async () => {
    const status = await bootcStudio(['vm', 'status', 'cli-1']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Booted:\s+quay\.io\/example\/tiny-os:1, version 1, sha256:111111111111/);
    expect(status.stdout).not.toMatch(/Staged:|Rollback:/);
    const json = JSON.parse((await bootcStudio(['vm', 'status', 'cli-1', '--json'])).stdout) as HostStatus;
    expect(json).toMatchObject({ manager: 'bootc', tracked: { image: 'quay.io/example/tiny-os:1' } });

    // A push of the image, as the guest's stand-in bootc sees it.
    const pushed = 'sha256:3333333333333333333333333333333333333333333333333333333333333333';
    await bootcStudio(['vm', 'ssh', 'cli-1', '--', 'echo', `${pushed} 3`, '>', '/esp/bootc/available']);
    const check = await bootcStudio(['vm', 'upgrade', 'cli-1', '--check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/update available: quay\.io\/example\/tiny-os:1, version 3, sha256:333333333333/);

    const upgrade = await bootcStudio(['vm', 'upgrade', 'cli-1', '--apply']);
    expect(upgrade.stderr).not.toMatch(/error/i);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout + upgrade.stderr).toMatch(/Queued for next boot/);
    expect(upgrade.stdout).toMatch(/Booted:\s+quay\.io\/example\/tiny-os:1, version 3/);
    expect(upgrade.stdout).toMatch(/Rollback:\s+quay\.io\/example\/tiny-os:1, version 1/);

    const badRef = await bootcStudio(['vm', 'switch', 'cli-1', 'Not/An Image']);
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toMatch(/REF: not an image reference/);
    const both = await bootcStudio(['vm', 'upgrade', 'cli-1', '--check', '--apply']);
    expect(both.code).toBe(2);

    const switched = await bootcStudio(['vm', 'switch', 'cli-1', 'quay.io/example/other-os:3']);
    expect(switched.code).toBe(0);
    expect(switched.stdout).toMatch(/Tracks:\s+quay\.io\/example\/other-os:3/);
    expect(switched.stdout).toMatch(/Staged:\s+quay\.io\/example\/other-os:3.*\(reboot to apply\)/);
    const noFolder = await bootcStudio(['vm', 'rebuild', 'cli-1', '/nowhere/os', '--skip-lint']);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toMatch(/DIR: .*\/nowhere\/os/);
    const rollback = await bootcStudio(['vm', 'rollback', 'cli-1']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/Rollback:\s+.*version 1.*\(boots at the next reboot\)/);
  }, 300_000);

  test('vm stop powers it off; vm rm deletes it', async () => {
    const stop = await bootcStudio(['vm', 'stop', 'cli-1']);
    expect(stop.code).toBe(0);
    const stopped = await bootcStudio(['vm', 'status', 'cli-1']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/VM cli-1 is stopped: start it first/);
    expect(stop.stdout + stop.stderr).toMatch(/The guest powered off/);
    expect(JSON.parse((await bootcStudio(['vm', 'ls', '--json'])).stdout)[0]).toMatchObject({ state: 'stopped' });
    const removed = await bootcStudio(['vm', 'rm', 'cli-1']);
    expect(removed.stdout).toMatch(/Deleted cli-1/);
    expect(JSON.parse((await bootcStudio(['vm', 'ls', '--json'])).stdout)).toEqual([]);
  }, 180_000);
});
