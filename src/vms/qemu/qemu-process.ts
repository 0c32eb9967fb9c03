/**
 * A VM's QEMU process: started detached (it outlives whoever started it; its output goes to the
 * VM's qemu.log), known to run once its QMP socket answers, found again later by pid and QMP, and
 * stopped cleanly — the ACPI power button, then QMP `quit`, then SIGTERM; SIGKILL only when even
 * that is ignored.
 *
 * A host may offer a KVM that cannot run the guest's firmware (nested or paravirtual KVM): QEMU then
 * dies at once, or stops the guest in `internal-error`. The start sees either and runs the guest
 * again emulated (TCG), with a warning.
 */

import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import type { VmAcceleration } from '../../api/vms';
import { processExists, processHasArgument, startProcess } from '../../platform/process';
import { isKvmFailure, qemuArgv, qmpArgument, type QemuLaunch } from './qemu-argv';
import { QmpClient, queryStatus } from './qmp-client';

export interface QemuStartOptions {
  launch: QemuLaunch;
  /** Where QEMU's own output goes (appended). */
  logFile: string;
  /** How long QEMU may take to answer on QMP. Default 30 s. */
  readyTimeoutMs?: number;
  /** How long an accelerated guest is watched for a KVM failure before it counts as started. Default 2 s. */
  kvmProbeMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface QemuStarted {
  pid: number;
  acceleration: VmAcceleration;
  warnings: string[];
}

export class QemuStartError extends Error {
  constructor(
    message: string,
    readonly kvmFailure = false,
  ) {
    super(message);
    this.name = 'QemuStartError';
  }
}

export function isAlive(pid: number): boolean {
  return processExists(pid);
}

/** The last lines of QEMU's log since `from` (a byte offset), for an error message. */
async function logTail(logFile: string, from: number): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.slice(from).trim().split('\n').slice(-8).join('\n');
}

async function logSize(logFile: string): Promise<number> {
  return (await readFile(logFile).catch(() => Buffer.alloc(0))).length;
}

async function startOnce(options: QemuStartOptions, acceleration: VmAcceleration): Promise<number> {
  const launch = { ...options.launch, acceleration };
  // Sockets left by a QEMU that ended without removing them (a crash, the KVM failure before this
  // try) would make this one refuse to start.
  await rm(launch.qmpSocket, { force: true });
  await rm(launch.consoleSocket, { force: true });
  const from = await logSize(options.logFile);
  const child = startProcess(qemuArgv(launch), { detached: true, outputFile: options.logFile });
  child.unref();
  try {
    await child.started;
  } catch (error: unknown) {
    throw new QemuStartError(`could not run ${launch.qemu}: ${(error as Error).message}`);
  }
  const pid = child.pid as number;
  // QEMU writes its pid file once it has read its options; written here at once too, so that a
  // start that dies before recording the pid leaves a QEMU that can be found (the backend's leftover).
  await writeFile(launch.pidFile, `${pid}\n`, { mode: 0o600 }).catch(() => undefined);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  const died = async (): Promise<never> => {
    await child.result.catch(() => undefined);
    const tail = await logTail(options.logFile, from);
    throw new QemuStartError(
      `QEMU stopped at start (exit status ${child.exitCode})${tail ? `:\n${tail}` : ''}`,
      acceleration === 'kvm' && isKvmFailure(tail),
    );
  };
  let qmp: QmpClient | undefined;
  while (!qmp) {
    if (child.exitCode !== undefined) await died();
    if (options.signal?.aborted || Date.now() > deadline) {
      await child.stop();
      throw new QemuStartError(
        options.signal?.aborted ? 'the start was cancelled' : 'QEMU did not answer on its QMP socket in time',
      );
    }
    qmp = await QmpClient.connect(launch.qmpSocket, 1000).catch(() => undefined);
    if (!qmp) await sleep(100);
  }
  try {
    if (acceleration !== 'tcg') {
      // A KVM that cannot run the firmware fails in its first instructions.
      await sleep(options.kvmProbeMs ?? 2000);
      if (child.exitCode !== undefined) await died();
      const status = await queryStatus(qmp).catch(() => 'unknown');
      if (status === 'internal-error' || child.exitCode !== undefined) {
        await qmp.execute('quit').catch(() => undefined);
        await child.result.catch(() => undefined);
        throw new QemuStartError(
          `QEMU's ${acceleration} acceleration could not run the guest (status ${status})`,
          true,
        );
      }
    }
  } finally {
    qmp.close();
  }
  return pid;
}

