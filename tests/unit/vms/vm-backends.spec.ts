/** The hypervisors a host offers besides QEMU: Hyper-V on Windows, none on Linux. */

import { describe, expect, test } from 'vitest';

import { hostBackends } from '../../../src/vms/vm-backends';

describe('hostBackends', () => {
  test('Windows offers Hyper-V (not Fusion), through powershell.exe from SystemRoot', () => {
    const backends = hostBackends('win32', { SystemRoot: 'D:\\Win', PATH: '' }, 'C:\\store');
    expect(Object.keys(backends)).toEqual(['hyperv']);
    const hyperv = backends.hyperv!;
    expect([hyperv.injectsKey, hyperv.consoleInput]).toEqual([false, false]);
    // No D:\Win here: the reason names the path it looked at.
    expect(hyperv.unavailable()).toMatch(
      /Windows PowerShell was not found at D:\\Win\\System32\\WindowsPowerShell\\v1\.0\\powershell\.exe/,
    );
  });

  test('Linux offers neither Hyper-V nor Fusion', () => {
    expect(hostBackends('linux', { SystemRoot: 'C:\\Windows', PATH: '' })).toEqual({});
  });
});
