/**
 * The QEMU command line of a VM, as an argv array: the machine and acceleration for the guest on
 * this host, UEFI flash (the firmware read-only, the VM's own copy of the variables), the VM's
 * overlay disk, its cloud-init seed when it has one (read-only), user networking with SSH forwarded
 * from a loopback port, an entropy source, the SSH key given at boot as an SMBIOS systemd
 * credential, the serial console on a UNIX socket with a log file, QMP on a UNIX socket, and no
 * display. It is started detached (it outlives whoever starts it).
 */

import type { VmAcceleration, VmArchitecture } from '../../api/vms';

export interface QemuLaunch {
  qemu: string;
  architecture: VmArchitecture;
  acceleration: VmAcceleration;
  memoryMiB: number;
  cpus: number;
  /** UEFI code and the VM's private variables file; undefined boots with the machine's BIOS (x86_64 only). */
  firmware?: { code: string; vars?: string };
  /** The VM's qcow2 overlay (or, for an installer's VM, its own disk). */
  disk: string;
  /**
   * An installer ISO to boot first, read-only, against `disk`; with it QEMU ends when the guest
   * reboots (`-no-reboot`), which is how the end of the install is seen.
   */
  installer?: string;
  /** A cloud-init NoCloud seed (`cidata`), attached read-only as a second virtio disk. */
  seed?: string;
  sshPort: number;
  /** OEM strings (SMBIOS type 11), e.g. the systemd credential carrying the SSH key. */
  oemStrings: string[];
  consoleSocket: string;
  consoleLog: string;
  qmpSocket: string;
  pidFile: string;
  /** A name for the process list (`-name`). */
  name: string;
}

/** QEMU's option syntax: a comma inside a value is written twice. */
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

function machineArgs(launch: QemuLaunch): string[] {
  const accel = launch.acceleration === 'tcg' ? 'tcg,thread=multi' : launch.acceleration;
  // With acceleration the host's CPU is passed through; emulated, QEMU's richest model (x86-64-v3
  // and more, which RHEL 10 based images need).
  const cpu = launch.acceleration === 'tcg' ? 'max' : 'host';
  const machine = launch.architecture === 'amd64' ? 'q35' : launch.acceleration === 'hvf' ? 'virt,highmem=on' : 'virt';
  return ['-machine', machine, '-accel', accel, '-cpu', cpu];
}

export function qemuArgv(launch: QemuLaunch): string[] {
  const argv = [launch.qemu, '-name', qemuOptionValue(launch.name), ...machineArgs(launch)];
  argv.push('-m', String(launch.memoryMiB), '-smp', String(launch.cpus));
  if (launch.firmware) {
    argv.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${qemuOptionValue(launch.firmware.code)}`);
    if (launch.firmware.vars) {
      argv.push('-drive', `if=pflash,format=raw,unit=1,file=${qemuOptionValue(launch.firmware.vars)}`);
    }
  }
  if (launch.installer) {
    // The CD first, the blank disk second, on controllers both amd64 (q35) and arm64 (virt) machines have.
    argv.push('-device', 'virtio-scsi-pci,id=scsi0');
    argv.push('-drive', `if=none,id=cd0,media=cdrom,readonly=on,file=${qemuOptionValue(launch.installer)}`);
    argv.push('-device', 'scsi-cd,drive=cd0,bus=scsi0.0,bootindex=0');
    argv.push('-drive', `if=none,id=disk0,format=qcow2,file=${qemuOptionValue(launch.disk)}`);
    argv.push('-device', 'virtio-blk-pci,drive=disk0,bootindex=1', '-no-reboot');
  } else {
    // Named first in the boot order: firmware variables an installer's run left (its CD entry) do
    // not send the firmware to its shell.
    argv.push('-drive', `if=none,id=disk0,format=qcow2,file=${qemuOptionValue(launch.disk)}`);
    argv.push('-device', 'virtio-blk-pci,drive=disk0,bootindex=0');
  }
  if (launch.seed) {
    // After the system disk (so the guest names it second), read-only, never booted from.
    argv.push('-drive', `if=none,id=seed0,format=raw,readonly=on,file=${qemuOptionValue(launch.seed)}`);
    argv.push('-device', 'virtio-blk-pci,drive=seed0');
  }
  argv.push(
    '-netdev',
    `user,id=net0,hostfwd=tcp:127.0.0.1:${launch.sshPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=net0',
  );
  argv.push('-object', 'rng-random,filename=/dev/urandom,id=rng0', '-device', 'virtio-rng-pci,rng=rng0');
  for (const value of launch.oemStrings) argv.push('-smbios', `type=11,value=${qemuOptionValue(value)}`);
  argv.push(
    '-chardev',
    `socket,id=serial0,path=${qemuOptionValue(launch.consoleSocket)},server=on,wait=off,logfile=${qemuOptionValue(launch.consoleLog)},logappend=on`,
    '-serial',
    'chardev:serial0',
  );
  argv.push('-qmp', qmpArgument(launch.qmpSocket));
  argv.push('-display', 'none', '-pidfile', launch.pidFile);
  return argv;
}

/** QEMU's words when KVM is there but cannot run this guest (nested or paravirtual KVM). */
export function isKvmFailure(output: string): boolean {
  return /KVM internal error|kvm_init_vcpu|failed to initialize kvm|kvm: .*(failed|error)|emulation failure|Could not access KVM/i.test(
    output,
  );
}

/** The value of QEMU's `-qmp` for a VM's QMP socket (also how a QEMU nobody recorded is found). */
export function qmpArgument(socket: string): string {
  return `unix:${qemuOptionValue(socket)},server=on,wait=off`;
}
