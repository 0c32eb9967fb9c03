/**
 * Hyper-V's argv: Windows PowerShell running the fixed script with `-File`, every user value a
 * separate base64 argv entry — never PowerShell source, whatever the value.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

import {
  convertVhdArgv,
  encodeHypervValue,
  getVmArgv,
  newVmArgv,
  qemuImgToVhdxArgv,
  removeVmArgv,
  setComPortArgv,
  setProcessorArgv,
  startVmArgv,
  stopVmArgv,
  windowsPowerShell,
  writeHypervScript,
} from '../../../../src/vms/hyperv/hyperv-commands';
import { HYPERV_SCRIPT } from '../../../../src/vms/hyperv/hyperv-script';
import { fieldsOf } from '../../support/field-errors';

const SCRIPT = 'C:\\Users\\me\\AppData\\Local\\bootc-studio\\bootc-studio-hyperv.ps1';
const PS = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const REF = { scriptPath: SCRIPT, powershell: PS };
const PREFIX = [PS, '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', SCRIPT, '-Action'];
const EVIL = "x'; Remove-Item C:\\ -Recurse #";
const VHD = 'C:\\Users\\me\\vms\\web\\disk.vhd';

const b64 = encodeHypervValue;
const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

describe('the argv of each action', () => {
  test('every action runs the script file with -File, never -Command', () => {
    const all = [
      newVmArgv(REF, { name: 'web', generation: 1, memoryMiB: 4096, vhdPath: VHD, switchName: 'Default Switch' }),
      setProcessorArgv(REF, 'web', 2),
      setComPortArgv(REF, 'web', 'bootc-web'),
      startVmArgv(REF, 'web'),
      stopVmArgv(REF, 'web', 'shutdown'),
      removeVmArgv(REF, 'web'),
      getVmArgv(REF, 'web'),
      getVmArgv(REF),
      convertVhdArgv(REF, VHD, 'C:\\vms\\web\\disk.vhdx'),
    ];
    for (const argv of all) {
      expect(argv.slice(0, PREFIX.length)).toEqual(PREFIX);
      expect(argv.some(arg => /^-(?:Command|c|EncodedCommand|e|ec)$/i.test(arg))).toBe(false);
    }
  });

  test('New-VM: values in base64, numbers plain', () => {
    expect(
      newVmArgv(REF, {
        name: 'web',
        generation: 1,
        memoryMiB: 4096,
        vhdPath: VHD,
        switchName: 'Default Switch',
        vmFolder: 'C:\\vms\\web',
      }),
    ).toEqual([
      ...PREFIX,
      'new',
      '-Name',
      b64('web'),
      '-VhdPath',
      b64(VHD),
      '-SwitchName',
      b64('Default Switch'),
      '-VmFolder',
      b64('C:\\vms\\web'),
      '-Generation',
      '1',
      '-MemoryMiB',
      '4096',
    ]);
  });

  test('the others', () => {
    expect(setProcessorArgv(REF, 'web', 4)).toEqual([...PREFIX, 'processor', '-Name', b64('web'), '-Count', '4']);
    expect(setComPortArgv(REF, 'web', 'bootc-web')).toEqual([
      ...PREFIX,
      'comport',
      '-Name',
      b64('web'),
      '-PipeName',
      b64('bootc-web'),
    ]);
    expect(startVmArgv(REF, 'web')).toEqual([...PREFIX, 'start', '-Name', b64('web')]);
    expect(stopVmArgv(REF, 'web', 'turnoff')).toEqual([...PREFIX, 'stop', '-Name', b64('web'), '-Mode', 'turnoff']);
    expect(removeVmArgv(REF, 'web')).toEqual([...PREFIX, 'remove', '-Name', b64('web')]);
    expect(getVmArgv(REF)).toEqual([...PREFIX, 'get']);
    expect(qemuImgToVhdxArgv('C:\\qemu\\qemu-img.exe', VHD, 'C:\\vms\\disk.vhdx')).toEqual([
      'C:\\qemu\\qemu-img.exe',
      'convert',
      '-p',
      '-f',
      'vpc',
      '-O',
      'vhdx',
      '-o',
      'subformat=dynamic',
      VHD,
      'C:\\vms\\disk.vhdx',
    ]);
    expect(
      qemuImgToVhdxArgv('C:\\qemu\\qemu-img.exe', 'C:\\builds\\qcow2\\disk.qcow2', 'C:\\vms\\disk.vhdx', 'qcow2'),
    ).toEqual(expect.arrayContaining(['-f', 'qcow2']));
    expect(() => qemuImgToVhdxArgv('C:\\qemu\\qemu-img.exe', 'C:\\builds\\disk.qcow2', 'C:\\vms\\disk.vhdx')).toThrow(
      /\.vhd file/,
    );
  });

  test('powershell.exe by its full path from SystemRoot', () => {
    expect(windowsPowerShell({ SystemRoot: 'D:\\Win' })).toBe(
      'D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    );
    expect(windowsPowerShell({})).toBe(PS);
    expect(startVmArgv({ scriptPath: SCRIPT }, 'web')[0]).toMatch(/WindowsPowerShell\\v1\.0\\powershell\.exe$/);
  });
});

describe('user values are never PowerShell source', () => {
  const evilArgvs = () => [
    newVmArgv(REF, {
      name: EVIL,
      generation: 2,
      memoryMiB: 2048,
      vhdPath: `C:\\vms\\${EVIL}.vhdx`,
      switchName: `$(${EVIL})`,
      vmFolder: 'C:\\vms\\"; calc; "',
    }),
    setProcessorArgv(REF, EVIL, 2),
    setComPortArgv(REF, EVIL, 'pipe'),
    startVmArgv(REF, EVIL),
    stopVmArgv(REF, EVIL, 'shutdown'),
    removeVmArgv(REF, EVIL),
    getVmArgv(REF, EVIL),
    getVmArgv(REF, `-${EVIL}`),
    convertVhdArgv(REF, `C:\\${EVIL}.vhd`, `C:\\${EVIL}.vhdx`),
  ];

  test('a hostile name reaches the script only as base64, which has no quote, space, $ or leading dash', () => {
    for (const argv of evilArgvs()) {
      const values = argv.slice(PREFIX.length + 1);
      for (const arg of argv) {
        expect(arg).not.toContain('Remove-Item');
        expect(arg).not.toContain('calc');
      }
      // Parameter names and values alternate; each value is a number, a fixed word or base64.
      for (let i = 0; i < values.length; i += 2) {
        expect(values[i]).toMatch(/^-[A-Z][A-Za-z]+$/);
        expect(values[i + 1]).toMatch(/^(?:\d+|shutdown|turnoff|[A-Za-z0-9+/]+={0,2})$/);
        expect(values[i + 1].startsWith('-')).toBe(false);
      }
    }
    const start = startVmArgv(REF, EVIL);
    expect(decode(start[start.indexOf('-Name') + 1])).toBe(EVIL);
  });

  test('the script text is one constant: no value is ever spliced into it', () => {
    expect(HYPERV_SCRIPT).not.toContain('Remove-Item');
    // The argv names the script file; its text is never on the command line.
    for (const argv of evilArgvs()) expect(argv.join('\n')).not.toContain('param(');
    // Values are decoded into variables, and VMs found by exact name, not by -Name (wildcards).
    expect(HYPERV_SCRIPT).toMatch(/FromBase64String/);
    expect(HYPERV_SCRIPT).not.toMatch(/-VM(?:Name)? \$VmName|Get-VM -Name|Invoke-Expression|\biex\b/);
    // Windows PowerShell reads a BOM-less script in the ANSI code page: keep it ASCII.
    expect([...HYPERV_SCRIPT].every(char => char === '\n' || (char >= ' ' && char <= '~'))).toBe(true);
  });

  test('the script is written as is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bootc-hyperv-'));
    try {
      const path = await writeHypervScript(dir);
      expect(path).toBe(join(dir, 'bootc-studio-hyperv.ps1'));
      expect(await readFile(path, 'utf8')).toBe(HYPERV_SCRIPT);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('refusals name the field', () => {
  test('New-VM', () => {
    expect(
      fieldsOf(() =>
        newVmArgv(REF, { name: 'a\nb', generation: 2, memoryMiB: 4095, vhdPath: VHD, vmFolder: 'relative\\dir' }),
      ),
    ).toEqual({
      name: expect.stringMatching(/control character/),
      memoryMiB: expect.stringMatching(/multiple of 2 MiB/),
      vhdPath: expect.stringMatching(/\.vhdx file/),
      vmFolder: expect.stringMatching(/absolute Windows path/),
    });
    expect(fieldsOf(() => newVmArgv(REF, { name: 'web', generation: 3 as 1, memoryMiB: 4096, vhdPath: VHD }))).toEqual({
      generation: expect.stringMatching(/1 \(a \.vhd disk\) or 2/),
    });
    expect(
      fieldsOf(() => newVmArgv(REF, { name: 'x'.repeat(101), generation: 1, memoryMiB: 4096, vhdPath: VHD })),
    ).toEqual({ name: expect.stringMatching(/at most 100/) });
  });

  test('CPUs, pipe names, paths, the script', () => {
    expect(fieldsOf(() => setProcessorArgv(REF, 'web', 65, 1))).toEqual({ cpus: expect.stringMatching(/1 to 64/) });
    expect(fieldsOf(() => setProcessorArgv(REF, 'web', 240, 2))).toBeUndefined();
    expect(fieldsOf(() => setComPortArgv(REF, 'web', '..\\evil'))).toEqual({ pipeName: expect.any(String) });
    expect(fieldsOf(() => convertVhdArgv(REF, '\\no-drive.vhd', 'C:\\x.vhd'))).toEqual({
      source: expect.stringMatching(/absolute/),
      destination: expect.stringMatching(/\.vhdx file/),
    });
    expect(fieldsOf(() => startVmArgv({ scriptPath: 'script.ps1' }, 'web'))).toEqual({
      scriptPath: expect.stringMatching(/absolute/),
    });
    expect(fieldsOf(() => startVmArgv(REF, ' '))).toEqual({ name: expect.stringMatching(/empty/) });
  });
});
