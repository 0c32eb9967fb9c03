/** vmrun's argv and answers, finding Fusion, and FusionRunner against a fake vmrun that records each argv. */

import { describe, expect, test } from 'vitest';

import type { VmrunResult } from '../../../../src/vms/fusion/fusion-vmrun';
import {
  findFusionTools,
  FusionRunner,
  parseGuestIp,
  parseVmrunList,
  vmrunGuestIpArgv,
  vmrunListArgv,
  vmrunStartArgv,
  vmrunStopArgv,
} from '../../../../src/vms/fusion/fusion-vmrun';

const VMRUN = '/Applications/VMware Fusion.app/Contents/Library/vmrun';
const VMX = '/Users/me/Virtual Machines.localized/bootc web.vmwarevm/bootc web.vmx';
const OTHER = '/Users/me/Virtual Machines.localized/other.vmwarevm/other.vmx';

const listing = (...paths: string[]) => `Total running VMs: ${paths.length}\n${paths.map(p => `${p}\n`).join('')}`;

describe('vmrun argv', () => {
  test('each call is `<vmrun> -T fusion …` with the .vmx path as one entry', () => {
    expect(vmrunStartArgv(VMRUN, VMX, false)).toEqual([VMRUN, '-T', 'fusion', 'start', VMX, 'nogui']);
    expect(vmrunStartArgv(VMRUN, VMX, true)).toEqual([VMRUN, '-T', 'fusion', 'start', VMX, 'gui']);
    expect(vmrunStopArgv(VMRUN, VMX, 'soft')).toEqual([VMRUN, '-T', 'fusion', 'stop', VMX, 'soft']);
    expect(vmrunStopArgv(VMRUN, VMX, 'hard')).toEqual([VMRUN, '-T', 'fusion', 'stop', VMX, 'hard']);
    expect(vmrunListArgv(VMRUN)).toEqual([VMRUN, '-T', 'fusion', 'list']);
    expect(vmrunGuestIpArgv(VMRUN, VMX)).toEqual([VMRUN, '-T', 'fusion', 'getGuestIPAddress', VMX, '-wait']);
    expect(vmrunGuestIpArgv(VMRUN, VMX, false)).toEqual([VMRUN, '-T', 'fusion', 'getGuestIPAddress', VMX]);
  });

  test('a relative path or not a .vmx is refused', () => {
    expect(() => vmrunStartArgv(VMRUN, 'vm.vmx', false)).toThrow(/absolute path of a \.vmx/);
    expect(() => vmrunStopArgv(VMRUN, '/tmp/disk.vmdk', 'hard')).toThrow(/absolute path of a \.vmx/);
  });
});

describe('vmrun answers', () => {
  test('list: the header skipped, paths with spaces kept whole, CRLF and blank lines ignored', () => {
    expect(parseVmrunList(listing(VMX, OTHER))).toEqual([VMX, OTHER]);
    expect(parseVmrunList(`Total running VMs: 1\r\n${VMX}\r\n\r\n`)).toEqual([VMX]);
    expect(parseVmrunList('Total running VMs: 0\n')).toEqual([]);
  });

  test('getGuestIPAddress: an IPv4 address, not an error or the unknown address', () => {
    expect(parseGuestIp('172.16.1.9\n')).toBe('172.16.1.9');
    expect(parseGuestIp('Error: The VMware Tools are not running in the virtual machine')).toBeUndefined();
    expect(parseGuestIp('0.0.0.0')).toBeUndefined();
    expect(parseGuestIp('300.1.1.1')).toBeUndefined();
  });
});

