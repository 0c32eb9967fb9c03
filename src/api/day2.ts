/**
 * Day 2 of a VM: what its update tool says it booted and has staged, and the actions that change
 * it (check for an update, stage it, apply it with a reboot, switch to another image, roll back;
 * on rpm-ostree hosts also apply live and reset to the image). The update tool is found on the
 * guest: bootc when it reports a booted image, else rpm-ostree, else neither (SSH only).
 * Each action is a job (see JobsApi) whose detail is the status read after it.
 */

/** One image a deployment was made from, as the status panel shows it. */
export interface DeployedImage {
  /** The image reference (`quay.io/me/os:1`). */
  image: string;
  /** How it is fetched: `registry`, `containers-storage`, `oci`, … */
  transport?: string;
  version?: string;
  /** When the image was made (ISO 8601), as its config says. */
  timestamp?: string;
  /** `sha256:…` of the manifest. */
  digest?: string;
  architecture?: string;
}

/** One deployment on the machine: booted, staged (booted at the next reboot) or rollback. */
export interface Deployment {
  image?: DeployedImage;
  /** An update found by the last check and not yet staged. */
  cachedUpdate?: DeployedImage;
  /** Changed on the machine in ways its update tool cannot carry forward (layered packages). */
  incompatible: boolean;
  pinned: boolean;
  /** Staged with --download-only: it is not applied at the next reboot. */
  downloadOnly: boolean;
}

/** What manages the machine's operating system: the tool the update actions run. */
export type UpdateManager = 'bootc' | 'rpm-ostree' | 'none';

/** A bootc host, as `bootc status` describes it. */
export interface BootcHostStatus {
  manager: 'bootc';
  /** The image the machine follows for updates (`bootc switch` changes it). */
  tracked?: DeployedImage;
  booted?: Deployment;
  /** What the next reboot boots. */
  staged?: Deployment;
  rollback?: Deployment;
  /** The next reboot boots the rollback deployment. */
  rollbackQueued: boolean;
  /** When this was read (milliseconds since the epoch). */
  readAt: number;
}

/**
 * How an rpm-ostree host verifies the image it rebases to — the user's choice, never a default:
 * `unverified` (ostree-unverified-registry), `signed` (ostree-image-signed, the host's
 * containers policy), or `remote:NAME` (ostree-remote-image, the signing keys of ostree remote NAME).
 */
export type SignatureChoice = 'unverified' | 'signed' | `remote:${string}`;

export const SIGNATURE_CHOICE = /^(unverified|signed|remote:[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

/** A package replaced on the machine: the package now in place and the image's one it replaces. */
export interface PackageOverride {
  package: string;
  replaces?: string;
}

/** One rpm-ostree deployment: an image (or ostree commit) with what the machine layered on it. */
export interface RpmOstreeDeployment {
  /** rpm-ostree's id: `<osname>-<checksum>.<serial>`. */
  id?: string;
  osname?: string;
  /** The ostree commit. */
  checksum?: string;
  /** The container image it was made from (transport `registry` for `docker://`), when from one. */
  image?: DeployedImage;
  /** rpm-ostree's own spelling of it: `ostree-unverified-registry:quay.io/me/os:1`. */
  reference?: string;
  /** How that image is verified. */
  signature?: SignatureChoice;
  /** An ostree origin (`fedora:fedora/40/x86_64/silverblue`) when not made from a container image. */
  origin?: string;
  version?: string;
  /** ISO 8601. */
  timestamp?: string;
  booted: boolean;
  staged: boolean;
  pinned: boolean;
  /** Packages layered on the image (requested, from repositories). */
  packages: string[];
  /** Packages layered from local RPM files. */
  localPackages: string[];
  /** Packages of the image replaced by others. */
  overrides: PackageOverride[];
  /** Packages of the image removed. */
  removals: string[];
  /** Changes of another deployment applied to the running system (`apply-live`): that commit. */
  liveReplaced?: string;
}

/** An rpm-ostree host, as `rpm-ostree status --json` describes it. */
export interface RpmOstreeHostStatus {
  manager: 'rpm-ostree';
  /** The image (or origin) the next upgrade follows: the pending deployment's, else the booted one's. */
  tracked?: DeployedImage;
  trackedReference?: string;
  trackedSignature?: SignatureChoice;
  trackedOrigin?: string;
  booted?: RpmOstreeDeployment;
  /** What the next reboot boots: staged, or a newer deployment than the booted one. */
  pending?: RpmOstreeDeployment;
  /** What a rollback boots. */
  rollback?: RpmOstreeDeployment;
  /** An update found by the last check (`cached-update`). */
  cachedUpdate?: DeployedImage;
  /** The host's rpm-ostree has `apply-live`. */
  applyLive: boolean;
  readAt: number;
}

/** A machine whose image neither bootc nor rpm-ostree manages: reachable by SSH only. */
export interface UnmanagedHostStatus {
  manager: 'none';
  /** Why, as the guest answered. */
  reason: string;
  readAt: number;
}

export type HostStatus = BootcHostStatus | RpmOstreeHostStatus | UnmanagedHostStatus;

/** The actions on a running VM's image. */
export type Day2Action =
  | { kind: 'check' }
  | { kind: 'upgrade'; apply: boolean }
  | { kind: 'switch'; image: string; apply: boolean; signature?: SignatureChoice }
  | { kind: 'rollback'; apply: boolean }
  /** rpm-ostree: the pending deployment's changes on the running system, without a reboot. */
  | { kind: 'apply-live' }
  /** rpm-ostree: back to the plain image (drops layered packages, overrides and removals). */
  | { kind: 'reset'; apply: boolean };

/** The actions each manager offers. */
export const ACTIONS_OF: Record<UpdateManager, readonly Day2Action['kind'][]> = {
  bootc: ['check', 'upgrade', 'switch', 'rollback'],
  'rpm-ostree': ['check', 'upgrade', 'switch', 'rollback', 'apply-live', 'reset'],
  none: [],
};

/** What a day-2 job reports as its detail: the VM and the status read after the action. */
export interface Day2Detail {
  vmId: string;
  action: Day2Action['kind'];
  /** What manages the VM, once known. */
  manager?: UpdateManager;
  status?: HostStatus;
}

/** What a Rebuild & update job (kind vm-update-loop) reports as its detail. */
export interface UpdateLoopDetail {
  vmId: string;
  /** The reference the VM tracks, and where it is pushed from here (they differ for QEMU's 10.0.2.2). */
  tracked?: string;
  pushedRef?: string;
  pushedDigest?: string;
  /** The VM's status once it rebooted into the new image. */
  status?: HostStatus;
}

/** The short form of a digest, as a panel shows it: `sha256:0123456789ab`. */
export function shortDigest(digest: string | undefined): string | undefined {
  if (!digest) return undefined;
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['sha256', digest];
  return `${algorithm}:${hex.slice(0, 12)}`;
}
