/**
 * Day 2 against a real VM: QEMU boots the tiny test disk, whose stand-in `bootc` answers like a
 * bootc host (support/test-disk/bootc: its deployments on the VM's own disk, applied at boot, every
 * call recorded), over real SSH with the VM's key and pinned host key. Status; a check that finds
 * the update a push made; upgrade with --apply (the guest reboots, the job waits for the new boot
 * and reads the status again); switch; rollback; the older `--json` flag; a changed host key refused.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { BootcHostStatus, Day2Detail } from '../../src/api/day2';
import type { VmInfo } from '../../src/api/vms';
import { Day2Service } from '../../src/day2/day2-service';
import { JobRegistry } from '../../src/jobs/job-registry';
import { connectWithKey, execOverSsh } from '../../src/ssh/ssh-session';
import type { VmService } from '../../src/vms/vm-service';
import { removeAllVms, startTestDiskVm, testVmService } from './support/test-vms';
import { buildTestDisk, recordTestDiskBuild } from './support/test-disk';

const BUILD_ID = 'da2da2da2da2';
const FIRST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const PUSHED = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';

describe('day 2 on a real VM', () => {
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

  async function act(action: Parameters<Day2Service['run']>[1]) {
    const job = await jobs.wait(day2.run(vm.id, action).id);
    const log = (await jobs.readLog(job.id, 0)).lines.join('\n');
    return { job, log, status: (job.detail as Day2Detail).status as BootcHostStatus | undefined };
  }

  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-day2-'));
    await recordTestDiskBuild(await buildTestDisk(), store, join(store, 'output'), BUILD_ID);
    jobs = new JobRegistry();
    vms = testVmService(store, jobs);
    day2 = new Day2Service({ vms, jobs, rebootTimeoutMs: 180_000 });
    vm = await startTestDiskVm(vms, jobs, BUILD_ID);
  }, 300_000);

  afterAll(async () => {
    await removeAllVms(vms);
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('status: the booted image with its version and digest, the tracked reference, nothing staged', async () => {
    const status = (await day2.status(vm.id)) as BootcHostStatus;
    expect(status).toMatchObject({
      manager: 'bootc',
      tracked: { image: 'quay.io/example/tiny-os:1', transport: 'registry' },
      booted: {
        image: { image: 'quay.io/example/tiny-os:1', version: '1', digest: FIRST, architecture: 'amd64' },
        incompatible: false,
      },
      rollbackQueued: false,
    });
    expect(status.staged).toBeUndefined();
    expect(status.rollback).toBeUndefined();
    expect(status.booted?.cachedUpdate).toBeUndefined();
  }, 60_000);

  test('a check finds the pushed update and the status shows it cached; nothing is staged', async () => {
    await guest(`echo '${PUSHED} 2' > /esp/bootc/available`);
    const { job, log, status } = await act({ kind: 'check' });
    expect(job.status).toBe('succeeded');
    expect(log).toContain('$ bootc upgrade --check');
    expect(log).toContain('Update available for: docker://quay.io/example/tiny-os:1');
    expect(job.summary).toMatch(/an update is available \(2\)/);
    expect(status?.booted?.cachedUpdate).toMatchObject({ version: '2', digest: PUSHED });
    expect(status?.staged).toBeUndefined();
  }, 60_000);

  test('upgrade --apply stages, reboots the guest, and the new boot runs the update with the old one to roll back to', async () => {
    const bootBefore = (await guest('cat /proc/sys/kernel/random/boot_id')).trim();
    // The guest's bootc reports progress on --progress-fd: it becomes the job's percent and message.
    const seen: { percent?: number; message?: string }[] = [];
    const watching = jobs.onDidChange(change => {
      if (change.job?.kind === 'vm-update') seen.push({ percent: change.job.percent, message: change.job.message });
    });
    const { job, log, status } = await act({ kind: 'upgrade', apply: true }).finally(() => watching.dispose());
    expect(job.error).toBeUndefined();
    expect(seen).toContainEqual({ percent: 40, message: 'Pulling image: 6.5 MB of 12.9 MB' });
    expect(seen).toContainEqual({ percent: 100, message: 'Staging: 3 of 3' });
    // The events are progress, not log lines.
    expect(log).not.toContain('ProgressBytes');
    expect(job.steps.map(step => [step.name, step.status])).toEqual([
      ['Staging the update', 'succeeded'],
      ['Rebooting', 'succeeded'],
      ['Reading the status', 'succeeded'],
    ]);
    expect(log).toContain('Queued for next boot');
    expect((await guest('cat /proc/sys/kernel/random/boot_id')).trim()).not.toBe(bootBefore);
    expect(status?.booted?.image).toMatchObject({ version: '2', digest: PUSHED });
    expect(status?.rollback?.image).toMatchObject({ version: '1', digest: FIRST });
    expect(status?.staged).toBeUndefined();
    // The VM is the same QEMU, still running, with the same pinned host key.
    expect(await vms.get(vm.id)).toMatchObject({ state: 'running', hostKeyFingerprint: vm.hostKeyFingerprint });
  }, 300_000);

  test('an upgrade with nothing new says so and does not reboot', async () => {
    const bootBefore = (await guest('cat /proc/sys/kernel/random/boot_id')).trim();
    const { job, log } = await act({ kind: 'upgrade', apply: true });
    expect(job.status).toBe('succeeded');
    expect(log).toContain('No update available.');
    expect(job.steps.find(step => step.name === 'Rebooting')?.status).toBe('skipped');
    expect((await guest('cat /proc/sys/kernel/random/boot_id')).trim()).toBe(bootBefore);
  }, 60_000);

  test('switch stages another image and tracks it; rollback queues the previous deployment', async () => {
    const switched = await act({ kind: 'switch', image: 'quay.io/example/other-os:3', apply: false });
    expect(switched.job.error).toBeUndefined();
    expect(switched.status?.tracked?.image).toBe('quay.io/example/other-os:3');
    expect(switched.status?.staged?.image?.image).toBe('quay.io/example/other-os:3');
    expect(switched.job.summary).toMatch(/other-os:3 is staged/);

    const rolled = await act({ kind: 'rollback', apply: true });
    expect(rolled.job.error).toBeUndefined();
    // The rollback discarded the staged switch and booted the first image again.
    expect(rolled.status?.booted?.image).toMatchObject({ digest: FIRST });
    expect(rolled.status?.rollback?.image).toMatchObject({ digest: PUSHED });
    expect(rolled.status?.staged).toBeUndefined();

    const calls = await guest('cat /esp/bootc/calls');
    expect(calls).toMatch(/^upgrade --check$/m);
    expect(calls).toMatch(/^upgrade --apply --progress-fd 3$/m);
    expect(calls).toMatch(/^switch quay\.io\/example\/other-os:3 --progress-fd 3$/m);
    expect(calls).toMatch(/^rollback --apply$/m);
  }, 300_000);

  test('a bad image reference is refused before anything runs', () => {
    expect(() => day2.run(vm.id, { kind: 'switch', image: 'Not An Image;rm -rf /', apply: false })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ field: 'image' })] }),
    );
  });

  test('a guest whose bootc is older than --format answers through --json', async () => {
    await guest('touch /esp/bootc/old');
    const status = (await day2.status(vm.id)) as BootcHostStatus;
    expect(status.booted?.image?.digest).toBe(FIRST);
    const calls = (await guest('cat /esp/bootc/calls')).trim().split('\n').slice(-2);
    expect(calls).toEqual(['status --format=json', 'status --json']);
    await guest('rm /esp/bootc/old');
  }, 60_000);

  test('a host key other than the one pinned at boot is refused', async () => {
    const impostor = new Day2Service({
      vms: {
        get: async id => ({ ...(await vms.get(id)), hostKeyFingerprint: 'SHA256:somebodyelse' }),
        sshTarget: vm => vms.sshTarget(vm),
      },
      jobs,
    });
    await expect(impostor.status(vm.id)).rejects.toThrow(/another host key than at its boot/);
  }, 60_000);
});
