/**
 * What the VM service asks of a hypervisor: boot a VM record (its files prepared first — for an
 * installer ISO, the install onto a new disk at the first start), say whether it runs, stop it
 * cleanly, forget it. QEMU (`qemu/qemu-backend.ts`) on Linux and macOS; VMware Fusion
 * (`fusion/fusion-backend.ts`) where it is installed; Hyper-V (`hyperv/hyperv-backend.ts`) on Windows.
 */

import type { Hypervisor, VmAcceleration } from '../api/vms';
import type { StoredVm, VmPaths, VmRuntime } from './vm-store';

export interface BackendLaunchOptions {
  signal?: AbortSignal;
  log: (line: string) => void;
  /** A new step starts (the previous one succeeded). */
  step: (name: string) => void;
  /** An installer VM's installer ended with a system on the disk: later starts boot it. */
  installed?: () => Promise<void>;
}

export interface BackendLaunch {
  /** Where the running VM is, to find it again. */
  runtime: VmRuntime;
  /** Where its SSH answers. */
  sshHost: string;
  sshPort: number;
  acceleration?: VmAcceleration;
  warnings: string[];
  /** The cloud-init NoCloud seed attached to the VM, when one was (QEMU). */
  cloudInitSeed?: string;
}

export interface BackendStopOptions {
  log: (line: string) => void;
  signal?: AbortSignal;
  /** How long the guest has to power off when asked. */
  powerdownTimeoutMs: number;
}

export interface VmBackend {
  /** The steps a start goes through, in order (the last, waiting for SSH, is the service's). */
  readonly steps: readonly string[];
  /** Whether the VM's own key is given to the guest at boot (else the image must carry a key). */
  readonly injectsKey: boolean;
  /** Whether its serial console takes input. */
  readonly consoleInput: boolean;
  /** Whether it boots installer ISOs (the install step, onto a new blank disk). */
  readonly installs?: boolean;
  /** Whether it attaches a cloud-init NoCloud seed to VMs that get one (QEMU). */
  readonly attachesSeed?: boolean;
  /** Why this host cannot run VMs of this kind, or undefined when it can. */
  unavailable(): string | undefined;
  launch(vm: StoredVm, paths: VmPaths, options: BackendLaunchOptions): Promise<BackendLaunch>;
  /** Whether the VM runs now (cheap enough to ask on every list). */
  running(runtime: VmRuntime): Promise<boolean>;
  /** Stops it; a sentence saying how it ended. */
  stop(runtime: VmRuntime, options: BackendStopOptions): Promise<string>;
  /**
   * The VM's hypervisor process when one runs that no record knows of: a start whose process died
   * after launching it and before recording where it runs (QEMU: its pid file and QMP socket).
   */
  leftover?(paths: VmPaths): Promise<VmRuntime | undefined>;
  /** Removes what the hypervisor itself keeps of a stopped VM (Hyper-V's VM); its folder goes after. */
  forget?(vmId: string): Promise<void>;
}

/** How messages name each hypervisor. */
export const HYPERVISOR_NAMES: Record<Hypervisor, string> = {
  qemu: 'QEMU',
  fusion: 'VMware Fusion',
  hyperv: 'Hyper-V',
};
