/**
 * The QEMU command line: argv only (a path with a comma or a space stays one argument, QEMU's comma
 * doubled), SSH forwarded from 127.0.0.1 only, the firmware read-only and the variables private,
 * the machine and CPU per acceleration, and QEMU's words for a KVM that cannot run the guest.
 */

import { describe, expect, test } from 'vitest';

import { isKvmFailure, qemuArgv, type QemuLaunch } from '../../../../src/vms/qemu/qemu-argv';

const launch: QemuLaunch = {
  qemu: '/usr/bin/qemu-system-x86_64',
  name: 'bootc-studio-abc',
  architecture: 'amd64',
  acceleration: 'kvm',
  memoryMiB: 2048,
  cpus: 2,
  firmware: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/vm dir/efi-vars.fd' },
  disk: '/vm dir/disk,1.qcow2',
  sshPort: 40022,
  oemStrings: ['io.systemd.credential.binary:tmpfiles.extra=ZA=='],
  consoleSocket: '/vm dir/console.sock',
  consoleLog: '/vm dir/console.log',
  qmpSocket: '/vm dir/qmp.sock',
  pidFile: '/vm dir/qemu.pid',
};

const after = (argv: string[], flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

describe('qemuArgv', () => {
  test('KVM: q35, the host CPU, flash firmware read-only with private variables, the overlay on virtio, first to boot', () => {
    const argv = qemuArgv(launch);
    expect(argv[0]).toBe(launch.qemu);
    expect(after(argv, '-machine')).toEqual(['q35']);
    expect(after(argv, '-accel')).toEqual(['kvm']);
    expect(after(argv, '-cpu')).toEqual(['host']);
    expect(after(argv, '-m')).toEqual(['2048']);
    expect(after(argv, '-smp')).toEqual(['2']);
    expect(after(argv, '-drive')).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
      'if=pflash,format=raw,unit=1,file=/vm dir/efi-vars.fd',
      // A comma in a path is doubled, so QEMU does not read the rest as another option.
      'if=none,id=disk0,format=qcow2,file=/vm dir/disk,,1.qcow2',
    ]);
    expect(after(argv, '-device')).toContain('virtio-blk-pci,drive=disk0,bootindex=0');
    expect(argv).not.toContain('-no-reboot');
  });

  test('an installer boots its ISO read-only from a SCSI CD before the blank disk, and QEMU ends at its reboot', () => {
    const argv = qemuArgv({ ...launch, installer: '/out/bootiso/install,1.iso' });
    expect(after(argv, '-drive').slice(2)).toEqual([
      'if=none,id=cd0,media=cdrom,readonly=on,file=/out/bootiso/install,,1.iso',
      'if=none,id=disk0,format=qcow2,file=/vm dir/disk,,1.qcow2',
    ]);
    expect(after(argv, '-device')).toEqual(
      expect.arrayContaining([
        'virtio-scsi-pci,id=scsi0',
        'scsi-cd,drive=cd0,bus=scsi0.0,bootindex=0',
        'virtio-blk-pci,drive=disk0,bootindex=1',
      ]),
    );
    expect(argv).toContain('-no-reboot');
  });

  test('SSH is forwarded from 127.0.0.1 only; the key credential is an SMBIOS type 11 string', () => {
    const argv = qemuArgv(launch);
    expect(after(argv, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22']);
    expect(after(argv, '-smbios')).toEqual(['type=11,value=io.systemd.credential.binary:tmpfiles.extra=ZA==']);
  });

  test('the console is a UNIX socket with a log, QMP a UNIX socket; no display, no TCP port but SSH', () => {
    const argv = qemuArgv(launch);
    expect(after(argv, '-chardev')).toEqual([
      'socket,id=serial0,path=/vm dir/console.sock,server=on,wait=off,logfile=/vm dir/console.log,logappend=on',
    ]);
    expect(after(argv, '-serial')).toEqual(['chardev:serial0']);
    expect(after(argv, '-qmp')).toEqual(['unix:/vm dir/qmp.sock,server=on,wait=off']);
    expect(after(argv, '-display')).toEqual(['none']);
    expect(argv.join(' ')).not.toMatch(/tcp:(?!127\.0\.0\.1:40022-:22)|websocket|0\.0\.0\.0/);
  });

  test('TCG emulates the richest CPU; arm64 guests get the virt machine (highmem under HVF)', () => {
    const tcg = qemuArgv({ ...launch, acceleration: 'tcg' });
    expect(after(tcg, '-accel')).toEqual(['tcg,thread=multi']);
    expect(after(tcg, '-cpu')).toEqual(['max']);
    const arm = qemuArgv({ ...launch, architecture: 'arm64', acceleration: 'hvf' });
    expect(after(arm, '-machine')).toEqual(['virt,highmem=on']);
    expect(after(arm, '-cpu')).toEqual(['host']);
  });

  test('a cloud-init seed is a second virtio disk, read-only, after the system disk and never booted', () => {
    const argv = qemuArgv({ ...launch, seed: '/vm dir/cidata,1.img' });
    expect(after(argv, '-drive').slice(2)).toEqual([
      'if=none,id=disk0,format=qcow2,file=/vm dir/disk,,1.qcow2',
      'if=none,id=seed0,format=raw,readonly=on,file=/vm dir/cidata,,1.img',
    ]);
    const devices = after(argv, '-device');
    expect(devices).toContain('virtio-blk-pci,drive=seed0');
    expect(devices.indexOf('virtio-blk-pci,drive=seed0')).toBeGreaterThan(
      devices.indexOf('virtio-blk-pci,drive=disk0,bootindex=0'),
    );
    // The SMBIOS credential stays: whichever the guest honours, the key arrives.
    expect(after(argv, '-smbios')).toEqual(['type=11,value=io.systemd.credential.binary:tmpfiles.extra=ZA==']);
    expect(qemuArgv(launch).join(' ')).not.toContain('seed0');
  });

  test('without firmware the machine boots its BIOS: no pflash drives', () => {
    const argv = qemuArgv({ ...launch, firmware: undefined });
    expect(after(argv, '-drive')).toEqual(['if=none,id=disk0,format=qcow2,file=/vm dir/disk,,1.qcow2']);
  });
});

describe('isKvmFailure', () => {
  test.each([
    'KVM internal error. Suberror: 1\nemulation failure',
    'qemu-system-x86_64: error: failed to initialize kvm: Permission denied',
    'qemu-system-x86_64: Could not access KVM kernel module: No such file or directory',
  ])('recognises %j', text => expect(isKvmFailure(text)).toBe(true));

  test('other failures are not KVM failures', () => {
    expect(isKvmFailure('qemu-system-x86_64: -drive file=x: Could not open x: No such file or directory')).toBe(false);
  });
});