/** Starts QEMU for `options.launch`, falling back to TCG when the host's KVM cannot run the guest. */
export async function startQemu(options: QemuStartOptions): Promise<QemuStarted> {
  const acceleration = options.launch.acceleration;
  const warnings: string[] = [];
  if (acceleration === 'tcg') {
    warnings.push(
      'No hardware acceleration for this guest on this host: QEMU emulates its CPU, which is slow (minutes to boot).',
    );
  }
  try {
    return { pid: await startOnce(options, acceleration), acceleration, warnings };
  } catch (error: unknown) {
    if (!(error instanceof QemuStartError && error.kvmFailure)) throw error;
    options.log?.(`KVM could not run the guest (${error.message.split('\n')[0]}); starting it again emulated (TCG)`);
    warnings.push(
      "This host's KVM could not run the guest (nested or paravirtual KVM): the VM runs emulated (TCG), which is slow.",
    );
    return { pid: await startOnce(options, 'tcg'), acceleration: 'tcg', warnings };
  }
}

/**
 * Whether the VM's QEMU runs: its pid lives with this VM's QMP socket among its arguments (a reused
 * pid has not). The system answers that, not QMP: QEMU serves one QMP client at a time (a stop holds
 * it through the guest's power-off) and a loaded host can keep it from answering in seconds — a
 * running VM taken for stopped would be started again beside itself. QMP is asked only when the
 * system cannot say.
 */
export async function qemuRunning(pid: number, qmpSocket: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const ours = await processHasArgument(pid, qmpArgument(qmpSocket)).catch(() => undefined);
  if (ours !== undefined) return ours;
  const qmp = await QmpClient.connect(qmpSocket, 2000).catch(() => undefined);
  if (!qmp) return false;
  qmp.close();
  return true;
}

async function waitForExit(pid: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    if (!isAlive(pid)) return true;
    await sleep(200);
  }
  return !isAlive(pid);
}

export interface QemuStopOptions {
  /** How long the guest has to power off after the ACPI power button. Default 60 s. */
  powerdownTimeoutMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** How the VM ended: powered off by its guest, or made to quit, or terminated. */
export type QemuStopWay = 'powerdown' | 'quit' | 'sigterm' | 'sigkill' | 'not-running';

export async function stopQemu(pid: number, qmpSocket: string, options: QemuStopOptions = {}): Promise<QemuStopWay> {
  if (!isAlive(pid)) return 'not-running';
  const qmp = await QmpClient.connect(qmpSocket, 3000).catch(() => undefined);
  if (qmp) {
    try {
      options.log?.('Pressing the power button (ACPI)…');
      await qmp.execute('system_powerdown');
      if (await waitForExit(pid, options.powerdownTimeoutMs ?? 60_000, options.signal)) return 'powerdown';
      options.log?.('The guest did not power off in time; telling QEMU to quit');
      await qmp.execute('quit').catch(() => undefined);
      if (await waitForExit(pid, 10_000)) return 'quit';
    } finally {
      qmp.close();
    }
  }
  options.log?.(qmp ? 'QEMU did not quit; sending SIGTERM' : 'QEMU does not answer on QMP; sending SIGTERM');
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, 10_000)) return 'sigterm';
  options.log?.('QEMU ignored SIGTERM; sending SIGKILL');
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
  return 'sigkill';
}
