/**
 * Virtual machines booted from built disk images. A VM is a record with a folder of its own (its
 * overlay disk, firmware variables, SSH key, console log and sockets); the hypervisor's process
 * outlives the program that started it, so any Bootc Studio process — Podman Desktop, the CLI,
 * standalone mode — finds a running VM again from its record.
 */

import { ISO_IMAGE_TYPES } from './disk-build';
import type { DiskBuildRecord } from './disk-builds';
import { isAbsoluteHostPath } from './host-paths';

export type Hypervisor = 'qemu' | 'fusion' | 'hyperv';

export type VmArchitecture = 'amd64' | 'arm64';

/** A hypervisor as the launch form offers it. */
export interface HypervisorChoice {
  id: Hypervisor;
  name: string;
  /** Why this host cannot run it; undefined when it can. */
  unavailable?: string;
  /** Whether it gives the VM its own SSH key at boot (else the image must carry the user's key). */
  injectsKey: boolean;
}

/**
 * `starting`/`stopping` while a start or stop job of this VM runs; `running` while its hypervisor
 * process lives; `stopped` otherwise (also when the process died without a stop: `lastError` says so).
 */
export type VmState = 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * What the VM boots: the disk of a finished build, or a disk file given by path. An installer ISO
 * (`installer`) is booted once against a new blank disk of the VM's own; once the installer has
 * ended, the VM boots that disk.
 */
export type VmSource =
  | {
      kind: 'build';
      buildId: string;
      /** The built disk the VM's overlay is made on, or the installer ISO. */
      diskPath: string;
      /** The image the build was made from, when known. */
      imageRef?: string;
      imageId?: string;
      installer?: boolean;
    }
  | { kind: 'disk'; diskPath: string; installer?: boolean };

export type VmAcceleration = 'kvm' | 'hvf' | 'tcg';

export interface VmRecord {
  /** 12 lower-case hex digits. */
  id: string;
  name: string;
  source: VmSource;
  hypervisor: Hypervisor;
  architecture: VmArchitecture;
  memoryMiB: number;
  cpus: number;
  /** Where the guest's SSH answers, once started: QEMU forwards a port of 127.0.0.1 to it. */
  sshPort?: number;
  /** Default 127.0.0.1; the guest's own address where the hypervisor forwards nothing (Fusion's NAT). */
  sshHost?: string;
  /** The guest user the VM's key is given to at boot. */
  sshUser: string;
  /**
   * Whether the VM's own key reached the guest at its last start (QEMU gives it; VMware Fusion and
   * Hyper-V cannot). Without it, the user's keys log in, or a password.
   */
  keyAtBoot?: boolean;
  /** The public keys the build's config gave `sshUser`: which of the user's private keys to offer. */
  authorizedKeys?: string[];
  /** The guest's SSH host key (`SHA256:…`), pinned at the first login after each boot. */
  hostKeyFingerprint?: string;
  state: VmState;
  /** How the last start ran the guest. */
  acceleration?: VmAcceleration;
  /** Milliseconds since the epoch. */
  created: number;
  started?: number;
  stopped?: number;
  /** Why the last start failed, or that the VM's process ended without being stopped. */
  lastError?: string;
  /** What the user should know about the last start (a slow emulated CPU, a KVM that could not run it). */
  warnings: string[];
  /** An installer's VM: the size of the blank disk it installs onto. */
  diskGiB?: number;
  /** An installer's VM: when its installer ended and left a system on the disk (the next starts boot it). */
  installed?: number;
  /** Where Rebuild & update last built this VM's image from: offered again the next time. */
  updateFrom?: { contextDir: string; containerfile?: string };
  /**
   * Whether the VM gets a cloud-init NoCloud seed besides the SMBIOS credential, and how that was
   * decided: chosen at launch, or found in the image at the first start (then kept for every start).
   */
  cloudInit?: VmCloudInit;
  /** The NoCloud seed (a `cidata` disk in the VM's folder) the last start attached, when it did. */
  cloudInitSeed?: string;
}

