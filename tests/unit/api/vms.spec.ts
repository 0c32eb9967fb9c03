/** Which builds offer Launch VM, and which of those boot an installer first. */

import { describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { canLaunchVm, launchesInstaller } from '../../../src/api/vms';

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