describe('findFusionTools', () => {
  test('in /Applications by default, only the tools that exist', () => {
    const present = new Set([VMRUN]);
    expect(findFusionTools(path => present.has(path), {})).toEqual({
      app: '/Applications/VMware Fusion.app',
      vmrun: VMRUN,
      vdiskmanager: undefined,
    });
  });

  test('FUSION_APP_PATH moves the app', () => {
    const app = '/Users/me/Applications/VMware Fusion Tech Preview.app';
    const tools = findFusionTools(() => true, { FUSION_APP_PATH: app });
    expect(tools.vmrun).toBe(`${app}/Contents/Library/vmrun`);
    expect(tools.vdiskmanager).toBe(`${app}/Contents/Library/vmware-vdiskmanager`);
    expect(findFusionTools(() => false, { FUSION_APP_PATH: app })).toEqual({ app });
  });
});

/** A fake vmrun: answers by the argv's verb, records every argv and the time limit asked for. */
function fakeVmrun(answer: (verb: string, argv: readonly string[]) => VmrunResult | Promise<VmrunResult>) {
  const calls: { argv: readonly string[]; timeoutMs?: number }[] = [];
  const run = async (argv: readonly string[], options?: { timeoutMs?: number }) => {
    calls.push({ argv, timeoutMs: options?.timeoutMs });
    return answer(argv[3], argv);
  };
  const verbs = () =>
    calls.map(call =>
      call.argv
        .slice(3)
        .filter(arg => arg !== VMX)
        .join(' '),
    );
  return { run, calls, verbs };
}

const fast = { listWaitMs: 30, listPollMs: 5, softStopTimeoutMs: 50, guestIpTimeoutMs: 50 };

