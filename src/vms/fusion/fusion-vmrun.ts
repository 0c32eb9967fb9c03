/**
 * VMware Fusion's `vmrun` command line: where Fusion's tools are, the argv of each call we make, and
 * the answer of `vmrun list`. Every argv starts `<vmrun> -T fusion`; paths are passed as they are
 * (argv entries, never a shell string), and vmrun wants a .vmx path to be absolute.
 */

import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';

import { FUSION_VMNET8_LEASES, leasedAddressFor } from './fusion-leases';
import { readVmxValue } from './fusion-vmx';

/** Where Fusion is unless `FUSION_APP_PATH` says otherwise (as packer honours it too). */
export const DEFAULT_FUSION_APP = '/Applications/VMware Fusion.app';

export interface FusionTools {
  /** The Fusion.app folder the tools were looked for in. */
  app: string;
  vmrun?: string;
  vdiskmanager?: string;
}

/**
 * Fusion's `vmrun` and `vmware-vdiskmanager` (in `<app>/Contents/Library/`), each only when it
 * exists. `exists` is asked about each path (a test passes its own).
 */
export function findFusionTools(exists: (path: string) => boolean, env: NodeJS.ProcessEnv = process.env): FusionTools {
  const app = env.FUSION_APP_PATH?.trim() || DEFAULT_FUSION_APP;
  const tool = (name: string) => {
    const path = posix.join(app, 'Contents', 'Library', name);
    return exists(path) ? path : undefined;
  };
  return { app, vmrun: tool('vmrun'), vdiskmanager: tool('vmware-vdiskmanager') };
}

function checkVmx(vmxPath: string): string {
  if (!posix.isAbsolute(vmxPath) || !vmxPath.toLowerCase().endsWith('.vmx')) {
    throw new Error(`vmrun needs the absolute path of a .vmx file, not ${JSON.stringify(vmxPath)}`);
  }
  return vmxPath;
}

/** `vmrun -T fusion start <vmx> nogui|gui`: powers the VM on, headless unless `gui`. */
export function vmrunStartArgv(vmrun: string, vmxPath: string, gui: boolean): string[] {
  return [vmrun, '-T', 'fusion', 'start', checkVmx(vmxPath), gui ? 'gui' : 'nogui'];
}

/** `vmrun -T fusion stop <vmx> soft|hard`: soft asks the guest to shut down; hard powers off. */
export function vmrunStopArgv(vmrun: string, vmxPath: string, mode: 'soft' | 'hard'): string[] {
  return [vmrun, '-T', 'fusion', 'stop', checkVmx(vmxPath), mode];
}

/** `vmrun -T fusion list`: the running VMs. */
export function vmrunListArgv(vmrun: string): string[] {
  return [vmrun, '-T', 'fusion', 'list'];
}

/**
 * `vmrun -T fusion getGuestIPAddress <vmx> -wait`: the guest's address as VMware Tools report it
 * (with `-wait`, once they do — without open-vm-tools in the guest it never answers: time it out).
 */
export function vmrunGuestIpArgv(vmrun: string, vmxPath: string, wait = true): string[] {
  const argv = [vmrun, '-T', 'fusion', 'getGuestIPAddress', checkVmx(vmxPath)];
  return wait ? [...argv, '-wait'] : argv;
}

/**
 * The .vmx paths `vmrun list` printed: after its `Total running VMs: N` line, one absolute path a
 * line (spaces kept: Fusion's own folder is "Virtual Machines.localized").
 */
export function parseVmrunList(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '' && !/^Total running VMs:/i.test(line));
}

/** An IPv4 address as vmrun prints it, or undefined (vmrun prints `Error: …` on stdout when it fails). */
export function parseGuestIp(stdout: string): string | undefined {
  const text = stdout.trim();
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match || match.slice(1).some(part => Number(part) > 255) || text === '0.0.0.0') return undefined;
  return text;
}

/** What the runner needs of a finished process (`runProcess` with `capture: true` gives it). */
export interface VmrunResult {
  code: number;
  stdout?: string;
  stderr?: string;
}

/**
 * Runs an argv and resolves with its end. `timeoutMs` asks it to stop the process after that long
 * (`runProcess` does); the runner stops waiting then in any case.
 */
export type VmrunRun = (argv: readonly string[], options?: { timeoutMs?: number }) => Promise<VmrunResult>;

export class FusionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FusionError';
  }
}

export interface FusionRunnerOptions {
  /** The path of `vmrun` (from findFusionTools). */
  vmrun: string;
  run: VmrunRun;
  /** How long `start` may take (default 2 minutes). */
  startTimeoutMs?: number;
  /** How long the guest has to shut down after `stop soft` before `stop hard` (default 60 s). */
  softStopTimeoutMs?: number;
  /** How long a VM may stay in `vmrun list` after a stop before the stop counts as failed (default 10 s). */
  listWaitMs?: number;
  /** Between two looks at `vmrun list` (default 500 ms). */
  listPollMs?: number;
  /** How long `getGuestIPAddress -wait` is given before the DHCP leases are read (default 15 s). */
  guestIpTimeoutMs?: number;
  /** Reads a text file (the .vmx, the leases); fs.readFile by default. */
  readFile?: (path: string) => Promise<string>;
  /** Fusion's vmnet8 DHCP leases (FUSION_VMNET8_LEASES by default). */
  leasesPath?: string;
}

