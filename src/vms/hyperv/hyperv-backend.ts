/**
 * Hyper-V as a VM back end (Windows): the built disk converted into the VM's folder as a VHDX
 * (Convert-VHD for bootc-image-builder's fixed .vhd, qemu-img for a qcow2, raw or vmdk disk), a
 * generation-2 (UEFI) VM named `bootc-studio-<id>` on Hyper-V's "Default Switch", its serial port on
 * a named pipe, then Start-VM; the guest's address from Hyper-V's integration services (KVP);
 * Stop-VM asking the guest first, then turning it off. Every action is the fixed PowerShell script
 * (hyperv-script.ts) run through hyperv-commands.ts's argv; its failures read as hyperv-parse.ts
 * words them (Hyper-V not enabled, no rights). Hyper-V has no way to give the VM's key at boot: such
 * VMs are reached with the key or password built into the image. The console is not read here.
 */

import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { win32 } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { type ProcessOptions, type ProcessResult, runProcess } from '../../platform/process';
import type { BackendLaunch, BackendLaunchOptions, VmBackend } from '../vm-backend';
import type { StoredVm, VmPaths, VmRuntime } from '../vm-store';
import {
  convertVhdArgv,
  getVmArgv,
  type HypervScriptRef,
  newVmArgv,
  type QemuImgSourceFormat,
  qemuImgToVhdxArgv,
  removeVmArgv,
  setComPortArgv,
  setProcessorArgv,
  startVmArgv,
  stopVmArgv,
  writeHypervScript,
} from './hyperv-commands';
import { type HypervVm, hypervErrorOf, parseGetVmJson } from './hyperv-parse';

/** Runs a process (runProcess by default; tests answer as PowerShell would). */
export type HypervRun = (argv: readonly string[], options: ProcessOptions) => Promise<ProcessResult>;

/** What the back end does with files (node:fs by default; tests stand in, the paths being Windows ones). */
export interface HypervFiles {
  exists(path: string): boolean;
  /** Writes the fixed script into the folder; resolves with its path. */
  writeScript(dir: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  /** Deletes a file if it is there. */
  remove(path: string): Promise<void>;
}

export interface HypervHost {
  /** powershell.exe (windowsPowerShell()). */
  powershell: string;
  /** Where the script is written: the VM store's folder. */
  scriptDir: string;
  /** qemu-img's path, when installed (needed for a disk that is not a .vhd). */
  qemuImg?: string;
  run?: HypervRun;
  files?: Partial<HypervFiles>;
  /** How long to wait for the guest's address after Start-VM. Default 3 minutes. */
  addressTimeoutMs?: number;
  /** Between two questions to Hyper-V (the address, the state while stopping). Default 2 s. */
  pollMs?: number;
}

/** Hyper-V's switch with NAT and DHCP, there on every Windows 10/11 with Hyper-V. */
export const HYPERV_SWITCH = 'Default Switch';

const STOP_WORDS = {
  shutdown: "The guest shut down (Hyper-V's shutdown service).",
  turnoff: 'Hyper-V turned the VM off (the guest did not shut down in time).',
  'not-running': 'Hyper-V was not running it.',
} as const;

const KEY_WARNING =
  "Hyper-V cannot give the VM its own key at boot: log in with the key or password built into the image (the build form's users).";

const QUICK_MS = 120_000;
const CONVERT_MS = 30 * 60_000;

/** The Hyper-V VM of a Bootc Studio VM: unique, and no user text in it. */
export function hypervNameOf(vmId: string): string {
  return `bootc-studio-${vmId}`;
}

/** An address SSH can reach: IPv4, not link-local (169.254.*, no DHCP answer) nor loopback. */
function usableAddress(address: string): boolean {
  return isIPv4(address) && !address.startsWith('169.254.') && !address.startsWith('127.') && address !== '0.0.0.0';
}

const NODE_FILES: HypervFiles = {
  exists: existsSync,
  writeScript: writeHypervScript,
  rename: (from, to) => rename(from, to),
  remove: path => rm(path, { force: true }),
};

/** The script, the process runner and the files of one host, with the actions the back end takes. */
class HypervSession {
  readonly run: HypervRun;
  readonly files: HypervFiles;
  #ref: Promise<HypervScriptRef> | undefined;

  constructor(readonly host: HypervHost) {
    this.run = host.run ?? runProcess;
    this.files = { ...NODE_FILES, ...host.files };
  }

  /** The script, written once (again when `fresh`, or when writing it failed). */
  ref(fresh = false): Promise<HypervScriptRef> {
    if (fresh || !this.#ref) {
      const written = this.files
        .writeScript(this.host.scriptDir)
        .then(scriptPath => ({ scriptPath, powershell: this.host.powershell }));
      written.catch(() => {
        if (this.#ref === written) this.#ref = undefined;
      });
      this.#ref = written;
    }
    return this.#ref;
  }

  /** Runs the script; its failure as Hyper-V's own words. `action` says what was being done. */
  async ps(argv: string[], action: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}) {
    const result = await this.run(argv, {
      capture: true,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? QUICK_MS,
    });
    if (result.stopped === 'aborted') throw new Error(`stopped before Hyper-V could ${action}`);
    if (result.stopped === 'timeout') throw new Error(`Hyper-V did not ${action} in time`);
    const error = hypervErrorOf(result, action);
    if (error) throw error;
    return result.stdout ?? '';
  }

