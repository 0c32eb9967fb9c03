/**
 * Booting a VM record under QEMU: what the host has (QEMU, qemu-img, firmware, acceleration), the
 * VM's own files (overlay disk, firmware variables, key pair — made once, kept across starts), a
 * free loopback port for SSH, the cloud-init seed when the VM gets one, then QEMU itself — after,
 * for an installer ISO's VM not yet installed, the installer's run onto a new disk
 * (qemu/qemu-install.ts). Each missing piece is an error that says what to install.
 */

import { access, copyFile, rm } from 'node:fs/promises';

import type { VmAcceleration } from '../api/vms';
import { VM_DEFAULTS } from '../api/vms';
import { freePort } from '../platform/free-port';
import {
  chooseAcceleration,
  findFirmware,
  findQemu,
  findQemuImg,
  hostArchitecture,
  installHint,
  kvmUsable,
} from './qemu/qemu-discovery';
import type { QemuLaunch } from './qemu/qemu-argv';
import { ensureOverlay } from './qemu/qemu-disk';
import { installFromIso } from './qemu/qemu-install';
import { startQemu } from './qemu/qemu-process';
// Loaded when a VM asks for a seed: it brings js-yaml (~90 KB), which activation need not compile (issue 12).
import type * as Seeds from './vm-cloud-init-seed';
import { createVmKeyPair, readVmPublicKey, sshKeyCredential } from './vm-credentials';
import type { BackendLaunchOptions } from './vm-backend';
import type { StoredVm, VmPaths } from './vm-store';

export class VmHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmHostError';
  }
}

/** What the host gives the launcher; tests replace parts of it. */
export interface QemuHost {
  platform: NodeJS.Platform;
  findQemu: typeof findQemu;
  findQemuImg: typeof findQemuImg;
  findFirmware: typeof findFirmware;
  kvmUsable: () => boolean;
  /** The tool that makes cloud-init seeds; default: found on PATH (and Homebrew's prefixes) as QEMU is. */
  findSeedTool?: typeof Seeds.findSeedTool;
  /** Forces an acceleration (tests on hosts whose KVM is not usable, or to try TCG). */
  acceleration?: VmAcceleration;
  /** How long an installer ISO may run at a VM's first start. Default 4 hours (emulated installs are slow). */
  installTimeoutMs?: number;
}

export const realQemuHost = (): QemuHost => ({
  platform: process.platform,
  findQemu,
  findQemuImg,
  findFirmware,
  kvmUsable,
  acceleration: (process.env.BOOTC_STUDIO_VM_ACCEL as VmAcceleration | undefined) || undefined,
});

