/**
 * How the image status panel words a VM's images: one line for an image (reference and version),
 * one for its details (digest, architecture, build time), rpm-ostree's verification choices and
 * deployments.
 */

import type { DeployedImage, RpmOstreeDeployment } from '../../src/api/day2';
import { shortDigest } from '../../src/api/day2';

export function imageText(image: DeployedImage | undefined): string {
  if (!image) return 'no image';
  return [image.image, image.version && `version ${image.version}`].filter(Boolean).join(', ');
}

function builtAt(timestamp: string | undefined): string | undefined {
  return timestamp && `built ${timestamp.replace('T', ' ').replace(/\.\d+|Z$/g, '')}`;
}

export function imageDetails(image: DeployedImage | undefined): string {
  if (!image) return '';
  return [shortDigest(image.digest), image.architecture, builtAt(image.timestamp)].filter(Boolean).join(' · ');
}

/** `unverified`, `signed`, `signed, keys of ostree remote NAME`. */
export function signatureText(choice: string | undefined): string {
  if (!choice) return '';
  if (choice === 'unverified' || choice === 'signed') return choice;
  return `signed, keys of ostree remote ${choice.slice('remote:'.length)}`;
}

/** The ways an rpm-ostree host can verify an image it switches to; the first is no choice yet. */
export const SIGNATURE_OPTIONS = [
  { value: '', label: 'Choose how it is verified…' },
  { value: 'unverified', label: 'Unverified (any image from the registry)' },
  { value: 'signed', label: "Signed (the host's containers policy)" },
  { value: 'remote', label: 'Signed with the keys of an ostree remote' },
];

export function deploymentText(deployment: RpmOstreeDeployment): string {
  if (deployment.image) return imageText(deployment.image);
  return [deployment.origin ?? 'no origin', deployment.version && `version ${deployment.version}`]
    .filter(Boolean)
    .join(', ');
}

export function deploymentDetails(deployment: RpmOstreeDeployment): string {
  return [
    deployment.image ? imageDetails(deployment.image) : builtAt(deployment.timestamp),
    deployment.signature && `verified: ${signatureText(deployment.signature)}`,
    deployment.pinned && 'pinned',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** What the machine changed on top of the deployment's image, one line per kind. */
export function deploymentChanges(deployment: RpmOstreeDeployment): [string, string][] {
  const changes: [string, string[]][] = [
    ['Layered packages', deployment.packages],
    ['Local packages', deployment.localPackages],
    [
      'Overrides',
      deployment.overrides.map(override =>
        override.replaces ? `${override.package} (replaces ${override.replaces})` : override.package,
      ),
    ],
    ['Removed', deployment.removals],
  ];
  return changes.filter(([, names]) => names.length > 0).map(([kind, names]) => [kind, names.join(', ')]);
}

export const STATUS_ROW = 'grid grid-cols-[9rem_1fr] gap-x-3 gap-y-0.5 py-1';
export const STATUS_NAME = 'text-sm font-semibold text-[var(--pd-content-sub-header)]';
