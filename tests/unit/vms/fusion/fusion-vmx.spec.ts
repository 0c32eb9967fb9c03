/** The .vmx Fusion boots a built disk from: the keys it needs, refusals that name the field, reading values back. */

import { describe, expect, test } from 'vitest';

import { errorInfoOf } from '../../../../src/api/errors';
import type { VmxInput } from '../../../../src/vms/fusion/fusion-vmx';
import { readVmxValue, renderVmx } from '../../../../src/vms/fusion/fusion-vmx';

const ARM: VmxInput = {
  name: 'bootc-web 1',
  guestArch: 'arm64',
  hostArch: 'arm64',
  memoryMiB: 4096,
  cpus: 2,
  diskFile: '/Users/me/Library/Bootc Studio/vms/web/disk.vmdk',
  serialLogPath: '/Users/me/Library/Bootc Studio/vms/web/serial.log',
};

const fieldsOf = (input: VmxInput) => {
  try {
    renderVmx(input);
  } catch (error) {
    return errorInfoOf(error).fields;
  }
  return undefined;
};

describe('renderVmx', () => {
  test('an arm64 guest on Apple Silicon gets EFI, NVMe, NAT, PCIe bridges, a serial file and no blocking questions', () => {
    const vmx = renderVmx(ARM);
    const expected: Record<string, string> = {
      '.encoding': 'UTF-8',
      'config.version': '8',
      'virtualHW.version': '20',
      displayName: 'bootc-web 1',
      guestOS: 'arm-fedora-64',
      firmware: 'efi',
      numvcpus: '2',
      memsize: '4096',
      'nvme0.present': 'TRUE',
      'nvme0:0.present': 'TRUE',
      'nvme0:0.fileName': ARM.diskFile,
      'ethernet0.present': 'TRUE',
      'ethernet0.connectionType': 'nat',
      'ethernet0.addressType': 'generated',
      'ethernet0.virtualDev': 'e1000e',
      'pciBridge0.present': 'TRUE',
      'pciBridge4.virtualDev': 'pcieRootPort',
      'pciBridge7.functions': '8',
      'serial0.present': 'TRUE',
      'serial0.fileType': 'file',
      'serial0.fileName': ARM.serialLogPath,
      'msg.autoAnswer': 'TRUE',
      'uuid.action': 'create',
    };
    for (const [key, value] of Object.entries(expected)) expect(readVmxValue(vmx, key), key).toBe(value);
    // One `key = "value"` a line, nothing else.
    for (const line of vmx.trimEnd().split('\n')) expect(line).toMatch(/^[\w.:]+ = "[^"]*"$/);
    expect(vmx.endsWith('\n')).toBe(true);
  });

  test('an amd64 guest on an Intel Mac, a chosen NIC and guest OS', () => {
    const vmx = renderVmx({ ...ARM, guestArch: 'amd64', hostArch: 'x64', network: 'vmxnet3' });
    expect(readVmxValue(vmx, 'guestOS')).toBe('fedora-64');
    expect(readVmxValue(vmx, 'ethernet0.virtualDev')).toBe('vmxnet3');
    expect(readVmxValue(renderVmx({ ...ARM, guestOs: 'arm-rhel9-64' }), 'guestOS')).toBe('arm-rhel9-64');
  });

  test('an amd64 disk on Apple Silicon is refused, pointing at QEMU', () => {
    const fields = fieldsOf({ ...ARM, guestArch: 'amd64' });
    expect(Object.keys(fields ?? {})).toEqual(['guestArch']);
    expect(fields?.guestArch).toMatch(/only arm64 guests.*QEMU/);
    expect(() => renderVmx({ ...ARM, guestArch: 'amd64' })).toThrow(/^guestArch: /);
    expect(fieldsOf({ ...ARM, hostArch: 'x64' })?.guestArch).toMatch(/Intel Mac.*QEMU/);
  });

  test('memory and CPUs out of bounds are refused by field', () => {
    expect(fieldsOf({ ...ARM, memoryMiB: 128, cpus: 0 })).toEqual({
      memoryMiB: expect.stringMatching(/multiple of 4 MiB from 256/),
      cpus: expect.stringMatching(/whole number from 1 to 32/),
    });
    expect(Object.keys(fieldsOf({ ...ARM, memoryMiB: 4097 }) ?? {})).toEqual(['memoryMiB']);
    expect(Object.keys(fieldsOf({ ...ARM, memoryMiB: 1024 * 1024 }) ?? {})).toEqual(['memoryMiB']);
    expect(Object.keys(fieldsOf({ ...ARM, cpus: 2.5 }) ?? {})).toEqual(['cpus']);
  });

  test('a quote, a | or a newline in a name or path is refused, not written', () => {
    expect(fieldsOf({ ...ARM, name: 'evil"\nfirmware = "bios' })).toEqual({
      name: expect.stringMatching(/double quote/),
    });
    expect(fieldsOf({ ...ARM, diskFile: '/tmp/a\nb.vmdk' })).toEqual({ diskFile: expect.stringMatching(/newline/) });
    expect(fieldsOf({ ...ARM, serialLogPath: '/tmp/a|22.log' })).toEqual({
      serialLogPath: expect.stringMatching(/\|/),
    });
    expect(fieldsOf({ ...ARM, name: '' })).toEqual({ name: expect.stringMatching(/empty/) });
    expect(fieldsOf({ ...ARM, guestOs: 'x" y' })).toEqual({ guestOs: expect.stringMatching(/guestOS id/) });
  });

  test('names and paths with spaces and non-ASCII letters are kept as they are', () => {
    const vmx = renderVmx({ ...ARM, name: 'Zoë’s VM', diskFile: 'disk 1.vmdk' });
    expect(readVmxValue(vmx, 'displayName')).toBe('Zoë’s VM');
    expect(readVmxValue(vmx, 'nvme0:0.fileName')).toBe('disk 1.vmdk');
  });
});

describe('readVmxValue', () => {
  test('reads what Fusion wrote after power-on: any key case, unquoted values, |xx escapes, comments, CRLF', () => {
    const written = [
      '.encoding = "UTF-8"',
      '# a comment = "no"',
      'ethernet0.generatedAddress = "00:0c:29:AB:cd:ef"\r',
      'ethernet0.generatedAddressOffset = "0"',
      'displayName = "say |22hi|22"',
      'numvcpus = 4',
      'memsize = "1024"',
      'memsize = "2048"',
    ].join('\n');
    expect(readVmxValue(written, 'ethernet0.generatedaddress')).toBe('00:0c:29:AB:cd:ef');
    expect(readVmxValue(written, 'displayName')).toBe('say "hi"');
    expect(readVmxValue(written, 'numvcpus')).toBe('4');
    expect(readVmxValue(written, 'memsize')).toBe('2048');
    expect(readVmxValue(written, 'ethernet0.generatedAddressOffsetX')).toBeUndefined();
    expect(readVmxValue(written, 'a comment')).toBeUndefined();
  });
});