/** How a stop ended: the VM was not running, shut down when asked, or was powered off. */
export type FusionStopOutcome = 'not-running' | 'soft' | 'hard';

/** What vmrun said, for an error message: its `Error: …` line (it prints errors on stdout), else its output. */
export function vmrunMessage(result: VmrunResult): string {
  const text = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
  const errorLine = text.split(/\r?\n/).find(line => /^Error:/i.test(line.trim()));
  return (errorLine ?? text).trim() || `vmrun exited with ${result.code}`;
}

const delay = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** One Fusion VM's life through vmrun: start, stop (soft, then hard), running or not, its address. */
export class FusionRunner {
  readonly #vmrun: string;
  readonly #run: VmrunRun;
  readonly #options: Required<Omit<FusionRunnerOptions, 'vmrun' | 'run'>>;

  constructor(options: FusionRunnerOptions) {
    this.#vmrun = options.vmrun;
    this.#run = options.run;
    this.#options = {
      startTimeoutMs: options.startTimeoutMs ?? 120_000,
      softStopTimeoutMs: options.softStopTimeoutMs ?? 60_000,
      listWaitMs: options.listWaitMs ?? 10_000,
      listPollMs: options.listPollMs ?? 500,
      guestIpTimeoutMs: options.guestIpTimeoutMs ?? 15_000,
      readFile: options.readFile ?? (path => readFile(path, 'utf8')),
      leasesPath: options.leasesPath ?? FUSION_VMNET8_LEASES,
    };
  }

  /** The argv's result, or 'timeout' when it has not ended within `ms`. */
  async #runWithin(argv: readonly string[], ms: number): Promise<VmrunResult | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'timeout'>(resolve => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    try {
      return await Promise.race([this.#run(argv, { timeoutMs: ms }), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Powers the VM on (headless unless `gui`); throws a FusionError with vmrun's message when it can't. */
  async start(vmxPath: string, gui = false): Promise<void> {
    const result = await this.#runWithin(vmrunStartArgv(this.#vmrun, vmxPath, gui), this.#options.startTimeoutMs);
    if (result === 'timeout') {
      throw new FusionError(`VMware Fusion did not start ${vmxPath} within ${this.#options.startTimeoutMs / 1000} s`);
    }
    if (result.code !== 0) throw new FusionError(`VMware Fusion could not start the VM: ${vmrunMessage(result)}`);
  }

  /** The .vmx paths of the running VMs. */
  async list(): Promise<string[]> {
    const result = await this.#run(vmrunListArgv(this.#vmrun), { timeoutMs: 30_000 });
    if (result.code !== 0) throw new FusionError(`vmrun list failed: ${vmrunMessage(result)}`);
    return parseVmrunList(result.stdout ?? '');
  }

  async isRunning(vmxPath: string): Promise<boolean> {
    return (await this.list()).includes(vmxPath);
  }

  /** Whether the VM left `vmrun list` within `listWaitMs`. */
  async #gone(vmxPath: string): Promise<boolean> {
    const deadline = Date.now() + this.#options.listWaitMs;
    for (;;) {
      if (!(await this.isRunning(vmxPath))) return true;
      if (Date.now() >= deadline) return false;
      await delay(this.#options.listPollMs);
    }
  }

  /**
   * Stops the VM: `stop soft` (the guest shuts down; it needs VMware Tools in the guest), then —
   * when that fails or takes longer than `softStopTimeoutMs` — `stop hard` (power off). As packer
   * does, a VM no longer in `vmrun list` counts as stopped whatever vmrun answered.
   */
  async stop(vmxPath: string): Promise<FusionStopOutcome> {
    if (!(await this.isRunning(vmxPath))) return 'not-running';
    const soft = await this.#runWithin(vmrunStopArgv(this.#vmrun, vmxPath, 'soft'), this.#options.softStopTimeoutMs);
    if (soft !== 'timeout' && soft.code === 0 && (await this.#gone(vmxPath))) return 'soft';
    const hard = await this.#runWithin(vmrunStopArgv(this.#vmrun, vmxPath, 'hard'), 60_000);
    if (await this.#gone(vmxPath)) return 'hard';
    const why = hard === 'timeout' ? 'vmrun stop hard did not end within 60 s' : vmrunMessage(hard);
    throw new FusionError(`VMware Fusion could not stop the VM (${vmxPath}): ${why}`);
  }

  /**
   * The guest's IPv4 address: VMware Tools' answer (`getGuestIPAddress -wait`, given
   * `guestIpTimeoutMs`), else the newest vmnet8 DHCP lease for the MAC address Fusion generated
   * into the .vmx; undefined while neither knows it yet.
   */
  async guestIp(vmxPath: string): Promise<string | undefined> {
    const tools = await this.#runWithin(vmrunGuestIpArgv(this.#vmrun, vmxPath, true), this.#options.guestIpTimeoutMs);
    const ip = tools !== 'timeout' && tools.code === 0 ? parseGuestIp(tools.stdout ?? '') : undefined;
    if (ip) return ip;
    const vmx = await this.#options.readFile(vmxPath).catch(() => '');
    const mac = readVmxValue(vmx, 'ethernet0.generatedAddress') ?? readVmxValue(vmx, 'ethernet0.address');
    if (!mac) return undefined;
    const leases = await this.#options.readFile(this.#options.leasesPath).catch(() => undefined);
    return leases === undefined ? undefined : leasedAddressFor(leases, mac);
  }
}
