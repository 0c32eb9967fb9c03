/** Which builds offer Launch VM, and which of those boot an installer first; a VM's cloud-init seed in words. */

import { describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { canLaunchVm, cloudInitText, launchRequestProblems, launchesInstaller } from '../../../src/api/vms';

type Artifact = DiskBuildRecord['artifacts'][number];

const artifact = (type: string, state?: Artifact['state']): Artifact =>
  ({ type, path: `/out/${type}`, size: 1, mtimeMs: 1, ino: 1, dev: 1, ...(state ? { state } : {}) }) as Artifact;

const build = (artifacts: Artifact[], status: DiskBuildRecord['status'] = 'succeeded', remote = false) => ({
  status,
  remote,
  artifacts,
});

describe('canLaunchVm', () => {
  test('a finished local build with a disk or an installer ISO of its own', () => {
    expect(canLaunchVm(build([artifact('qcow2')]))).toBe(true);
    expect(canLaunchVm(build([artifact('anaconda-iso')]))).toBe(true);
    expect(canLaunchVm(build([artifact('bootc-installer')]))).toBe(true);
  });

  test('not a cloud image alone, not a gone or replaced disk, not a remote or unfinished build', () => {
    expect(canLaunchVm(build([artifact('ami'), artifact('gce')]))).toBe(false);
    expect(canLaunchVm(build([artifact('qcow2', 'missing'), artifact('iso', 'replaced')]))).toBe(false);
    expect(canLaunchVm(build([artifact('qcow2')], 'succeeded', true))).toBe(false);
    expect(canLaunchVm(build([artifact('qcow2')], 'failed'))).toBe(false);
  });
});

test('launchesInstaller: only when the build made no disk a VM boots directly', () => {
  expect(launchesInstaller(build([artifact('anaconda-iso')]))).toBe(true);
  expect(launchesInstaller(build([artifact('raw'), artifact('vhd')]))).toBe(false);
});

describe('cloud-init', () => {
  test('a launch request takes cloudInit as true or false only', () => {
    expect(launchRequestProblems({ source: { diskPath: '/d.raw' }, cloudInit: true })).toEqual({});
    expect(launchRequestProblems({ source: { diskPath: '/d.raw' }, cloudInit: 'yes' as unknown as boolean })).toEqual({
      cloudInit: 'true or false',
    });
  });

  test('the VM says whether it gets a seed, why, and where the last start attached it', () => {
    expect(cloudInitText({})).toBe('');
    const image = { seed: true, decidedBy: 'image', reason: 'the image quay.io/x:1 has cloud-init' } as const;
    expect(cloudInitText({ cloudInit: image, cloudInitSeed: '/vms/a/cidata.img' })).toBe(
      'NoCloud seed attached (/vms/a/cidata.img) — the image quay.io/x:1 has cloud-init',
    );
    expect(cloudInitText({ cloudInit: image })).toBe(
      'NoCloud seed at each start — the image quay.io/x:1 has cloud-init',
    );
    expect(
      cloudInitText({ cloudInit: { seed: false, decidedBy: 'user', reason: 'cloud-init turned off at launch' } }),
    ).toBe('no NoCloud seed (cloud-init turned off at launch)');
  });
});
