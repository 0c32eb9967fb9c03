/**
 * The tiny UEFI test disk itself (support/test-disk.ts), booted by hand with QEMU — no product code
 * in between — so a VM test failing says whether the fixture or the product broke: the disk is laid
 * out as bootc-image-builder writes it, boots under TCG with OVMF, applies the SMBIOS tmpfiles
 * credential (root's authorized_keys), answers the real OpenSSH client with that key only, takes
 * input on the serial console and powers off on QMP's power button.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { freePort } from '../../src/platform/free-port';
import { requireExecutable, runProcess, terminate } from './support/run-process';
import {
  buildTestDisk,
  layOutBuilderOutput,
  missingTestDiskTools,
  TEST_DISK_MARKERS,
  type TestDisk,
} from './support/test-disk';

const OVMF = '/usr/share/ovmf/OVMF.fd';

/** Connects to a unix socket QEMU is about to create. */
async function connectWhenThere(path: string, child: ChildProcess, timeoutMs = 15_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`QEMU exited (${child.exitCode}) before ${path} was there`);
    if (existsSync(path)) {
      const socket = await new Promise<Socket | undefined>(resolve => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket) return socket;
    }
    if (Date.now() > deadline) throw new Error(`${path} did not appear in ${timeoutMs} ms`);
    await delay(50);
  }
}