export interface VmCloudInit {
  /** Attach the seed. */
  seed: boolean;
  /** `user`: chosen at launch; `image`: cloud-init looked for in the image; `default`: no image to look into. */
  decidedBy: 'user' | 'image' | 'default';
  /** In words, for the VM's page and `vm status`. */
  reason: string;
}

/** A VM as the pages and the CLI show it. */
export interface VmInfo extends VmRecord {
  /** `ssh -i … -p PORT user@127.0.0.1`, to copy, when the VM runs. */
  sshCommand?: string;
  /** The path of the VM's private key (the public half is given to the guest at boot). */
  sshKeyPath: string;
  /** Milliseconds the VM has run, when it runs. */
  uptimeMs?: number;
}

export interface LaunchVmRequest {
  /** A finished build's id (with the ID of the image it was built from, when known), or a disk file's path. */
  source: { buildId: string; imageId?: string } | { diskPath: string };
  /** Default: the source's name and a number. */
  name?: string;
  hypervisor?: Hypervisor;
  /** Default 2048. */
  memoryMiB?: number;
  /** Default 2. */
  cpus?: number;
  /** Default root. */
  sshUser?: string;
  /** The guest's architecture; default the build's, else the host's. */
  architecture?: VmArchitecture;
  /** For an installer ISO: the size of the new disk it installs onto, in GiB. Default 20. */
  diskGiB?: number;
  /**
   * Attach a cloud-init NoCloud seed with the VM's key (true) or not (false). Default: attached
   * when the image the disk was built from has cloud-init; off for a disk given by path.
   */
  cloudInit?: boolean;
}

/**
 * The code of an error (ErrorInfo.code) that says: none of the user's keys got into the VM (its own
 * key could not reach it at boot), but its SSH takes a password — ask for it and log in (logInToVm).
 */
export const VM_PASSWORD_NEEDED = 'vm-password-needed';

export const VM_DEFAULTS = { memoryMiB: 2048, cpus: 2, sshUser: 'root', diskGiB: 20 } as const;

export const VM_LIMITS = {
  memoryMiB: { min: 256, max: 1024 * 1024 },
  cpus: { min: 1, max: 256 },
  diskGiB: { min: 2, max: 64 * 1024 },
} as const;

/** A guest user name as useradd takes it, nothing a tmpfiles line would split on (the VM's key goes to this user). */
export function isGuestUser(user: string): boolean {
  return /^[a-z_][a-z0-9_.-]{0,31}$/.test(user);
}

const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const wholeIn = (value: number, range: { min: number; max: number }) =>
  Number.isInteger(value) && value >= range.min && value <= range.max;

/**
 * What is wrong with a launch request, by field (empty when nothing): the backend refuses with
 * these, and the launch form and Podman Desktop's Create form show them as the user types.
 */
