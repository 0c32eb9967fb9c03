/**
 * Hyper-V as a VM back end, on a stand-in PowerShell that keeps Hyper-V's VMs in memory and answers
 * as the fixed script would (JSON from `get`, HYPERV_EXIT codes with `bootc-studio-error:` lines),
 * and stand-in files (the paths are Windows ones): the disk converted by its type into the VM's
 * folder, once; new, processor, comport, start in that order; the guest's first usable IPv4 address;
 * Hyper-V's own messages when it is off or not allowed; stop asking the guest, then turning it off.
 */

import { win32 } from 'node:path';

import { describe, expect, test } from 'vitest';

import type { ProcessOptions, ProcessResult } from '../../../../src/platform/process';
import {
  hypervBackend,
  type HypervFiles,
  type HypervHost,
  hypervNameOf,
  removeHypervVm,
} from '../../../../src/vms/hyperv/hyperv-backend';
import { HYPERV_MESSAGES } from '../../../../src/vms/hyperv/hyperv-parse';
import { HYPERV_EXIT, HYPERV_SCRIPT_NAME } from '../../../../src/vms/hyperv/hyperv-script';
import type { StoredVm, VmPaths } from '../../../../src/vms/vm-store';

const PS = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const QEMU_IMG = 'C:\\Program Files\\qemu\\qemu-img.exe';
const STORE = 'C:\\store';
const ID = 'a1b2c3d4e5f6';
const NAME = `bootc-studio-${ID}`;
const DIR = `C:\\store\\vms\\${ID}`;
const VHDX = `${DIR}\\disk.vhdx`;
const BUILT_VHD = 'C:\\builds\\b1\\vpc\\disk.vhd';
const BUILT_QCOW2 = 'C:\\builds\\b2\\qcow2\\disk.qcow2';

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** The script's action and its decoded values (`-Mode` and numbers as they are). */
function scriptCall(argv: readonly string[]) {
  const at = (flag: string) => {
    const index = argv.indexOf(flag);
    return index < 0 ? undefined : argv[index + 1];
  };
  const text = (flag: string) => {
    const value = at(flag);
    return value === undefined ? undefined : decode(value);
  };
  return {
    action: at('-Action'),
    name: text('-Name'),
    vhdPath: text('-VhdPath'),
    destination: text('-Destination'),
    switchName: text('-SwitchName'),
    vmFolder: text('-VmFolder'),
    pipeName: text('-PipeName'),
    generation: at('-Generation'),
    memoryMiB: at('-MemoryMiB'),
    count: at('-Count'),
    mode: at('-Mode'),
  };
}

interface FakeVm {
  State: string;
  IPAddresses: string[];
}

/** Hyper-V behind the stand-in powershell.exe (and qemu-img), with the files it sees. */
class FakeHyperv {
  readonly calls: string[][] = [];
  readonly vms = new Map<string, FakeVm>();
  readonly files = new Set<string>([PS, BUILT_VHD, BUILT_QCOW2]);
  /** What each `get` after Start-VM reports as the guest's addresses, one entry per `get` (the last repeats). */
  addresses: string[][] = [[]];
  /** Every script run fails this way (Hyper-V off, no rights). */
  failure?: { code: number; stderr: string };
  /** What the guest does with Stop-VM's shutdown: power off, ignore it, or fail (no shutdown service). */
  shutdown: 'works' | 'ignored' | 'fails' = 'works';
  #gets = 0;

