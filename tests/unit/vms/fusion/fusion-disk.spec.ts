/** Converting the built disk for Fusion: the argv, the tool chosen from what is installed, what to install. */

import { describe, expect, test } from 'vitest';

import {
  chooseFusionDiskConversion,
  qemuImgProgress,
  qemuImgToFusionArgv,
  vdiskmanagerToFusionArgv,
} from '../../../../src/vms/fusion/fusion-disk';

const SRC = '/Users/me/builds/b1/vmdk/disk.vmdk';
const DST = '/Users/me/vms/web one/disk.vmdk';
const VDM = '/Applications/VMware Fusion.app/Contents/Library/vmware-vdiskmanager';

describe('conversion argv', () => {
  test('qemu-img writes monolithicSparse and is told the source format', () => {
    expect(qemuImgToFusionArgv('/opt/homebrew/bin/qemu-img', SRC, 'vmdk', DST)).toEqual([
      '/opt/homebrew/bin/qemu-img',
      'convert',
      '-p',
      '-f',
      'vmdk',
      '-O',
      'vmdk',
      '-o',
      'subformat=monolithicSparse',
      SRC,
      DST,
    ]);
    expect(qemuImgToFusionArgv('qemu-img', '/b/disk.raw', 'raw', DST)).toContain('raw');
  });

  test('vmware-vdiskmanager makes a single growable file (-t 0)', () => {
    expect(vdiskmanagerToFusionArgv(VDM, SRC, DST)).toEqual([VDM, '-r', SRC, '-t', '0', DST]);
  });

  test('relative paths and converting onto the source are refused', () => {
    expect(() => qemuImgToFusionArgv('qemu-img', 'disk.vmdk', 'vmdk', DST)).toThrow(/absolute: disk.vmdk/);
    expect(() => vdiskmanagerToFusionArgv(VDM, SRC, SRC)).toThrow(/must not overwrite/);
  });
});

describe('chooseFusionDiskConversion', () => {
  test('qemu-img when there is one, for any built format', () => {
    const both = { qemuImg: '/usr/local/bin/qemu-img', vdiskmanager: VDM };
    expect(chooseFusionDiskConversion(both, SRC, 'vmdk', DST).tool).toBe('qemu-img');
    expect(chooseFusionDiskConversion({ qemuImg: 'q' }, '/b/disk.qcow2', 'qcow2', DST).argv).toContain('qcow2');
  });

  test('vmware-vdiskmanager for a vmdk without qemu-img', () => {
    expect(chooseFusionDiskConversion({ vdiskmanager: VDM }, SRC, 'vmdk', DST)).toEqual({
      tool: 'vmware-vdiskmanager',
      argv: [VDM, '-r', SRC, '-t', '0', DST],
    });
  });

  test('says what to install when nothing installed can convert', () => {
    expect(() => chooseFusionDiskConversion({}, SRC, 'vmdk', DST)).toThrow(/brew install qemu.*VMware Fusion/);
    expect(() => chooseFusionDiskConversion({ vdiskmanager: VDM }, '/b/disk.raw', 'raw', DST)).toThrow(
      /only vmdk disks, and this disk is raw: install qemu-img \(`brew install qemu`\)/,
    );
  });
});

test('qemuImgProgress reads the last percentage of a -p line', () => {
  expect(qemuImgProgress('    (42.17/100%)')).toBe(42.17);
  expect(qemuImgProgress('    (1.00/100%)\r    (100.00/100%)')).toBe(100);
  expect(qemuImgProgress('qemu-img: error')).toBeUndefined();
});
