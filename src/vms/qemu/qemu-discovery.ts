/**
 * What QEMU needs on this host: the `qemu-system-<arch>` binary (PATH, then Homebrew's and
 * Podman's prefixes), UEFI firmware (QEMU's firmware descriptors, then the paths distributions are
 * known to use), `qemu-img`, and the acceleration the host offers. Each missing piece is reported
 * with what to install for it.
 */

import { accessSync, constants } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { VmAcceleration, VmArchitecture } from '../../api/vms';
import { findExecutable } from '../../platform/executables';

/** Homebrew (Apple Silicon, Intel) and Podman's own QEMU on macOS. */
export const QEMU_PREFIXES = ['/opt/homebrew', '/usr/local', '/opt/podman/qemu'];

export const QEMU_ARCH: Record<VmArchitecture, string> = { amd64: 'x86_64', arm64: 'aarch64' };

/** Where QEMU's firmware descriptors are looked for, in QEMU's own order (user, system, packaged). */
export function descriptorDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = [join(env.XDG_CONFIG_HOME || join(env.HOME ?? '', '.config'), 'qemu', 'firmware')];
  dirs.push('/etc/qemu/firmware', '/usr/share/qemu/firmware');
  for (const prefix of QEMU_PREFIXES) dirs.push(join(prefix, 'share', 'qemu', 'firmware'));
  return dirs;
}

export interface Firmware {
  /** The read-only code image. */
  code: string;
  /** The variables template a VM gets a private copy of; undefined for a combined image. */
  varsTemplate?: string;
  /** Where it was found, for messages. */
  from: string;
}

interface Descriptor {
  'interface-types'?: unknown;
  mapping?: {
    device?: unknown;
    executable?: { filename?: unknown; format?: unknown };
    'nvram-template'?: { filename?: unknown; format?: unknown };
  };
  targets?: { architecture?: unknown; machines?: unknown }[];
  features?: unknown;
}

/** Whether a descriptor is plain UEFI flash firmware for `qemuArch` on `machine` (no Secure Boot). */
export function descriptorFirmware(value: unknown, qemuArch: string, machine: 'q35' | 'virt'): Firmware | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const descriptor = value as Descriptor;
  const interfaces = Array.isArray(descriptor['interface-types']) ? descriptor['interface-types'] : [];
  if (!interfaces.includes('uefi')) return undefined;
  const features = Array.isArray(descriptor.features) ? descriptor.features : [];
  if (features.includes('secure-boot') || features.includes('enrolled-keys') || features.includes('requires-smm')) {
    return undefined;
  }
  const mapping = descriptor.mapping;
  if (mapping?.device !== 'flash') return undefined;
  const code = mapping.executable?.filename;
  if (typeof code !== 'string' || (mapping.executable?.format ?? 'raw') !== 'raw') return undefined;
  const template = mapping['nvram-template']?.filename;
  const pattern = machine === 'q35' ? /^pc-q35-/ : /^virt-/;
  const fits = (descriptor.targets ?? []).some(
    target =>
      target.architecture === qemuArch &&
      Array.isArray(target.machines) &&
      target.machines.some(glob => typeof glob === 'string' && pattern.test(glob)),
  );
  if (!fits) return undefined;
  return { code, varsTemplate: typeof template === 'string' ? template : undefined, from: '' };
}

