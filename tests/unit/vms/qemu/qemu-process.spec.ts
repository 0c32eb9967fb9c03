/**
 * QEMU's process as the VM code drives it, against a stand-in QEMU (support/fake-qemu.mjs) that is
 * a real detached process serving QMP: started once QMP answers; a KVM that cannot run the guest
 * (QEMU dying at once, or the guest in `internal-error`) makes the start run it again under TCG with
 * a warning; stop presses the power button, then quits through QMP, then SIGTERM — in that order.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import type { QemuLaunch } from '../../../../src/vms/qemu/qemu-argv';
import { isAlive, qemuRunning, startQemu, stopQemu } from '../../../../src/vms/qemu/qemu-process';

const FAKE = join(import.meta.dirname, '../../support/fake-qemu.mjs');

let dir: string;
let pids: number[];
const saved = { ...process.env };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qemu-process-'));
  pids = [];
  process.env.FAKE_QEMU_TRACE = join(dir, 'trace');
});

afterEach(async () => {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  process.env = { ...saved };
  await rm(dir, { recursive: true, force: true });
});

const launch = (): QemuLaunch => ({
  qemu: FAKE,
  name: 'test',
  architecture: 'amd64',
  acceleration: 'kvm',
  memoryMiB: 256,
  cpus: 1,
  disk: join(dir, 'disk.qcow2'),
  sshPort: 1,
  oemStrings: [],
  consoleSocket: join(dir, 'console.sock'),
  consoleLog: join(dir, 'console.log'),
  qmpSocket: join(dir, 'qmp.sock'),
  pidFile: join(dir, 'qemu.pid'),
});

const trace = async () => (await readFile(join(dir, 'trace'), 'utf8')).trim().split('\n');
const starts = async () => (await trace()).filter(line => line.startsWith('start '));

async function start(launchValue = launch()) {
  const started = await startQemu({ launch: launchValue, logFile: join(dir, 'qemu.log'), kvmProbeMs: 200 });
  pids.push(started.pid);
  return started;
}

describe('startQemu', () => {
  test('resolves once QMP answers, with the pid of a process that outlives the start', async () => {
    const started = await start();
    expect(started).toMatchObject({ acceleration: 'kvm', warnings: [] });
    expect(await qemuRunning(started.pid, launch().qmpSocket)).toBe(true);
  });

  test('QEMU dying at start with a KVM internal error: started again under TCG, with a warning', async () => {
    process.env.FAKE_QEMU_KVM = 'die';
    const lines: string[] = [];
    const started = await startQemu({
      launch: launch(),
      logFile: join(dir, 'qemu.log'),
      kvmProbeMs: 200,
      log: line => lines.push(line),
    });
    pids.push(started.pid);
    expect(started.acceleration).toBe('tcg');
    expect(started.warnings.join(' ')).toMatch(/KVM could not run the guest/);
    expect(lines.join('\n')).toMatch(/starting it again emulated/);
    expect(await starts()).toEqual(['start kvm', 'start tcg,thread=multi']);
    // QEMU's own words are kept in the VM's log.
    expect(await readFile(join(dir, 'qemu.log'), 'utf8')).toContain('KVM internal error');
  });

  test('a guest stopped in internal-error under KVM: QEMU is made to quit and the guest runs under TCG', async () => {
    process.env.FAKE_QEMU_KVM = 'internal-error';
    const started = await start();
    expect(started.acceleration).toBe('tcg');
    expect(await trace()).toEqual(
      expect.arrayContaining(['start kvm', 'query-status', 'quit', 'start tcg,thread=multi']),
    );
  });

  test('a QEMU that cannot be run is an error naming it', async () => {
    await expect(start({ ...launch(), qemu: join(dir, 'no-such-qemu') })).rejects.toThrow(
      /could not run .*no-such-qemu/,
    );
  });
});

describe('qemuRunning', () => {
  test('a QEMU that cannot answer on QMP (a loaded host; a stop holding its one QMP client) still runs', async () => {
    const { pid } = await start({ ...launch(), acceleration: 'tcg' });
    // Frozen: its pid lives, its QMP socket takes the connection and never greets.
    process.kill(pid, 'SIGSTOP');
    try {
      expect(await qemuRunning(pid, launch().qmpSocket)).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  test("a live process that is not this VM's QEMU (a reused pid, another VM's QEMU) does not run it", async () => {
    const { pid } = await start({ ...launch(), acceleration: 'tcg' });
    expect(await qemuRunning(process.pid, launch().qmpSocket)).toBe(false);
    expect(await qemuRunning(pid, join(dir, 'another-vm', 'qmp.sock'))).toBe(false);
  });
});

describe('stopQemu', () => {
  test('the power button first: a guest that powers off needs nothing more', async () => {
    const { pid } = await start({ ...launch(), acceleration: 'tcg' });
    expect(await stopQemu(pid, launch().qmpSocket, { powerdownTimeoutMs: 5000 })).toBe('powerdown');
    expect(isAlive(pid)).toBe(false);
    expect(await trace()).not.toContain('quit');
  });

  test('a guest that ignores the button: QMP quit, never a signal first', async () => {
    process.env.FAKE_QEMU_IGNORE_POWERDOWN = '1';
    const { pid } = await start({ ...launch(), acceleration: 'tcg' });
    expect(await stopQemu(pid, launch().qmpSocket, { powerdownTimeoutMs: 500 })).toBe('quit');
    const lines = await trace();
    expect(lines.indexOf('system_powerdown')).toBeLessThan(lines.indexOf('quit'));
    expect(lines).not.toContain('SIGTERM');
  });

  test('a process that is gone is reported as not running', async () => {
    const { pid } = await start({ ...launch(), acceleration: 'tcg' });
    process.kill(pid, 'SIGKILL');
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(await stopQemu(pid, launch().qmpSocket)).toBe('not-running');
    expect(await qemuRunning(pid, launch().qmpSocket)).toBe(false);
  });
});