  readonly run = async (argv: readonly string[], _options: ProcessOptions): Promise<ProcessResult> => {
    this.calls.push([...argv]);
    if (argv[0] === QEMU_IMG) {
      if (argv[1] === 'info') return { code: 0, stdout: JSON.stringify({ format: 'qcow2' }) };
      this.files.add(argv[argv.length - 1]);
      return { code: 0, stdout: '' };
    }
    expect(argv[0]).toBe(PS);
    if (this.failure) return { ...this.failure, stdout: '' };
    const call = scriptCall(argv);
    const vm = call.name === undefined ? undefined : this.vms.get(call.name);
    const notFound = {
      code: HYPERV_EXIT.notFound,
      stderr: `bootc-studio-error: not-found\nNo Hyper-V virtual machine is named ${call.name}`,
    };
    switch (call.action) {
      case 'convert':
        this.files.add(call.destination!);
        return { code: 0 };
      case 'new':
        if (vm)
          return {
            code: HYPERV_EXIT.exists,
            stderr: 'bootc-studio-error: exists\nA Hyper-V virtual machine is already named',
          };
        this.vms.set(call.name!, { State: 'Off', IPAddresses: [] });
        return { code: 0, stdout: '[]' };
      case 'processor':
      case 'comport':
        return vm ? { code: 0 } : notFound;
      case 'start':
        if (!vm) return notFound;
        vm.State = 'Running';
        this.#gets = 0;
        return { code: 0 };
      case 'get': {
        if (!vm) return { code: 0, stdout: '[]' };
        if (vm.State === 'Running') vm.IPAddresses = this.addresses[Math.min(this.#gets++, this.addresses.length - 1)];
        return { code: 0, stdout: JSON.stringify([{ Name: call.name, State: vm.State, IPAddresses: vm.IPAddresses }]) };
      }
      case 'stop':
        if (!vm) return notFound;
        if (call.mode === 'turnoff' || this.shutdown === 'works') vm.State = 'Off';
        if (call.mode === 'shutdown' && this.shutdown === 'fails') {
          return {
            code: HYPERV_EXIT.failed,
            stderr: 'bootc-studio-error: NotSpecified InvalidOperation\nThe virtual machine could not be shut down.',
          };
        }
        return { code: 0 };
      case 'remove':
        if (!vm) return notFound;
        this.vms.delete(call.name!);
        return { code: 0 };
    }
    throw new Error(`unexpected call ${argv.join(' ')}`);
  };

  readonly fileHooks: HypervFiles = {
    exists: path => this.files.has(path),
    writeScript: async dir => {
      const path = win32.join(dir, HYPERV_SCRIPT_NAME);
      this.files.add(path);
      return path;
    },
    rename: async (from, to) => {
      expect(this.files.delete(from)).toBe(true);
      this.files.add(to);
    },
    remove: async path => {
      this.files.delete(path);
    },
  };

  /** The script actions run so far (stop with its mode). */
  actions(): string[] {
    return this.calls
      .filter(argv => argv[0] === PS)
      .map(argv => {
        const call = scriptCall(argv);
        return call.mode ? `${call.action} ${call.mode}` : call.action!;
      });
  }

  host(extra: Partial<HypervHost> = {}): HypervHost {
    return {
      powershell: PS,
      scriptDir: STORE,
      run: this.run,
      files: this.fileHooks,
      addressTimeoutMs: 200,
      pollMs: 1,
      ...extra,
    };
  }
}

function storedVm(diskPath: string): StoredVm {
  return {
    id: ID,
    name: 'web',
    source: { kind: 'disk', diskPath },
    hypervisor: 'hyperv',
    architecture: 'amd64',
    memoryMiB: 4096,
    cpus: 3,
    sshUser: 'root',
    state: 'stopped',
    created: 0,
    warnings: [],
  };
}

const PATHS = { dir: DIR } as VmPaths;

function launchOptions() {
  const steps: string[] = [];
  const lines: string[] = [];
  return {
    steps,
    lines,
    options: { step: (name: string) => steps.push(name), log: (line: string) => lines.push(line) },
  };
}

const stopOptions = { log: () => undefined, powerdownTimeoutMs: 50 };

describe('launch', () => {
  test('a .vhd disk: Convert-VHD into the VM folder, then new, processor, comport, start, and the first usable IPv4', async () => {
    const hyperv = new FakeHyperv();
    hyperv.addresses = [[], ['fe80::215:5dff:fe00:1', '169.254.10.2'], ['fe80::1', '172.20.1.5', '172.20.1.6']];
    const { steps, options } = launchOptions();
    const launched = await hypervBackend(hyperv.host()).launch(storedVm(BUILT_VHD), PATHS, options);

    expect(launched).toMatchObject({ runtime: { hypervName: NAME }, sshHost: '172.20.1.5', sshPort: 22 });
    expect(launched.warnings.join(' ')).toMatch(/cannot give the VM its own key.*key or password built into the image/);
    expect(steps).toEqual(['Preparing the disk', 'Booting']);
    expect(hyperv.actions()).toEqual(['convert', 'get', 'new', 'processor', 'comport', 'start', 'get', 'get', 'get']);

    const calls = hyperv.calls.map(scriptCall);
    const convert = calls.find(call => call.action === 'convert')!;
    expect(convert.vhdPath).toBe(BUILT_VHD);
    expect(convert.destination?.startsWith(`${DIR}\\`)).toBe(true);
    const created = calls.find(call => call.action === 'new')!;
    expect(created).toMatchObject({
      name: NAME,
      vhdPath: VHDX,
      generation: '2',
      memoryMiB: '4096',
      switchName: 'Default Switch',
      vmFolder: DIR,
    });
    expect(calls.find(call => call.action === 'processor')).toMatchObject({ name: NAME, count: '3' });
    expect(calls.find(call => call.action === 'comport')).toMatchObject({ name: NAME, pipeName: NAME });
    expect(hyperv.files.has(VHDX)).toBe(true);
    expect([...hyperv.files].filter(path => path.includes('partial'))).toEqual([]);
  });

  test('the built disk is never the disk Hyper-V is given', async () => {
    for (const source of [BUILT_VHD, BUILT_QCOW2]) {
      const hyperv = new FakeHyperv();
      hyperv.addresses = [['10.0.0.4']];
      await hypervBackend(hyperv.host({ qemuImg: QEMU_IMG })).launch(storedVm(source), PATHS, launchOptions().options);
      const given = hyperv.calls.map(scriptCall).filter(call => call.action === 'new' || call.action === 'convert');
      expect(given.map(call => (call.action === 'new' ? call.vhdPath : call.destination))).not.toContain(source);
      expect(given.find(call => call.action === 'new')?.vhdPath).toBe(VHDX);
    }
  });

  test('a later start: no conversion, no new VM, only Start-VM', async () => {
    const hyperv = new FakeHyperv();
    hyperv.addresses = [['10.0.0.4']];
    const backend = hypervBackend(hyperv.host());
    await backend.launch(storedVm(BUILT_VHD), PATHS, launchOptions().options);
    await backend.stop({ hypervName: NAME }, stopOptions);
    hyperv.calls.length = 0;

    const again = await backend.launch(storedVm(BUILT_VHD), PATHS, launchOptions().options);
    expect(again.sshHost).toBe('10.0.0.4');
    expect(hyperv.actions()).toEqual(['get', 'start', 'get']);
  });

  test('a qcow2 disk: qemu-img reads its format and converts it to a VHDX', async () => {
    const hyperv = new FakeHyperv();
    hyperv.addresses = [['10.0.0.4']];
    await hypervBackend(hyperv.host({ qemuImg: QEMU_IMG })).launch(
      storedVm(BUILT_QCOW2),
      PATHS,
      launchOptions().options,
    );
    const qemu = hyperv.calls.filter(argv => argv[0] === QEMU_IMG);
    expect(qemu[0]).toEqual([QEMU_IMG, 'info', '--output=json', BUILT_QCOW2]);
    expect(qemu[1].slice(0, 9)).toEqual([
      QEMU_IMG,
      'convert',
      '-p',
      '-f',
      'qcow2',
      '-O',
      'vhdx',
      '-o',
      'subformat=dynamic',
    ]);
    expect(qemu[1][9]).toBe(BUILT_QCOW2);
    expect(hyperv.actions()).not.toContain('convert');
    expect(hyperv.files.has(VHDX)).toBe(true);
  });

  test('a qcow2 disk without qemu-img: build a vhd disk or install qemu-img', async () => {
    const hyperv = new FakeHyperv();
    await expect(
      hypervBackend(hyperv.host()).launch(storedVm(BUILT_QCOW2), PATHS, launchOptions().options),
    ).rejects.toThrow(/"vhd" disk, or install qemu-img/);
    expect(hyperv.actions()).not.toContain('new');
  });

  test('no address in time: the guest services (KVP) are named, and the VM is turned off', async () => {
    const hyperv = new FakeHyperv();
    hyperv.addresses = [['fe80::1', '169.254.7.7']];
    await expect(
      hypervBackend(hyperv.host({ addressTimeoutMs: 30 })).launch(storedVm(BUILT_VHD), PATHS, launchOptions().options),
    ).rejects.toThrow(/hyperv-daemons.*KVP/);
    const actions = hyperv.actions();
    expect(actions.filter(action => action === 'get').length).toBeGreaterThan(2);
    expect(actions.at(-1)).toBe('stop turnoff');
    expect(hyperv.vms.get(NAME)?.State).toBe('Off');
  });

  test('a start stopped by its signal ends without waiting for the address timeout', async () => {
    const hyperv = new FakeHyperv();
    const controller = new AbortController();
    const { options } = launchOptions();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(
      hypervBackend(hyperv.host({ addressTimeoutMs: 60_000, pollMs: 5 })).launch(storedVm(BUILT_VHD), PATHS, {
        ...options,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/stopped/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("Hyper-V's own failures reach the user in its words", () => {
  test('Hyper-V not enabled', async () => {
    const hyperv = new FakeHyperv();
    hyperv.failure = {
      code: HYPERV_EXIT.moduleMissing,
      stderr:
        'bootc-studio-error: hyperv-missing\nThe term Get-VM is not recognized: the Hyper-V PowerShell module is not installed.',
    };
    const backend = hypervBackend(hyperv.host());
    await expect(backend.launch(storedVm(BUILT_VHD), PATHS, launchOptions().options)).rejects.toThrow(
      HYPERV_MESSAGES.notEnabled,
    );
    await expect(backend.running({ hypervName: NAME })).rejects.toThrow(HYPERV_MESSAGES.notEnabled);
  });

  test('no rights to manage Hyper-V', async () => {
    const hyperv = new FakeHyperv();
    hyperv.failure = {
      code: HYPERV_EXIT.failed,
      stderr:
        'bootc-studio-error: PermissionDenied Microsoft.HyperV.PowerShell.Commands.GetVM\nYou do not have the required permission to complete this task.',
    };
    const backend = hypervBackend(hyperv.host());
    await expect(backend.launch(storedVm(BUILT_VHD), PATHS, launchOptions().options)).rejects.toThrow(
      HYPERV_MESSAGES.noRights,
    );
    await expect(backend.stop({ hypervName: NAME }, stopOptions)).rejects.toThrow(HYPERV_MESSAGES.noRights);
  });
});

describe('running and stop', () => {
  test("running(): Hyper-V's states in ours", async () => {
    const hyperv = new FakeHyperv();
    const backend = hypervBackend(hyperv.host());
    const answers: Record<string, boolean> = {};
    for (const state of ['Running', 'Starting', 'Off', 'Saved', 'Stopping', 'Paused']) {
      hyperv.vms.set(NAME, { State: state, IPAddresses: [] });
      answers[state] = await backend.running({ hypervName: NAME });
    }
    expect(answers).toEqual({
      Running: true,
      Starting: true,
      Off: false,
      Saved: false,
      Stopping: false,
      Paused: false,
    });
    hyperv.vms.clear();
    expect(await backend.running({ hypervName: NAME })).toBe(false);
    hyperv.calls.length = 0;
    expect(await backend.running({ vmx: 'C:\\other.vmx' })).toBe(false);
    expect(hyperv.calls).toEqual([]);
  });

  test('a guest that shuts down: Stop-VM once, no turning off', async () => {
    const hyperv = new FakeHyperv();
    hyperv.vms.set(NAME, { State: 'Running', IPAddresses: [] });
    const how = await hypervBackend(hyperv.host()).stop({ hypervName: NAME }, stopOptions);
    expect(how).toMatch(/guest shut down/);
    expect(hyperv.actions()).toEqual(['get', 'stop shutdown', 'get']);
  });

  test('a guest that does not go off in time is turned off', async () => {
    const hyperv = new FakeHyperv();
    hyperv.shutdown = 'ignored';
    hyperv.vms.set(NAME, { State: 'Running', IPAddresses: [] });
    const how = await hypervBackend(hyperv.host()).stop({ hypervName: NAME }, stopOptions);
    expect(how).toMatch(/turned the VM off/);
    const actions = hyperv.actions();
    expect(actions.slice(0, 2)).toEqual(['get', 'stop shutdown']);
    expect(actions.at(-1)).toBe('stop turnoff');
    expect(actions.filter(action => action === 'stop turnoff')).toHaveLength(1);
    expect(hyperv.vms.get(NAME)?.State).toBe('Off');
  });

  test('a guest without the shutdown service is turned off at once', async () => {
    const hyperv = new FakeHyperv();
    hyperv.shutdown = 'fails';
    hyperv.vms.set(NAME, { State: 'Running', IPAddresses: [] });
    const lines: string[] = [];
    const how = await hypervBackend(hyperv.host()).stop(
      { hypervName: NAME },
      { ...stopOptions, log: line => lines.push(line) },
    );
    expect(how).toMatch(/turned the VM off/);
    expect(hyperv.actions()).toEqual(['get', 'stop shutdown', 'stop turnoff']);
    expect(lines.join('\n')).toMatch(/could not be shut down/);
  });

  test('a VM that is off or gone is not stopped', async () => {
    const hyperv = new FakeHyperv();
    const backend = hypervBackend(hyperv.host());
    expect(await backend.stop({ hypervName: NAME }, stopOptions)).toMatch(/not running/);
    hyperv.vms.set(NAME, { State: 'Off', IPAddresses: [] });
    expect(await backend.stop({ hypervName: NAME }, stopOptions)).toMatch(/not running/);
    expect(hyperv.actions()).toEqual(['get', 'get']);
  });
});

describe('removeHypervVm and unavailable()', () => {
  test('removes the VM of that id; none there is false', async () => {
    const hyperv = new FakeHyperv();
    hyperv.vms.set(hypervNameOf(ID), { State: 'Running', IPAddresses: [] });
    hyperv.vms.set('bootc-studio-000000000000', { State: 'Running', IPAddresses: [] });
    expect(await removeHypervVm(hyperv.host(), ID)).toBe(true);
    expect([...hyperv.vms.keys()]).toEqual(['bootc-studio-000000000000']);
    expect(await removeHypervVm(hyperv.host(), ID)).toBe(false);
  });

  test('unavailable() says when Windows PowerShell is not there', () => {
    const hyperv = new FakeHyperv();
    expect(hypervBackend(hyperv.host()).unavailable()).toBeUndefined();
    hyperv.files.delete(PS);
    expect(hypervBackend(hyperv.host()).unavailable()).toMatch(/Windows PowerShell was not found at .*powershell\.exe/);
  });

  test('injectsKey and consoleInput are false, the steps those of the other back ends', () => {
    const backend = hypervBackend(new FakeHyperv().host());
    expect([backend.injectsKey, backend.consoleInput]).toEqual([false, false]);
    expect(backend.steps).toEqual(['Preparing the disk', 'Booting']);
  });
});