/** A minimal QMP client: the greeting, qmp_capabilities, then one command at a time. */
class Qmp {
  private buffer = '';
  private waiters: ((line: Record<string, unknown>) => void)[] = [];
  readonly events: string[] = [];

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, newline)) as Record<string, unknown>;
        this.buffer = this.buffer.slice(newline + 1);
        if (typeof message.event === 'string') this.events.push(message.event);
        else this.waiters.shift()?.(message);
      }
    });
    socket.on('error', () => undefined);
  }

  static async open(socket: Socket): Promise<Qmp> {
    const qmp = new Qmp(socket);
    await new Promise(resolve => qmp.waiters.push(resolve)); // the greeting
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  execute(command: string): Promise<Record<string, unknown>> {
    return new Promise(resolve => {
      this.waiters.push(resolve);
      this.socket.write(`${JSON.stringify({ execute: command })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('the test disk on real QEMU (TCG)', () => {
  let disk: TestDisk;
  let dir: string;
  let port: number;
  let qemu: ChildProcess | undefined;
  let qemuExit: Promise<number | null>;
  let qemuStderr = '';
  let serial: Socket | undefined;
  let console_ = '';
  let qmp: Qmp | undefined;

  /** Resolves once the serial console has printed `text` (after `from`), with where it ends. */
  async function waitForConsole(text: string, timeoutMs: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = console_.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (qemu?.exitCode !== null) throw new Error(`QEMU exited before "${text}":\n${console_}\n${qemuStderr}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" on the console in ${timeoutMs} ms:\n${console_}`);
      await delay(100);
    }
  }

  const sshArgs = () => [
    ...['-i', join(dir, 'key'), '-p', String(port)],
    ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
    ...['-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR'],
  ];

  beforeAll(async () => {
    const missing = await missingTestDiskTools();
    expect(missing, `the test disk needs: ${missing.join(', ')}`).toEqual([]);
    requireExecutable('qemu-system-x86_64', 'qemu-system-x86');
    requireExecutable('ssh', 'openssh-client');
    requireExecutable('ssh-keygen', 'openssh-client');
    if (!existsSync(OVMF)) throw new Error(`${OVMF} is missing: apt-get install -y ovmf`);

    disk = await buildTestDisk();
    dir = await mkdtemp(join(tmpdir(), 'bootc-studio-test-disk-boot-'));
    await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-disk', '-f', join(dir, 'key')]);
    const publicKey = (await readFile(join(dir, 'key.pub'), 'utf8')).trim();
    // What the product passes: systemd's tmpfiles.extra credential as an SMBIOS type 11 OEM string.
    const tmpfiles = [
      'd /root/.ssh 0700 root root -',
      `f+~ /root/.ssh/authorized_keys 0600 root root - ${Buffer.from(`${publicKey}\n`).toString('base64')}`,
    ].join('\n');
    const credential = Buffer.from(`${tmpfiles}\n`).toString('base64');
    // The cached disk stays untouched: the VM writes to an overlay of its own.
    await runProcess('qemu-img', [
      ...['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', disk.qcow2],
      join(dir, 'overlay.qcow2'),
    ]);
    port = await freePort();
    qemu = spawn(
      'qemu-system-x86_64',
      [
        ...['-accel', 'tcg', '-cpu', 'max', '-m', '512', '-smp', '1', '-bios', OVMF],
        ...['-drive', `file=${join(dir, 'overlay.qcow2')},if=virtio,format=qcow2`],
        ...['-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0'],
        ...['-smbios', `type=11,value=io.systemd.credential.binary:tmpfiles.extra=${credential}`],
        // wait=on: QEMU starts the machine once this test is reading the console, so nothing is lost.
        ...['-chardev', `socket,id=serial0,path=${join(dir, 'serial.sock')},server=on,wait=on`],
        ...['-serial', 'chardev:serial0'],
        ...['-qmp', `unix:${join(dir, 'qmp.sock')},server=on,wait=off`],
        ...['-display', 'none', '-monitor', 'none', '-nodefaults', '-no-user-config'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    qemu.stderr?.on('data', (chunk: Buffer) => (qemuStderr += chunk.toString('utf8')));
    const child = qemu;
    qemuExit = new Promise(resolve => child.once('exit', code => resolve(code)));
    serial = await connectWhenThere(join(dir, 'serial.sock'), qemu);
    serial.on('data', (chunk: Buffer) => (console_ += chunk.toString('utf8')));
    serial.on('error', () => undefined);
    qmp = await Qmp.open(await connectWhenThere(join(dir, 'qmp.sock'), qemu));
  }, 180_000);

  afterAll(async () => {
    if (qemu && qemu.exitCode === null) {
      await qmp?.execute('quit').catch(() => undefined);
      await Promise.race([qemuExit, delay(5_000)]);
      await terminate(qemu);
    }
    qmp?.close();
    serial?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  test("is laid out as bootc-image-builder's output folder, in three formats", async () => {
    const info = async (path: string) =>
      JSON.parse((await runProcess('qemu-img', ['info', '--output=json', path])).stdout) as {
        format: string;
        'format-specific'?: { data?: { 'create-type'?: string } };
      };
    expect((await info(disk.raw)).format).toBe('raw');
    expect((await info(disk.qcow2)).format).toBe('qcow2');
    const vmdk = await info(disk.vmdk);
    expect(vmdk.format).toBe('vmdk');
    expect(vmdk['format-specific']?.data?.['create-type']).toBe('streamOptimized');
    // A GPT whose one partition is an EFI system partition.
    expect((await runProcess('sgdisk', ['-p', disk.raw])).stdout).toMatch(/^\s+1\s+2048\s+\d+\s.*EF00\s+EFI$/m);

    const output = join(dir, 'output');
    await layOutBuilderOutput(disk, output, ['qcow2', 'vmdk']);
    expect(existsSync(join(output, 'qcow2', 'disk.qcow2'))).toBe(true);
    expect(existsSync(join(output, 'vmdk', 'disk.vmdk'))).toBe(true);
    expect(existsSync(join(output, 'image', 'disk.raw'))).toBe(false);

    // Built once per machine: a second call finds it.
    expect(await buildTestDisk()).toEqual(disk);
  });

  test('boots, applies the credential and starts SSH, saying so on the serial console', async () => {
    let at = await waitForConsole(TEST_DISK_MARKERS.booted, 90_000);
    at = await waitForConsole(TEST_DISK_MARKERS.credential, 30_000, at);
    await waitForConsole(TEST_DISK_MARKERS.ssh, 30_000, at);
  }, 150_000);

  test('lets root in over SSH with the credential key only', async () => {
    // dropbear is listening once SSH READY is printed; QEMU's forwarding may still need a moment.
    let result: { stdout: string } | undefined;
    for (let attempt = 0; !result; attempt++) {
      result = await runProcess(
        'ssh',
        [...sshArgs(), 'root@127.0.0.1', 'echo ok; stat -c %a /root/.ssh/authorized_keys'],
        {
          timeoutMs: 30_000,
        },
      ).catch(error => {
        if (attempt >= 5) throw error;
        return delay(1_000).then(() => undefined);
      });
    }
    expect(result.stdout.split('\n')).toEqual(['ok', '600', '']);

    // Another key is refused: no password, no empty password, nothing but the credential's key.
    await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = sshArgs().map(arg => (arg === join(dir, 'key') ? join(dir, 'other') : arg));
    await expect(
      runProcess('ssh', [...other, '-o', 'IdentitiesOnly=yes', 'root@127.0.0.1', 'echo ok'], { timeoutMs: 30_000 }),
    ).rejects.toMatchObject({ exitCode: 255 });
  });

  test('takes input on the serial console', async () => {
    const from = console_.length;
    serial?.write('echo console-$((6 * 7))\n');
    // The typed line echoes as typed; only the shell running it prints 42.
    await waitForConsole('console-42', 15_000, from);
  });

  test("powers off on QMP's power button", async () => {
    const from = console_.length;
    expect(await qmp?.execute('system_powerdown')).toEqual({ return: {} });
    await waitForConsole(TEST_DISK_MARKERS.poweroff, 30_000, from);
    const code = await Promise.race([qemuExit, delay(30_000).then(() => 'still running')]);
    expect(code).toBe(0);
  }, 70_000);
});
