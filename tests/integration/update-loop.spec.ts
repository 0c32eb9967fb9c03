/**
 * "Rebuild & update" end to end on real components: a podman service builds the VM's image from a
 * Containerfile folder, pushes it to a real registry on this machine, and the VM (QEMU booting the
 * tiny test disk, whose stand-in bootc asks that registry for the tracked tag's digest through
 * QEMU's host alias 10.0.2.2) upgrades to it and reboots; the loop ends by checking that the VM
 * booted the digest just pushed. An edit of the Containerfile and a second loop boots the new
 * digest with the first to roll back to. A VM tracking a `localhost/…` reference is refused at the
 * first step. `bootc container lint` (a stand-in bootc in the image) stops the loop before the push
 * on an error, unless told to go on. On an rpm-ostree host (the test disk's stand-in rpm-ostree, also
 * asking the registry), the loop runs `rpm-ostree upgrade` and applies the update live, or reboots.
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { BootcHostStatus, Day2Detail, RpmOstreeHostStatus, UpdateLoopDetail } from '../../src/api/day2';
import type { VmInfo } from '../../src/api/vms';
import { Day2Service } from '../../src/day2/day2-service';
import { startUpdateLoop, type UpdateLoopDeps } from '../../src/day2/update-loop';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { ImageOperations } from '../../src/images/image-operations';
import { JobRegistry } from '../../src/jobs/job-registry';
import { connectWithKey, execOverSsh } from '../../src/ssh/ssh-session';
import type { VmService } from '../../src/vms/vm-service';
import { BUSYBOX_BASE, createBusyboxBase } from './support/images';
import { startPodmanService, type PodmanService } from './support/podman-service';
import { startRegistry, type LocalRegistry } from './support/registry';
import { removeAllVms, startTestDiskVm, testVmService } from './support/test-vms';
import { buildTestDisk, recordTestDiskBuild } from './support/test-disk';

const BUILD_ID = '100b100b100b';

describe('Rebuild & update on a real VM, podman and registry', () => {
  let podman: PodmanService;
  let registry: LocalRegistry;
  let store: string;
  let context: string;
  let jobs: JobRegistry;
  let vms: VmService;
  let day2: Day2Service;
  let deps: UpdateLoopDeps;
  let vm: VmInfo;

  const loop = async (ignoreLintErrors = false) => {
    const job = await jobs.wait(
      startUpdateLoop(deps, { vmId: vm.id, contextDir: context, ...(ignoreLintErrors ? { ignoreLintErrors } : {}) }).id,
    );
    return {
      job,
      detail: job.detail as UpdateLoopDetail & { status?: BootcHostStatus },
      log: (await jobs.readLog(job.id, 0)).lines.join('\n'),
    };
  };
  const switchTo = async (image: string) => {
    const job = await jobs.wait(day2.run(vm.id, { kind: 'switch', image, apply: false }).id);
    expect(job.error).toBeUndefined();
    return (job.detail as Day2Detail).status as BootcHostStatus | undefined;
  };

  beforeAll(async () => {
    registry = await startRegistry();
    podman = await startPodmanService({ insecureRegistries: [registry.url] });
    await createBusyboxBase(podman);
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-update-loop-'));
    context = join(store, 'os');
    await mkdir(context);
    await writeFile(
      join(context, 'Containerfile'),
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo first > /etc/motd\n`,
    );
    await recordTestDiskBuild(await buildTestDisk(), store, join(store, 'output'), BUILD_ID);
    jobs = new JobRegistry();
    vms = testVmService(store, jobs);
    day2 = new Day2Service({ vms, jobs, rebootTimeoutMs: 180_000 });
    deps = {
      engine: new PodmanSocketEngine(podman.url),
      operations: new ImageOperations({ jobs }),
      jobs,
      vms,
      day2,
    };
    vm = await startTestDiskVm(vms, jobs, BUILD_ID);
  }, 400_000);

  afterAll(async () => {
    await removeAllVms(vms);
    await Promise.all([registry?.stop(), podman?.stop()]);
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('a VM tracking localhost/… is refused at the first step, with what to do', async () => {
    await switchTo('localhost/tiny-os:1');
    const { job } = await loop();
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(
      /tracks localhost\/tiny-os:1, which it cannot pull from: push the image to a registry/,
    );
    expect(job.steps.map(step => step.status)).toEqual([
      'failed',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
  }, 60_000);

  test('build, push, upgrade and reboot: the VM boots the digest just pushed', async () => {
    const tracked = `10.0.2.2:${registry.port}/tiny-os:loop`;
    await switchTo(tracked);
    const { job, detail, log } = await loop();
    expect(job.error).toBeUndefined();
    expect(job.steps.map(step => [step.name, step.status])).toEqual([
      ['Reading what the VM tracks', 'succeeded'],
      ['Building', 'succeeded'],
      // The busybox image has no bootc: nothing to lint with, said and gone on.
      ['Linting', 'skipped'],
      ['Pushing', 'succeeded'],
      ['Updating the VM', 'succeeded'],
      ['Checking what it booted', 'succeeded'],
    ]);
    // Pushed here through the loopback, as the guest's 10.0.2.2.
    expect(detail.pushedRef).toBe(`127.0.0.1:${registry.port}/tiny-os:loop`);
    const inRegistry = await registry.manifestDigest('tiny-os', 'loop');
    expect(detail.pushedDigest).toBe(inRegistry);
    expect(detail.status?.booted?.image).toMatchObject({ image: tracked, digest: inRegistry });
    expect(log).toMatch(/RUN echo first/);
    expect(log).toMatch(/\$ bootc upgrade --apply/);
    expect(job.summary).toMatch(
      /runs 10\.0\.2\.2:\d+\/tiny-os:loop sha256:[0-9a-f]{12}, the image just built and pushed/,
    );
  }, 400_000);

  test('after an edit of the Containerfile, the next loop boots the new image with the old one to roll back to', async () => {
    const first = await registry.manifestDigest('tiny-os', 'loop');
    const file = join(context, 'Containerfile');
    await writeFile(file, (await readFile(file, 'utf8')).replace('echo first', 'echo second'));
    const { job, detail } = await loop();
    expect(job.error).toBeUndefined();
    const second = await registry.manifestDigest('tiny-os', 'loop');
    expect(second).not.toBe(first);
    expect(detail.status?.booted?.image?.digest).toBe(second);
    expect(detail.status?.rollback?.image?.digest).toBe(first);
  }, 400_000);

  test('bootc container lint in the new image: warnings are listed, an error stops the loop before the push unless told to go on', async () => {
    const file = join(context, 'Containerfile');
    const base = await readFile(file, 'utf8');
    // A stand-in bootc in the image: its lint warns, and fails while /etc/lint-fails exists.
    const standIn = [
      '#!/bin/sh',
      'echo "Lint warning: var-log: Found non-empty logfiles: /var/log/app.log"',
      'if [ -e /etc/lint-fails ]; then echo "Lint error: kernel: Multiple kernels found"; exit 1; fi',
      'echo "Checks passed: 9"',
    ].join('\n');
    await writeFile(join(context, 'bootc'), `${standIn}\n`, { mode: 0o755 });
    await writeFile(file, `${base}COPY bootc /usr/bin/bootc\nRUN touch /etc/lint-fails\n`);
    const before = await registry.manifestDigest('tiny-os', 'loop');
    const stopped = await loop();
    expect(stopped.job.status).toBe('failed');
    expect(stopped.job.error?.message).toMatch(/bootc container lint found an error .*Multiple kernels found/);
    expect(stopped.job.steps.map(step => [step.name, step.status]).slice(2, 4)).toEqual([
      ['Linting', 'failed'],
      ['Pushing', 'skipped'],
    ]);
    expect(stopped.job.warnings.join('\n')).toMatch(/var-log: Found non-empty logfiles/);
    // Nothing was pushed.
    expect(await registry.manifestDigest('tiny-os', 'loop')).toBe(before);

    const goneOn = await loop(true);
    expect(goneOn.job.error).toBeUndefined();
    expect(goneOn.job.steps.find(step => step.name === 'Linting')).toMatchObject({
      status: 'succeeded',
      message: '1 error, 1 warning',
    });
    expect(goneOn.job.warnings.join('\n')).toMatch(/Gone on despite: Lint error: kernel: Multiple kernels found/);
    expect(goneOn.detail.status?.booted?.image?.digest).toBe(await registry.manifestDigest('tiny-os', 'loop'));
  }, 400_000);

  test('on an rpm-ostree host: push, rpm-ostree upgrade, then apply live; the next loop reboots', async () => {
    const guest = async (command: string) => {
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
    };
    await guest('echo rpm-ostree > /esp/manager');
    try {
      const tracked = `10.0.2.2:${registry.port}/tiny-os:rpm`;
      const rebase = await jobs.wait(
        day2.run(vm.id, { kind: 'switch', image: tracked, apply: false, signature: 'unverified' }).id,
      );
      expect(rebase.error).toBeUndefined();
      await writeFile(
        join(context, 'Containerfile'),
        `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo live > /etc/motd\n`,
      );
      const bootBefore = (await guest('cat /proc/sys/kernel/random/boot_id')).trim();
      const live = await jobs.wait(startUpdateLoop(deps, { vmId: vm.id, contextDir: context, applyLive: true }).id);
      const liveLog = (await jobs.readLog(live.id, 0)).lines.join('\n');
      expect(live.error).toBeUndefined();
      expect(liveLog).toMatch(/\$ rpm-ostree upgrade\n/);
      expect(liveLog).toMatch(/\$ rpm-ostree apply-live/);
      const pushed = await registry.manifestDigest('tiny-os', 'rpm');
      const liveStatus = (live.detail as UpdateLoopDetail).status as RpmOstreeHostStatus;
      expect(liveStatus.pending?.image).toMatchObject({ image: tracked, digest: pushed });
      expect(liveStatus.booted?.liveReplaced).toBeDefined();
      expect((await guest('cat /proc/sys/kernel/random/boot_id')).trim()).toBe(bootBefore);

      await writeFile(
        join(context, 'Containerfile'),
        `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo rebooted > /etc/motd\n`,
      );
      const rebooted = await jobs.wait(startUpdateLoop(deps, { vmId: vm.id, contextDir: context }).id);
      expect(rebooted.error).toBeUndefined();
      expect((await jobs.readLog(rebooted.id, 0)).lines.join('\n')).toMatch(/\$ rpm-ostree upgrade --reboot/);
      const second = await registry.manifestDigest('tiny-os', 'rpm');
      expect(second).not.toBe(pushed);
      const status = (rebooted.detail as UpdateLoopDetail).status as RpmOstreeHostStatus;
      expect(status.booted?.image).toMatchObject({ image: tracked, digest: second });
      expect((await guest('cat /proc/sys/kernel/random/boot_id')).trim()).not.toBe(bootBefore);
    } finally {
      await guest('rm -f /esp/manager');
    }
  }, 400_000);
});