export interface LaunchResult {
  pid: number;
  sshPort: number;
  acceleration: VmAcceleration;
  warnings: string[];
  /** The cloud-init seed attached, when one was. */
  seed?: string;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Prepares the VM's files and starts QEMU; resolves once QEMU runs the guest. */
export async function launchQemuVm(
  vm: StoredVm,
  paths: VmPaths,
  host: QemuHost,
  options: BackendLaunchOptions,
): Promise<LaunchResult> {
  const arch = vm.architecture;
  const qemu = host.findQemu(arch);
  if (!qemu)
    throw new VmHostError(
      `QEMU for ${arch} guests (qemu-system-${arch === 'amd64' ? 'x86_64' : 'aarch64'}) is not installed: ${installHint('qemu', arch, host.platform)}`,
    );
  const qemuImg = host.findQemuImg();
  if (!qemuImg) throw new VmHostError(`qemu-img is not installed: ${installHint('qemu-img', arch, host.platform)}`);
  const warnings: string[] = [];
  const firmware = await host.findFirmware(arch);
  if (!firmware && arch === 'arm64') {
    throw new VmHostError(
      `no UEFI firmware for arm64 guests was found: ${installHint('firmware', arch, host.platform)}`,
    );
  }
  if (!firmware) {
    warnings.push(
      `No UEFI firmware found: the VM boots with BIOS (${installHint('firmware', arch, host.platform)} if it does not boot).`,
    );
  }

  // Looked for before anything is made: a VM that needs a seed does not start without one.
  const seeds = vm.cloudInit?.seed ? await import('./vm-cloud-init-seed') : undefined;
  const seedTool = seeds ? (host.findSeedTool ?? seeds.findSeedTool)() : undefined;
  if (seeds && !seedTool) throw new VmHostError(seeds.seedToolHint(host.platform));

  options.step('Preparing the disk');
  const install = vm.source.installer && !(vm.installed && (await exists(paths.disk)));
  if (!vm.source.installer) {
    options.log(`Making the VM's disk on ${vm.source.diskPath} (the built disk is never written)`);
    await ensureOverlay(qemuImg, vm.source.diskPath, paths.disk);
  }
  if (firmware?.varsTemplate && !(await exists(paths.vars))) await copyFile(firmware.varsTemplate, paths.vars);
  if (!(await exists(paths.key))) {
    options.log("Making the VM's SSH key");
    await createVmKeyPair(paths.key, `bootc-studio-vm-${vm.id}`);
  }
  const publicKey = await readVmPublicKey(paths.key);
  const credential = sshKeyCredential(vm.sshUser, publicKey);
  // The NoCloud seed, made afresh at each start (the VM's name may have changed); never a stale one.
  let seed: string | undefined;
  if (seeds && seedTool) {
    options.log(`Making the cloud-init seed (NoCloud, with ${seedTool.name}): the VM's key for ${vm.sshUser}`);
    await seeds.makeSeed(
      seedTool,
      { instanceId: `bootc-studio-${vm.id}`, hostname: vm.name, user: vm.sshUser, publicKey },
      paths.seed,
    );
    seed = paths.seed;
  } else {
    await rm(paths.seed, { force: true });
  }

  let acceleration =
    host.acceleration ??
    chooseAcceleration(arch, { platform: host.platform, arch: hostArchitecture(), kvmUsable: host.kvmUsable });
  const launch: QemuLaunch = {
    qemu,
    name: `bootc-studio-${vm.id}`,
    architecture: arch,
    acceleration,
    memoryMiB: vm.memoryMiB,
    cpus: vm.cpus,
    firmware: firmware ? { code: firmware.code, vars: firmware.varsTemplate ? paths.vars : undefined } : undefined,
    disk: paths.disk,
    sshPort: await freePort(),
    oemStrings: [credential],
    consoleSocket: paths.consoleSocket,
    consoleLog: paths.consoleLog,
    qmpSocket: paths.qmpSocket,
    pidFile: paths.pidFile,
  };

  if (install) {
    options.step('Installing');
    const installed = await installFromIso({
      launch,
      iso: vm.source.diskPath,
      qemuImg,
      diskGiB: vm.diskGiB ?? VM_DEFAULTS.diskGiB,
      logFile: paths.qemuLog,
      timeoutMs: host.installTimeoutMs ?? 4 * 60 * 60_000,
      signal: options.signal,
      log: options.log,
    });
    // A KVM that could not run the installer will not run the system either.
    acceleration = installed.acceleration;
    warnings.push(...installed.warnings);
    await options.installed?.();
  }

  options.step('Booting');
  const sshPort = await freePort();
  options.log(`Starting QEMU (${acceleration === 'tcg' ? 'emulated CPU' : acceleration}); SSH on 127.0.0.1:${sshPort}`);
  const started = await startQemu({
    // The seed on the system's boots only: an installer has no use for it.
    launch: { ...launch, acceleration, sshPort, seed },
    logFile: paths.qemuLog,
    signal: options.signal,
    log: options.log,
  });
  return {
    pid: started.pid,
    sshPort,
    acceleration: started.acceleration,
    warnings: [...new Set([...warnings, ...started.warnings])],
    seed,
  };
}
