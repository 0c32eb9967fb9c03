/** Hyper-V's answers: the `get` action's JSON in our states, and PowerShell's failures as messages that say what to do. */

import { describe, expect, test } from 'vitest';

import { hypervErrorOf, hypervStateOf, parseGetVmJson } from '../../../../src/vms/hyperv/hyperv-parse';

describe('hypervStateOf', () => {
  test('words and numbers', () => {
    expect(['Running', 2, 'RunningCritical'].map(hypervStateOf)).toEqual(['running', 'running', 'running']);
    expect(['Off', 3, 'Saved', 6, 'OffCritical'].map(hypervStateOf)).toEqual(Array(5).fill('stopped'));
    expect(['Starting', 10, 'Resuming', 32777].map(hypervStateOf)).toEqual(Array(4).fill('starting'));
    expect(['Stopping', 4, 'Saving', 32773, 'Pausing'].map(hypervStateOf)).toEqual(Array(5).fill('stopping'));
    expect(['Paused', 9, 'Other', 1, 12345, null, ''].map(hypervStateOf)).toEqual(Array(7).fill('unknown'));
  });
});

describe('parseGetVmJson', () => {
  const row = {
    Name: 'bootc web',
    Id: '6f1c2b9e-0000-4000-8000-000000000001',
    State: 'Running',
    Generation: 1,
    ProcessorCount: 2,
    MemoryStartup: 4294967296,
    UptimeSeconds: 93,
    IPAddresses: ['172.20.1.5', 'fe80::1'],
  };

  test('an array of VMs', () => {
    expect(parseGetVmJson(JSON.stringify([row, { ...row, Name: 'other', State: 3, IPAddresses: [] }]))).toEqual([
      {
        name: 'bootc web',
        id: row.Id,
        state: 'running',
        hypervState: 'Running',
        generation: 1,
        cpus: 2,
        memoryMiB: 4096,
        uptimeSeconds: 93,
        ipAddresses: ['172.20.1.5', 'fe80::1'],
      },
      expect.objectContaining({ name: 'other', state: 'stopped', hypervState: 'Off', ipAddresses: [] }),
    ]);
  });

  test('Windows PowerShell 5.1’s shapes: one object alone, {value, Count} arrays, a BOM, null, nothing', () => {
    expect(parseGetVmJson(JSON.stringify({ ...row, IPAddresses: '172.20.1.5' }))[0].ipAddresses).toEqual([
      '172.20.1.5',
    ]);
    const wrapped = { value: [{ ...row, IPAddresses: { value: ['10.0.0.9'], Count: 1 } }], Count: 1 };
    expect(parseGetVmJson(`\uFEFF${JSON.stringify(wrapped)}\r\n`)[0]).toMatchObject({
      name: 'bootc web',
      ipAddresses: ['10.0.0.9'],
    });
    expect(parseGetVmJson(JSON.stringify({ ...row, IPAddresses: null }))[0].ipAddresses).toEqual([]);
    expect(parseGetVmJson('[]')).toEqual([]);
    expect(parseGetVmJson('')).toEqual([]);
  });

  test('not JSON, or a VM without a name, is an error', () => {
    expect(() => parseGetVmJson('Get-VM : something')).toThrow(/not JSON/);
    expect(() => parseGetVmJson('[{"State":"Off"}]')).toThrow(/without a name/);
  });
});

describe('hypervErrorOf', () => {
  const fail = (stderr: string, code = 1) => hypervErrorOf({ code, stderr }, 'start the VM web');

  test('success is no error', () => {
    expect(hypervErrorOf({ code: 0, stdout: '' }, 'x')).toBeUndefined();
  });

  test('Hyper-V not enabled: the module missing, the cmdlet not recognised, the platform off', () => {
    for (const error of [
      fail('bootc-studio-error: hyperv-missing\nThe term Get-VM is not recognized: …', 3),
      fail(
        "Start-VM : The term 'Start-VM' is not recognized as the name of a cmdlet, function, script file, or operable program.",
      ),
      fail("Import-Module : The specified module 'Hyper-V' was not loaded because no valid module file was found"),
      fail(
        "Get-VM : The Hyper-V Management Tools could not access an expected WMI class on computer 'PC'. This may indicate that the Hyper-V Platform is not enabled",
      ),
    ]) {
      expect(error?.kind).toBe('not-enabled');
      expect(error?.message).toMatch(/Hyper-V is not enabled.*Enable-WindowsOptionalFeature.*Microsoft-Hyper-V/);
    }
  });

  test('no rights: not a Hyper-V Administrator, access denied', () => {
    for (const error of [
      fail(
        "bootc-studio-error: PermissionDenied AccessDenied,Microsoft.HyperV.PowerShell.Commands.StartVM\nYou do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer 'PC'.",
      ),
      fail(
        'bootc-studio-error: NotSpecified Unspecified,Microsoft.HyperV.PowerShell.Commands.NewVM\nAccess is denied.',
      ),
    ]) {
      expect(error?.kind).toBe('no-rights');
      expect(error?.message).toMatch(/"Hyper-V Administrators" group/);
    }
  });

  test('a blocked script is the execution policy, not the rights', () => {
    const error = fail(
      'File C:\\x\\bootc-studio-hyperv.ps1 cannot be loaded because running scripts is disabled on this system. For more information, see about_Execution_Policies.\n    + FullyQualifiedErrorId : UnauthorizedAccess',
    );
    expect(error?.kind).toBe('execution-policy');
  });

  test('no such VM, a taken name, anything else with PowerShell’s words', () => {
    expect(fail('bootc-studio-error: not-found\nNo Hyper-V virtual machine is named web', 5)).toMatchObject({
      kind: 'not-found',
      message: 'could not start the VM web: No Hyper-V virtual machine is named web',
    });
    expect(fail('bootc-studio-error: exists\nA Hyper-V virtual machine is already named web', 7)?.kind).toBe('exists');
    const other = fail('bootc-studio-error: InvalidOperation OperationFailed\nThe file is in use.');
    expect(other).toMatchObject({ kind: 'failed', message: 'could not start the VM web: The file is in use.' });
    expect(other?.detail).toContain('InvalidOperation');
    expect(hypervErrorOf({ code: 2 }, 'x')?.message).toBe('could not x: powershell.exe exited with 2');
  });
});
