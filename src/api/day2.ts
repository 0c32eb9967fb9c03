/**
 * Day 2 of a VM: what its update tool says it booted and has staged, and the actions that change
 * it (check for an update, stage it, apply it with a reboot, switch to another image, roll back).
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

export type UpdateTool = 'bootc';

export interface HostStatus {
  tool: UpdateTool;
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

/** The actions on a running VM's image. */
export type Day2Action =
  | { kind: 'check' }
  | { kind: 'upgrade'; apply: boolean }
  | { kind: 'switch'; image: string; apply: boolean }
  | { kind: 'rollback'; apply: boolean };

/** What a day-2 job reports as its detail: the VM and the status read after the action. */
export interface Day2Detail {
  vmId: string;
  action: Day2Action['kind'];
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