describe('FusionRunner', () => {
  test('start runs `start <vmx> nogui` and throws vmrun’s error line when it fails', async () => {
    let code = 0;
    const fake = fakeVmrun(() => ({ code, stdout: code ? 'Error: Cannot open VM: /x.vmx, file not found\n' : '' }));
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, ...fast });
    await runner.start(VMX);
    expect(fake.calls[0].argv).toEqual(vmrunStartArgv(VMRUN, VMX, false));
    code = 255;
    await expect(runner.start(VMX, true)).rejects.toThrow(/could not start the VM: Error: Cannot open VM/);
  });

  test('stop: a VM that is not running is left alone', async () => {
    const fake = fakeVmrun(() => ({ code: 0, stdout: listing(OTHER) }));
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, ...fast });
    expect(await runner.stop(VMX)).toBe('not-running');
    expect(fake.verbs()).toEqual(['list']);
  });

  test('stop: soft shutdown that works ends there', async () => {
    let running = true;
    const fake = fakeVmrun(verb => {
      if (verb === 'stop') running = false;
      return { code: 0, stdout: verb === 'list' ? listing(...(running ? [VMX] : [])) : '' };
    });
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, ...fast });
    expect(await runner.stop(VMX)).toBe('soft');
    expect(fake.verbs()).toEqual(['list', 'stop soft', 'list']);
  });

  test('stop: a failed soft stop (no VMware Tools) falls back to hard, then the list decides', async () => {
    let running = true;
    const fake = fakeVmrun((verb, argv) => {
      if (verb === 'list') return { code: 0, stdout: listing(...(running ? [VMX, OTHER] : [OTHER])) };
      if (argv[5] === 'soft')
        return { code: 255, stdout: 'Error: The VMware Tools are not running in the virtual machine' };
      running = false;
      // vmrun may report an error although the VM is off: not being listed is what counts.
      return { code: 255, stdout: 'Error: The virtual machine is not powered on' };
    });
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, ...fast });
    expect(await runner.stop(VMX)).toBe('hard');
    expect(fake.verbs()).toEqual(['list', 'stop soft', 'stop hard', 'list']);
    expect(fake.calls[1].timeoutMs).toBe(50);
  });

  test('stop: a soft stop that hangs past its time is followed by hard', async () => {
    let running = true;
    const fake = fakeVmrun((verb, argv) => {
      if (verb === 'list') return { code: 0, stdout: listing(...(running ? [VMX] : [])) };
      if (argv[5] === 'soft') return new Promise<VmrunResult>(() => undefined);
      running = false;
      return { code: 0 };
    });
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, ...fast });
    expect(await runner.stop(VMX)).toBe('hard');
    expect(fake.verbs()).toEqual(['list', 'stop soft', 'stop hard', 'list']);
  });

  test('stop: a VM still listed after hard is an error with vmrun’s message', async () => {
    const fake = fakeVmrun(verb =>
      verb === 'list' ? { code: 0, stdout: listing(VMX) } : { code: 255, stdout: 'Error: Insufficient permissions' },
    );
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, ...fast });
    await expect(runner.stop(VMX)).rejects.toThrow(/could not stop the VM .*Insufficient permissions/);
    expect(fake.verbs().filter(verb => verb.startsWith('stop'))).toEqual(['stop soft', 'stop hard']);
  });

  test('isRunning compares whole paths; a failing list is an error', async () => {
    const fake = fakeVmrun(() => ({ code: 0, stdout: listing(`${VMX}.bak`, OTHER) }));
    expect(await new FusionRunner({ vmrun: VMRUN, run: fake.run }).isRunning(VMX)).toBe(false);
    const broken = fakeVmrun(() => ({ code: 1, stderr: 'Error: Unable to connect to host.' }));
    await expect(new FusionRunner({ vmrun: VMRUN, run: broken.run }).isRunning(VMX)).rejects.toThrow(
      /vmrun list failed: Error: Unable to connect/,
    );
  });

  const LEASES = '/var/db/vmware/vmnet-dhcpd-vmnet8.leases';
  const files: Record<string, string> = {
    [VMX]: 'displayName = "x"\nethernet0.generatedAddress = "00:0C:29:AB:CD:EF"\n',
    [LEASES]:
      'lease 172.16.1.4 {\n starts 4 2026/12/03 09:00:00;\n hardware ethernet 00:0c:29:ab:cd:ef;\n}\n' +
      'lease 172.16.1.8 {\n starts 4 2026/12/03 10:00:00;\n hardware ethernet 00:0c:29:ab:cd:ef;\n}\n',
  };
  const readFile = async (path: string) => {
    if (path in files) return files[path];
    throw new Error(`ENOENT: ${path}`);
  };

  test('guestIp: VMware Tools’ answer when there is one', async () => {
    const fake = fakeVmrun(() => ({ code: 0, stdout: '172.16.1.50\n' }));
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, readFile, ...fast });
    expect(await runner.guestIp(VMX)).toBe('172.16.1.50');
    expect(fake.calls[0]).toEqual({ argv: vmrunGuestIpArgv(VMRUN, VMX), timeoutMs: 50 });
  });

  test('guestIp: without VMware Tools, the newest DHCP lease for the generated MAC', async () => {
    const fake = fakeVmrun(() => ({ code: 255, stdout: 'Error: The VMware Tools are not running' }));
    const runner = new FusionRunner({ vmrun: VMRUN, run: fake.run, readFile, ...fast });
    expect(await runner.guestIp(VMX)).toBe('172.16.1.8');
    const hanging = fakeVmrun(() => new Promise<VmrunResult>(() => undefined));
    expect(await new FusionRunner({ vmrun: VMRUN, run: hanging.run, readFile, ...fast }).guestIp(VMX)).toBe(
      '172.16.1.8',
    );
  });

  test('guestIp: undefined while there is no MAC yet or no lease file', async () => {
    const fake = fakeVmrun(() => ({ code: 255 }));
    const noMac = async (path: string) => (path === VMX ? 'displayName = "x"\n' : readFile(path));
    expect(await new FusionRunner({ vmrun: VMRUN, run: fake.run, readFile: noMac, ...fast }).guestIp(VMX)).toBe(
      undefined,
    );
    const noLeases = new FusionRunner({ vmrun: VMRUN, run: fake.run, readFile, leasesPath: '/nowhere', ...fast });
    expect(await noLeases.guestIp(VMX)).toBeUndefined();
  });
});