export function launchRequestProblems(request: LaunchVmRequest): Record<string, string> {
  const fields: Record<string, string> = {};
  const source = request.source as { buildId?: unknown; diskPath?: unknown } | undefined;
  if (
    !source ||
    (typeof source.buildId !== 'string' && typeof source.diskPath !== 'string') ||
    (source.buildId ?? source.diskPath) === ''
  ) {
    fields.source = 'choose a finished build or a disk file';
  } else if (typeof source.diskPath === 'string' && !isAbsoluteHostPath(source.diskPath)) {
    fields.source = `the disk path must be absolute: ${source.diskPath}`;
  }
  if (request.name !== undefined && !(typeof request.name === 'string' && VM_NAME.test(request.name))) {
    fields.name = '1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit';
  }
  const { memoryMiB, cpus, diskGiB } = request;
  if (memoryMiB !== undefined && !wholeIn(memoryMiB, VM_LIMITS.memoryMiB)) {
    fields.memoryMiB = `a whole number of MiB from ${VM_LIMITS.memoryMiB.min} to ${VM_LIMITS.memoryMiB.max}`;
  }
  if (cpus !== undefined && !wholeIn(cpus, VM_LIMITS.cpus)) {
    fields.cpus = `a whole number from ${VM_LIMITS.cpus.min} to ${VM_LIMITS.cpus.max}`;
  }
  if (diskGiB !== undefined && !wholeIn(diskGiB, VM_LIMITS.diskGiB)) {
    fields.diskGiB = `a whole number of GiB from ${VM_LIMITS.diskGiB.min} to ${VM_LIMITS.diskGiB.max}`;
  }
  if (request.sshUser !== undefined && !(typeof request.sshUser === 'string' && isGuestUser(request.sshUser))) {
    fields.sshUser = 'a user name of the image: lower-case letters, digits, dots, dashes or underscores (at most 32)';
  }
  if (request.hypervisor !== undefined && !['qemu', 'fusion', 'hyperv'].includes(request.hypervisor)) {
    fields.hypervisor = 'qemu, fusion or hyperv';
  }
  if (request.architecture !== undefined && !['amd64', 'arm64'].includes(request.architecture)) {
    fields.architecture = 'amd64 or arm64';
  }
  if (request.cloudInit !== undefined && typeof request.cloudInit !== 'boolean') {
    fields.cloudInit = 'true or false';
  }
  return fields;
}

/** Whether the VM gets a NoCloud seed, why, and whether its last start attached one. */
export function cloudInitText(vm: Pick<VmRecord, 'cloudInit' | 'cloudInitSeed'>): string {
  if (!vm.cloudInit) return '';
  const { seed, reason } = vm.cloudInit;
  if (!seed) return `no NoCloud seed (${reason})`;
  return `${vm.cloudInitSeed ? `NoCloud seed attached (${vm.cloudInitSeed})` : 'NoCloud seed at each start'} — ${reason}`;
}

/** A slice of a VM's serial console output, read by byte offset. */
export interface ConsoleChunk {
  /** The text (UTF-8, decoded leniently). */
  data: string;
  /** Where the next read starts. */
  next: number;
}

/** A slice of an SSH terminal's output, read by offset. */
export interface TerminalChunk {
  data: string;
  next: number;
  /** The shell ended (the user logged out, the VM went away): nothing more comes. */
  ended: boolean;
  /** Why it could not open, or ended. */
  error?: string;
  /** VM_PASSWORD_NEEDED when none of the user's keys got in and a password would (log in, then open it again). */
  code?: string;
}

/** The disk types a VM boots, best first. */
export const VM_BOOTABLE_TYPES = ['qcow2', 'raw', 'vmdk'] as const;

/** What a VM boots of a build, best first: a disk, else an installer ISO (installed on first start). */
export const VM_SOURCE_TYPES: readonly string[] = [...VM_BOOTABLE_TYPES, ...ISO_IMAGE_TYPES];

/** Whether a build can be launched as a VM here: finished on this machine, with a bootable disk or ISO still its own. */
export function canLaunchVm(record: Pick<DiskBuildRecord, 'status' | 'remote' | 'artifacts'>): boolean {
  return (
    record.status === 'succeeded' &&
    !record.remote &&
    record.artifacts.some(
      artifact =>
        VM_SOURCE_TYPES.includes(artifact.type) && artifact.state !== 'missing' && artifact.state !== 'replaced',
    )
  );
}

/** Whether the build's VM would boot its installer ISO (it has no disk a VM boots). */
export function launchesInstaller(record: Pick<DiskBuildRecord, 'artifacts'>): boolean {
  return !record.artifacts.some(artifact => (VM_BOOTABLE_TYPES as readonly string[]).includes(artifact.type));
}

/** The page that opens Launch VM for a build. */
export function launchVmRoute(buildId: string): string {
  return `/vms?launch=${encodeURIComponent(buildId)}`;
}