  /** The VM of that name as Hyper-V has it, or undefined. */
  async get(ref: HypervScriptRef, name: string, signal?: AbortSignal): Promise<HypervVm | undefined> {
    const stdout = await this.ps(getVmArgv(ref, name), `read the state of the VM ${name}`, { signal });
    return parseGetVmJson(stdout).find(vm => vm.name === name);
  }

  /** Waits until the VM is off (or gone); false when `deadline` passes first. */
  async waitOff(ref: HypervScriptRef, name: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      const vm = await this.get(ref, name);
      if (!vm || vm.state === 'stopped') return true;
      if (Date.now() >= deadline || signal?.aborted) return false;
      await this.pause(signal);
    }
  }

  pause(signal?: AbortSignal): Promise<void> {
    return sleep(this.host.pollMs ?? 2000, undefined, { signal }).catch(() => undefined);
  }
}

/** The format qemu-img reads in `path` (never guessed from the name: a raw file may say anything). */
async function qemuImgFormat(session: HypervSession, qemuImg: string, path: string): Promise<QemuImgSourceFormat> {
  const result = await session.run([qemuImg, 'info', '--output=json', path], { capture: true, timeoutMs: 30_000 });
  if (result.code !== 0) {
    throw new Error(
      `cannot read the disk ${path}: ${(result.stderr ?? '').trim() || `qemu-img exited ${result.code}`}`,
    );
  }
  const format = (JSON.parse(result.stdout || '{}') as { format?: unknown }).format;
  if (format === 'qcow2' || format === 'raw' || format === 'vmdk') return format;
  throw new Error(
    `the disk ${path} is ${String(format)}; Hyper-V boots a vhd disk, or a qcow2, raw or vmdk one converted`,
  );
}

/**
 * Makes `vhdx` from the built disk: into a partial file first, renamed when complete (a cancelled
 * conversion never passes for the VM's disk on the next start).
 */
async function convertDisk(
  session: HypervSession,
  ref: HypervScriptRef,
  source: string,
  vhdx: string,
  options: BackendLaunchOptions,
): Promise<void> {
  const { files, host } = session;
  if (!files.exists(source)) {
    throw new Error(`the disk ${source} does not exist (was the build's output folder moved or cleaned?)`);
  }
  const partial = vhdx.replace(/\.vhdx$/i, '.partial.vhdx');
  await files.remove(partial);
  const hypervNative = /\.vhdx?$/i.test(source);
  if (hypervNative) {
    options.log(`Converting ${source} to ${vhdx} (Convert-VHD); the built disk is left as it is`);
    await session.ps(convertVhdArgv(ref, source, partial), `convert ${source} to a VHDX disk`, {
      signal: options.signal,
      timeoutMs: CONVERT_MS,
    });
  } else {
    if (!host.qemuImg) {
      throw new Error(
        `Hyper-V boots a VHD disk and ${source} is not one: build the image as a "vhd" disk, or install qemu-img (QEMU for Windows) to convert it`,
      );
    }
    const format = await qemuImgFormat(session, host.qemuImg, source);
    options.log(`Converting ${source} (${format}) to ${vhdx} with qemu-img; the built disk is left as it is`);
    const result = await session.run(qemuImgToVhdxArgv(host.qemuImg, source, partial, format), {
      capture: true,
      signal: options.signal,
      timeoutMs: CONVERT_MS,
    });
    if (result.code !== 0) {
      await files.remove(partial);
      throw new Error(`the disk conversion failed: ${(result.stderr ?? result.stdout ?? '').trim()}`);
    }
  }
  await files.rename(partial, vhdx);
}

/** The new VM: generation 2 on the VM's disk, its CPUs, its serial port on a pipe. */
async function createVm(session: HypervSession, ref: HypervScriptRef, vm: StoredVm, vhdx: string, dir: string) {
  const name = hypervNameOf(vm.id);
  const input = { name, generation: 2 as const, memoryMiB: vm.memoryMiB, vhdPath: vhdx, vmFolder: dir };
  await session.ps(newVmArgv(ref, { ...input, switchName: HYPERV_SWITCH }), `create the VM ${name}`);
  await session.ps(setProcessorArgv(ref, name, vm.cpus), `give the VM ${name} ${vm.cpus} CPUs`);
  await session.ps(setComPortArgv(ref, name, name), `connect the serial port of the VM ${name}`);
}