/** Paths distributions and Homebrew are known to use, for hosts without descriptors. */
export function knownFirmware(arch: VmArchitecture): { code: string; varsTemplate?: string }[] {
  if (arch === 'amd64') {
    return [
      ...QEMU_PREFIXES.map(prefix => ({
        code: join(prefix, 'share/qemu/edk2-x86_64-code.fd'),
        varsTemplate: join(prefix, 'share/qemu/edk2-i386-vars.fd'),
      })),
      { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
      { code: '/usr/share/OVMF/OVMF_CODE.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS.fd' },
      { code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', varsTemplate: '/usr/share/edk2/ovmf/OVMF_VARS.fd' },
      { code: '/usr/share/edk2/x64/OVMF_CODE.4m.fd', varsTemplate: '/usr/share/edk2/x64/OVMF_VARS.4m.fd' },
      { code: '/usr/share/qemu/ovmf-x86_64-code.bin', varsTemplate: '/usr/share/qemu/ovmf-x86_64-vars.bin' },
    ];
  }
  return [
    ...QEMU_PREFIXES.map(prefix => ({
      code: join(prefix, 'share/qemu/edk2-aarch64-code.fd'),
      varsTemplate: join(prefix, 'share/qemu/edk2-arm-vars.fd'),
    })),
    { code: '/usr/share/AAVMF/AAVMF_CODE.fd', varsTemplate: '/usr/share/AAVMF/AAVMF_VARS.fd' },
    {
      code: '/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw',
      varsTemplate: '/usr/share/edk2/aarch64/vars-template-pflash.raw',
    },
  ];
}

const readable = (path: string): boolean => {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

/** UEFI firmware for `arch`, from QEMU's descriptors first, then the known paths; undefined when none. */
export async function findFirmware(
  arch: VmArchitecture,
  dirs: string[] = descriptorDirs(),
  exists: (path: string) => boolean = readable,
): Promise<Firmware | undefined> {
  const machine = arch === 'amd64' ? 'q35' : 'virt';
  for (const dir of dirs) {
    const names = (await readdir(dir).catch(() => [] as string[])).filter(name => name.endsWith('.json')).sort();
    for (const name of names) {
      const value = await readFile(join(dir, name), 'utf8')
        .then(text => JSON.parse(text) as unknown)
        .catch(() => undefined);
      const firmware = descriptorFirmware(value, QEMU_ARCH[arch], machine);
      if (firmware && exists(firmware.code) && (!firmware.varsTemplate || exists(firmware.varsTemplate))) {
        return { ...firmware, from: join(dir, name) };
      }
    }
  }
  for (const known of knownFirmware(arch)) {
    if (exists(known.code) && (!known.varsTemplate || exists(known.varsTemplate)))
      return { ...known, from: known.code };
  }
  return undefined;
}

/** What to install for QEMU on this platform, said once per missing piece. */
export function installHint(
  piece: 'qemu' | 'firmware' | 'qemu-img',
  arch: VmArchitecture,
  platform = process.platform,
): string {
  if (platform === 'darwin') return 'install QEMU with Homebrew: brew install qemu';
  if (piece === 'firmware') {
    return arch === 'amd64'
      ? 'install UEFI firmware for x86_64 guests: apt install ovmf (Debian, Ubuntu), dnf install edk2-ovmf (Fedora)'
      : 'install UEFI firmware for arm64 guests: apt install qemu-efi-aarch64 (Debian, Ubuntu), dnf install edk2-aarch64 (Fedora)';
  }
  if (piece === 'qemu-img')
    return 'install qemu-img: apt install qemu-utils (Debian, Ubuntu), dnf install qemu-img (Fedora)';
  return arch === 'amd64'
    ? 'install QEMU: apt install qemu-system-x86 (Debian, Ubuntu), dnf install qemu-system-x86 (Fedora)'
    : 'install QEMU: apt install qemu-system-arm (Debian, Ubuntu), dnf install qemu-system-aarch64 (Fedora)';
}

export function findQemu(arch: VmArchitecture, path = process.env.PATH ?? ''): string | undefined {
  return findExecutable(
    `qemu-system-${QEMU_ARCH[arch]}`,
    path,
    QEMU_PREFIXES.map(prefix => join(prefix, 'bin')),
  );
}

export function findQemuImg(path = process.env.PATH ?? ''): string | undefined {
  return findExecutable(
    'qemu-img',
    path,
    QEMU_PREFIXES.map(prefix => join(prefix, 'bin')),
  );
}

export function hostArchitecture(arch = process.arch): VmArchitecture | undefined {
  if (arch === 'x64') return 'amd64';
  if (arch === 'arm64') return 'arm64';
  return undefined;
}

/**
 * The acceleration to ask for: KVM when /dev/kvm can be opened for reading and writing (Linux, a
 * guest of the host's architecture), HVF on macOS for a native guest, otherwise TCG (emulation).
 */
export function chooseAcceleration(
  guest: VmArchitecture,
  host: { platform: NodeJS.Platform; arch: VmArchitecture | undefined; kvmUsable: () => boolean },
): VmAcceleration {
  if (host.arch !== guest) return 'tcg';
  if (host.platform === 'linux' && host.kvmUsable()) return 'kvm';
  if (host.platform === 'darwin') return 'hvf';
  return 'tcg';
}

export function kvmUsable(device = '/dev/kvm'): boolean {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
