/**
 * Finding UEFI firmware: QEMU's descriptors first (plain UEFI flash for the guest's architecture
 * and machine; Secure Boot variants skipped), then known paths; acceleration per host and guest;
 * install hints that name the package.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import {
  chooseAcceleration,
  descriptorFirmware,
  findFirmware,
  installHint,
} from '../../../../src/vms/qemu/qemu-discovery';

const descriptor = (overrides: Record<string, unknown> = {}) => ({
  'interface-types': ['uefi'],
  mapping: {
    device: 'flash',
    executable: { filename: '/fw/CODE.fd', format: 'raw' },
    'nvram-template': { filename: '/fw/VARS.fd', format: 'raw' },
  },
  targets: [{ architecture: 'x86_64', machines: ['pc-i440fx-*', 'pc-q35-*'] }],
  features: ['acpi-s3'],
  ...overrides,
});

describe('descriptorFirmware', () => {
  test('plain UEFI flash for x86_64 q35 gives the code and the variables template', () => {
    expect(descriptorFirmware(descriptor(), 'x86_64', 'q35')).toMatchObject({
      code: '/fw/CODE.fd',
      varsTemplate: '/fw/VARS.fd',
    });
  });

  test('Secure Boot, enrolled keys, another architecture or machine, or not flash: skipped', () => {
    expect(descriptorFirmware(descriptor({ features: ['secure-boot'] }), 'x86_64', 'q35')).toBeUndefined();
    expect(descriptorFirmware(descriptor({ features: ['enrolled-keys'] }), 'x86_64', 'q35')).toBeUndefined();
    expect(descriptorFirmware(descriptor(), 'aarch64', 'virt')).toBeUndefined();
    expect(descriptorFirmware(descriptor({ mapping: { device: 'memory' } }), 'x86_64', 'q35')).toBeUndefined();
    expect(descriptorFirmware('not json', 'x86_64', 'q35')).toBeUndefined();
  });
});

describe('findFirmware', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('the first usable descriptor in name order wins; one whose files are missing is passed over', async () => {
    await writeFile(join(dir, '40-secure.json'), JSON.stringify(descriptor({ features: ['secure-boot'] })));
    await writeFile(
      join(dir, '50-missing.json'),
      JSON.stringify(descriptor({ mapping: { device: 'flash', executable: { filename: '/gone/CODE.fd' } } })),
    );
    await writeFile(join(dir, '60-plain.json'), JSON.stringify(descriptor()));
    await writeFile(join(dir, '70-broken.json'), '{');
    const exists = (path: string) => path.startsWith('/fw/');
    expect(await findFirmware('amd64', [join(dir, 'none'), dir], exists)).toEqual({
      code: '/fw/CODE.fd',
      varsTemplate: '/fw/VARS.fd',
      from: join(dir, '60-plain.json'),
    });
  });

  test('without descriptors the known paths are tried; nothing found is undefined', async () => {
    const debian = (path: string) => path.startsWith('/usr/share/OVMF/OVMF_') && path.includes('_4M');
    expect(await findFirmware('amd64', [dir], debian)).toMatchObject({ code: '/usr/share/OVMF/OVMF_CODE_4M.fd' });
    const brew = (path: string) => path.startsWith('/opt/homebrew/share/qemu/edk2-');
    expect(await findFirmware('arm64', [dir], brew)).toMatchObject({
      code: '/opt/homebrew/share/qemu/edk2-aarch64-code.fd',
    });
    expect(await findFirmware('arm64', [dir], () => false)).toBeUndefined();
  });
});

describe('chooseAcceleration', () => {
  const linux = (kvm: boolean) => ({ platform: 'linux' as const, arch: 'amd64' as const, kvmUsable: () => kvm });
  test('KVM for a native guest where /dev/kvm is usable, else TCG; HVF on macOS; TCG across architectures', () => {
    expect(chooseAcceleration('amd64', linux(true))).toBe('kvm');
    expect(chooseAcceleration('amd64', linux(false))).toBe('tcg');
    expect(chooseAcceleration('arm64', linux(true))).toBe('tcg');
    expect(chooseAcceleration('arm64', { platform: 'darwin', arch: 'arm64', kvmUsable: () => false })).toBe('hvf');
    expect(chooseAcceleration('amd64', { platform: 'darwin', arch: 'arm64', kvmUsable: () => false })).toBe('tcg');
  });
});

test('install hints name the package per platform', () => {
  expect(installHint('firmware', 'amd64', 'linux')).toMatch(/apt install ovmf/);
  expect(installHint('qemu', 'arm64', 'linux')).toMatch(/qemu-system-arm/);
  expect(installHint('qemu-img', 'amd64', 'linux')).toMatch(/qemu-utils/);
  expect(installHint('qemu', 'amd64', 'darwin')).toMatch(/brew install qemu/);
});