/** The guest's first usable IPv4 address, asked until the deadline. */
async function guestAddress(
  session: HypervSession,
  ref: HypervScriptRef,
  name: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const deadline = Date.now() + (session.host.addressTimeoutMs ?? 180_000);
  for (;;) {
    const found = await session.get(ref, name, signal);
    if (!found) throw new Error(`the Hyper-V VM ${name} went away while it booted`);
    const address = found.ipAddresses.find(usableAddress);
    if (address) return address;
    if (found.state === 'stopped') throw new Error(`the Hyper-V VM ${name} powered off while it booted`);
    if (signal?.aborted) throw new Error('stopped before the guest reported its address');
    if (Date.now() >= deadline) break;
    await session.pause(signal);
  }
  throw new Error(
    "Hyper-V started the VM, but its address did not show up: Hyper-V learns a guest's address from its guest services " +
      '(the hyperv-daemons package, KVP daemon hv_kvp_daemon, running in the image)',
  );
}

async function launch(
  session: HypervSession,
  vm: StoredVm,
  paths: VmPaths,
  options: BackendLaunchOptions,
): Promise<BackendLaunch> {
  const name = hypervNameOf(vm.id);
  const vhdx = win32.join(paths.dir, 'disk.vhdx');
  options.step('Preparing the disk');
  const ref = await session.ref(true);
  if (session.files.exists(vhdx)) options.log(`The VM's disk is ${vhdx}`);
  else await convertDisk(session, ref, vm.source.diskPath, vhdx, options);
  options.step('Booting');
  const existing = await session.get(ref, name, options.signal);
  if (!existing) {
    options.log(
      `Creating the Hyper-V VM ${name} (generation 2, ${vm.memoryMiB} MiB, ${vm.cpus} CPUs, ${HYPERV_SWITCH})`,
    );
    await createVm(session, ref, vm, vhdx, paths.dir);
  }
  if (existing?.state !== 'running') {
    options.log(`Start-VM ${name}`);
    await session.ps(startVmArgv(ref, name), `start the VM ${name}`, { signal: options.signal });
  }
  let address: string;
  try {
    address = await guestAddress(session, ref, name, options.signal);
  } catch (error) {
    options.log(`Turning the VM ${name} off: ${(error as Error).message}`);
    await session.ps(stopVmArgv(ref, name, 'turnoff'), `turn the VM ${name} off`).catch(() => undefined);
    throw error;
  }
  options.log(`The guest's address is ${address}`);
  return { runtime: { hypervName: name }, sshHost: address, sshPort: 22, warnings: [KEY_WARNING] };
}

export function hypervBackend(host: HypervHost): VmBackend {
  const session = new HypervSession(host);
  return {
    steps: ['Preparing the disk', 'Booting'],
    injectsKey: false,
    consoleInput: false,
    unavailable: () =>
      session.files.exists(host.powershell)
        ? undefined
        : `Windows PowerShell was not found at ${host.powershell} (Bootc Studio manages Hyper-V through it)`,
    launch: (vm, paths, options) => launch(session, vm, paths, options),
    async running(runtime: VmRuntime) {
      if (!runtime.hypervName) return false;
      const vm = await session.get(await session.ref(), runtime.hypervName);
      return vm?.state === 'running' || vm?.state === 'starting';
    },
    async stop(runtime, options) {
      const name = runtime.hypervName;
      if (!name) return STOP_WORDS['not-running'];
      const ref = await session.ref();
      const vm = await session.get(ref, name);
      if (!vm || vm.state === 'stopped') return STOP_WORDS['not-running'];
      const deadline = Date.now() + options.powerdownTimeoutMs;
      options.log(`Asking the guest to shut down (Stop-VM ${name})`);
      const asked = await session.run(stopVmArgv(ref, name, 'shutdown'), {
        capture: true,
        timeoutMs: options.powerdownTimeoutMs,
        signal: options.signal,
      });
      const error = asked.stopped ? undefined : hypervErrorOf(asked, `shut down the VM ${name}`);
      if (error?.kind === 'not-found') return STOP_WORDS['not-running'];
      if (error && error.kind !== 'failed') throw error;
      if (error) options.log(`The guest did not take the shutdown: ${error.message}`);
      else if (await session.waitOff(ref, name, deadline, options.signal)) return STOP_WORDS.shutdown;
      options.log(`The guest did not shut down: turning the VM ${name} off`);
      await session.ps(stopVmArgv(ref, name, 'turnoff'), `turn the VM ${name} off`);
      return STOP_WORDS.turnoff;
    },
    async forget(vmId) {
      await removeHypervVm(host, vmId);
    },
  };
}

/**
 * Removes the Hyper-V VM of a Bootc Studio VM (turned off first; its disk stays in the VM's folder,
 * which the store deletes). Resolves false when Hyper-V had no such VM.
 */
export async function removeHypervVm(host: HypervHost, vmId: string): Promise<boolean> {
  const session = new HypervSession(host);
  const name = hypervNameOf(vmId);
  try {
    await session.ps(removeVmArgv(await session.ref(), name), `remove the VM ${name}`);
    return true;
  } catch (error) {
    if ((error as { kind?: string }).kind === 'not-found') return false;
    throw error;
  }
}
