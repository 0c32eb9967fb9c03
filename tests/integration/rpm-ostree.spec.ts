/**
 * Day 2 on hosts that bootc does not manage, against a real VM: QEMU boots the tiny test disk,
 * whose guest answers as bootc, as rpm-ostree (support/test-disk/rpm-ostree: booted, pending and
 * rollback deployments with layered packages on the VM's own disk, every call recorded) or as
 * neither, as /esp/manager says (set over SSH by the test's own hand). Through the CLI
 * (dist/cli.js in a child process, on the same store) and the day-2 service: detection, status
 * with layered packages, an upgrade check with its preview, upgrade, apply-live, a rebase that
 * makes the user choose how the image is verified, reset (confirmed), rollback, an upgrade that
 * reboots; rpm-ostree actions refused on a bootc host; a machine managed by neither.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { Day2Detail, HostStatus, RpmOstreeHostStatus } from '../../src/api/day2';
import type { VmInfo } from '../../src/api/vms';
import { Day2Service } from '../../src/day2/day2-service';
import { JobRegistry } from '../../src/jobs/job-registry';
import { connectWithKey, execOverSsh } from '../../src/ssh/ssh-session';
import type { VmService } from '../../src/vms/vm-service';
import { ProcessError, runProcess } from './support/run-process';
import { buildTestDisk, recordTestDiskBuild } from './support/test-disk';
import { removeAllVms, startTestDiskVm, testVmService } from './support/test-vms';

const cliPath = resolve(__dirname, '../../dist/cli.js');
const BUILD_ID = '0570ee0570ee';
const FIRST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const PUSHED = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';
const ROLLBACK = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';

describe('rpm-ostree hosts and hosts managed by neither, on a real VM', () => {
  let store: string;
  let jobs: JobRegistry;
  let vms: VmService;
  let day2: Day2Service;
  let vm: VmInfo;

  /** A command in the guest, as the test's own hand (not through the product). */
  async function guest(command: string): Promise<string> {
    const current = await vms.get(vm.id);
    const { client } = await connectWithKey({
      host: '127.0.0.1',
      port: current.sshPort as number,
      user: 'root',
      privateKey: await readFile(current.sshKeyPath),
    });
    try {
      return (await execOverSsh(client, command)).stdout;
    } finally {
      client.end();
    }
  }

  async function cli(args: string[]) {
    const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _home, ...env } = process.env;
    try {
      const { stdout, stderr } = await runProcess(process.execPath, [cliPath, '--store', store, ...args], {
        env,
        timeoutMs: 300_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err: unknown) {
      if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
      throw err;
    }
  }

  async function act(action: Parameters<Day2Service['run']>[1]) {
    const job = await jobs.wait(day2.run(vm.id, action).id);
    const log = (await jobs.readLog(job.id, 0)).lines.join('\n');
    return { job, log, status: (job.detail as Day2Detail).status as RpmOstreeHostStatus | undefined };
  }

  const calls = async () => (await guest('cat /esp/rpm-ostree/calls')).trim().split('\n');

  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-rpm-ostree-'));
    await recordTestDiskBuild(await buildTestDisk(), store, join(store, 'output'), BUILD_ID);
    jobs = new JobRegistry();
    vms = testVmService(store, jobs);
    day2 = new Day2Service({ vms, jobs, rebootTimeoutMs: 180_000 });
    vm = await startTestDiskVm(vms, jobs, BUILD_ID);
    await guest('echo rpm-ostree > /esp/manager');
  }, 300_000);

  afterAll(async () => {
    await removeAllVms(vms);
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('detected as rpm-ostree: deployments, layered packages, overrides and removals, apply-live offered', async () => {
    const status = (await day2.status(vm.id)) as RpmOstreeHostStatus;
    expect(status).toMatchObject({
      manager: 'rpm-ostree',
      tracked: { image: 'quay.io/example/tiny-os:1', transport: 'registry' },
      trackedSignature: 'unverified',
      applyLive: true,
      booted: {
        booted: true,
        image: {
          image: 'quay.io/example/tiny-os:1',
          version: '41.1',
          digest: FIRST,
          timestamp: '2025-12-01T00:00:00Z',
        },
        packages: ['htop', 'vim-enhanced'],
        removals: ['nano'],
        overrides: [{ package: 'kernel-6.12.1-100.fc41.x86_64', replaces: 'kernel-6.11.9-200.fc41.x86_64' }],
      },
      rollback: { image: { version: '41.0', digest: ROLLBACK }, packages: ['htop'] },
    });
    expect(status.pending).toBeUndefined();
    // bootc was asked first (it is "not found" here), then rpm-ostree.
    expect(await calls()).toEqual(['status --json', '--help']);

    const text = await cli(['vm', 'status', vm.name]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Managed by: rpm-ostree$/m);
    expect(text.stdout).toMatch(/Tracks:\s+quay\.io\/example\/tiny-os:1 \(unverified\)/);
    expect(text.stdout).toMatch(/Booted:\s+quay\.io\/example\/tiny-os:1, version 41\.1, sha256:111111111111/);
    expect(text.stdout).toMatch(/layered packages: htop, vim-enhanced/);
    expect(text.stdout).toMatch(
      /overrides: kernel-6\.12\.1-100\.fc41\.x86_64 \(replaces kernel-6\.11\.9-200\.fc41\.x86_64\)/,
    );
    expect(text.stdout).toMatch(/removed: nano$/m);
    expect(text.stdout).toMatch(/Rollback:\s+quay\.io\/example\/tiny-os:1, version 41\.0/);
    const json = JSON.parse((await cli(['vm', 'status', vm.name, '--json'])).stdout) as HostStatus;
    expect(json).toMatchObject({ manager: 'rpm-ostree', booted: { packages: ['htop', 'vim-enhanced'] } });
  }, 120_000);

  test('vm upgrade --check: up to date (77 is no failure), then a push found with its package preview', async () => {
    const none = await cli(['vm', 'upgrade', vm.name, '--check']);
    expect(none.code).toBe(0);
    expect(none.stdout + none.stderr).toMatch(/No updates available\./);
    expect(none.stdout).not.toMatch(/update available/);

    await guest(`echo '${PUSHED} 41.2' > /esp/rpm-ostree/available`);
    const found = await cli(['vm', 'upgrade', vm.name, '--check']);
    expect(found.code).toBe(0);
    expect(found.stdout + found.stderr).toMatch(/\$ rpm-ostree upgrade --preview/);
    expect(found.stdout + found.stderr).toMatch(/Diff: 1 upgraded/);
    expect(found.stdout).toMatch(/update available: quay\.io\/example\/tiny-os:1, version 41\.2, sha256:222222222222/);
    expect((await calls()).slice(-4)).toEqual(['upgrade --check', 'upgrade --preview', 'status --json', '--help']);
  }, 120_000);

  test('vm upgrade stages it with the layered packages carried; vm apply-live runs it without a reboot', async () => {
    const bootBefore = (await guest('cat /proc/sys/kernel/random/boot_id')).trim();
    const upgrade = await cli(['vm', 'upgrade', vm.name]);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toMatch(
      /Pending:\s+quay\.io\/example\/tiny-os:1, version 41\.2.*\(reboot or apply live to use it\)/,
    );
    const live = await cli(['vm', 'apply-live', vm.name]);
    expect(live.code).toBe(0);
    expect(live.stdout + live.stderr).toMatch(/Successfully updated running filesystem tree/);
    expect(live.stdout).toMatch(/running changes applied live \(commit [0-9a-f]{12}\)/);
    expect((await guest('cat /proc/sys/kernel/random/boot_id')).trim()).toBe(bootBefore);
    const status = (await day2.status(vm.id)) as RpmOstreeHostStatus;
    expect(status.pending).toMatchObject({
      staged: true,
      image: { digest: PUSHED },
      packages: ['htop', 'vim-enhanced'],
    });
    expect(status.booted?.liveReplaced).toMatch(/^[0-9a-f]{64}$/);
    expect((await calls()).filter(call => !/^(status --json|--help)$/.test(call)).slice(-2)).toEqual([
      'upgrade',
      'apply-live',
    ]);
  }, 120_000);

  test('vm switch makes the user choose the verification; the transport follows the choice', async () => {
    const unsure = await cli(['vm', 'switch', vm.name, 'quay.io/example/other-os:3']);
    expect(unsure.code).toBe(2);
    expect(unsure.stderr).toMatch(
      /--signature: VM .* is managed by rpm-ostree, which does not guess how to verify quay\.io\/example\/other-os:3: choose how the image is verified: unverified .*signed .*remote:NAME/,
    );
    const wrong = await cli(['vm', 'switch', vm.name, 'quay.io/example/other-os:3', '--signature', 'maybe']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--signature: choose how the image is verified/);
    expect(await calls()).not.toContainEqual(expect.stringMatching(/^rebase/));

    const signed = await cli(['vm', 'switch', vm.name, 'quay.io/example/other-os:3', '--signature', 'signed']);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/Tracks:\s+quay\.io\/example\/other-os:3 \(signed\)/);
    expect(signed.stdout).toMatch(/Pending:\s+quay\.io\/example\/other-os:3/);
    const remote = await act({
      kind: 'switch',
      image: 'quay.io/example/other-os:4',
      apply: false,
      signature: 'remote:fedora',
    });
    expect(remote.job.error).toBeUndefined();
    expect(remote.status?.pending?.signature).toBe('remote:fedora');
    const rebases = (await calls()).filter(call => call.startsWith('rebase'));
    expect(rebases).toEqual([
      'rebase ostree-image-signed:docker://quay.io/example/other-os:3',
      'rebase ostree-remote-image:fedora:docker://quay.io/example/other-os:4',
    ]);
  }, 120_000);

  test('vm reset is confirmed (--yes off a terminal) and stages the image without what was layered', async () => {
    const unconfirmed = await cli(['vm', 'reset', vm.name]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(
      /--yes: Reset VM .* to its image: Its layered packages, overrides and removals are dropped\. Confirm with --yes/,
    );
    expect(await calls()).not.toContain('reset');
    const reset = await cli(['vm', 'reset', vm.name, '--yes']);
    expect(reset.code).toBe(0);
    expect(reset.stdout + reset.stderr).toMatch(/Removed: htop/);
    const status = (await day2.status(vm.id)) as RpmOstreeHostStatus;
    expect(status.pending).toMatchObject({ packages: [], overrides: [], removals: [] });
    expect(status.booted?.packages).toEqual(['htop', 'vim-enhanced']);
  }, 120_000);

  test('upgrade with a reboot: the guest boots the update (the pending reset dropped by rollback first)', async () => {
    // Back to a clean state: a rollback drops the pending deployment and queues the rollback one.
    const rolled = await cli(['vm', 'rollback', vm.name]);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/Pending:\s+quay\.io\/example\/tiny-os:1, version 41\.0/);

    const bootBefore = (await guest('cat /proc/sys/kernel/random/boot_id')).trim();
    const { job, log, status } = await act({ kind: 'rollback', apply: true });
    expect(job.error).toBeUndefined();
    expect(log).toContain('$ rpm-ostree rollback --reboot');
    expect(job.steps.map(step => [step.name, step.status])).toEqual([
      ['Rolling back', 'succeeded'],
      ['Rebooting', 'succeeded'],
      ['Reading the status', 'succeeded'],
    ]);
    expect((await guest('cat /proc/sys/kernel/random/boot_id')).trim()).not.toBe(bootBefore);
    expect(status?.booted?.image).toMatchObject({ version: '41.0', digest: ROLLBACK });
    expect(status?.booted?.liveReplaced).toBeUndefined();
    expect(status?.rollback?.image).toMatchObject({ version: '41.1', digest: FIRST });

    const upgraded = await act({ kind: 'upgrade', apply: true });
    expect(upgraded.job.error).toBeUndefined();
    expect(upgraded.log).toContain('$ rpm-ostree upgrade --reboot');
    expect(upgraded.status?.booted?.image).toMatchObject({ version: '41.2', digest: PUSHED });
    expect(upgraded.status?.booted?.packages).toEqual(['htop']);
    expect(upgraded.job.summary).toMatch(/booted quay\.io\/example\/tiny-os:1 41\.2/);
  }, 400_000);

  test('bootc reporting no booted image next to rpm-ostree: rpm-ostree manages it', async () => {
    await guest('echo rpm-ostree+bootc > /esp/manager');
    expect((await day2.status(vm.id)).manager).toBe('rpm-ostree');
  }, 60_000);

  test('on a bootc host, the rpm-ostree actions are refused, saying what manages the VM', async () => {
    await guest('rm /esp/manager');
    const live = await cli(['vm', 'apply-live', vm.name]);
    expect(live.code).toBe(1);
    expect(live.stdout + live.stderr).toMatch(/apply-live is an rpm-ostree action and VM .* is managed by bootc/);
    const status = await cli(['vm', 'status', vm.name]);
    expect(status.stdout).toMatch(/^Managed by: bootc$/m);
  }, 120_000);

  test('a machine managed by neither: vm status says so, actions refuse, SSH still works', async () => {
    await guest('echo none > /esp/manager');
    expect(await day2.status(vm.id)).toMatchObject({ manager: 'none', reason: 'no bootc; no rpm-ostree' });
    const status = await cli(['vm', 'status', vm.name]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Managed by: neither bootc nor rpm-ostree$/m);
    expect(status.stdout).toMatch(/reach it with bootc-studio vm ssh/);
    const upgrade = await cli(['vm', 'upgrade', vm.name]);
    expect(upgrade.code).toBe(1);
    expect(upgrade.stdout + upgrade.stderr).toMatch(
      /is managed by neither bootc nor rpm-ostree: its image cannot be updated from here/,
    );
    const ssh = await cli(['vm', 'ssh', vm.name, '--', 'echo', 'still-$((40+2))']);
    expect(ssh.stdout.trim()).toBe('still-42');
    await guest('rm /esp/manager');
  }, 120_000);
});
