/**
 * What the day-2 commands share: the day-2 service over the CLI's VMs, and the human view of a
 * VM's image status (what `vm status` prints, and the upgrade/switch/rollback commands after them)
 * for each manager: bootc, rpm-ostree, or neither.
 */

import type {
  BootcHostStatus,
  DeployedImage,
  Deployment,
  HostStatus,
  RpmOstreeDeployment,
  RpmOstreeHostStatus,
} from '../api/day2';
import { shortDigest } from '../api/day2';
import { Day2Service } from '../day2/day2-service';
import type { CliVms } from './vms';

export function openDay2(cli: CliVms): Day2Service {
  return new Day2Service({ vms: { get: id => cli.vms.get(id), sshTarget: vm => cli.sshTarget(vm) }, jobs: cli.jobs });
}

function imageText(image: DeployedImage | undefined): string {
  if (!image) return '(no image)';
  const parts = [image.image];
  if (image.version) parts.push(`version ${image.version}`);
  if (image.digest) parts.push(shortDigest(image.digest) as string);
  if (image.timestamp) parts.push(`built ${image.timestamp}`);
  return parts.join(', ');
}

function deploymentLines(label: string, deployment: Deployment | undefined, note = ''): string[] {
  if (!deployment) return [];
  const lines = [`${label.padEnd(10)} ${imageText(deployment.image)}${note}`];
  if (deployment.cachedUpdate) lines.push(`${''.padEnd(10)} update available: ${imageText(deployment.cachedUpdate)}`);
  if (deployment.incompatible) {
    lines.push(`${''.padEnd(10)} changed on the machine (layered packages): bootc cannot update it; use rpm-ostree`);
  }
  return lines;
}

const ETC_NOTE =
  'Local changes in /etc (a password set on the machine, say) are kept across updates and win over the image.';

function describeBootc(status: BootcHostStatus): string[] {
  return [
    'Managed by: bootc',
    `Tracks:    ${status.tracked ? status.tracked.image : '(nothing: not installed by bootc)'}`,
    ...deploymentLines('Booted:', status.booted),
    ...deploymentLines(
      'Staged:',
      status.staged,
      status.staged?.downloadOnly ? ' (downloaded only: not applied at reboot)' : ' (reboot to apply)',
    ),
    ...deploymentLines('Rollback:', status.rollback, status.rollbackQueued ? ' (boots at the next reboot)' : ''),
    ETC_NOTE,
  ];
}

const SIGNATURES: Record<string, string> = { unverified: 'unverified', signed: 'signed' };

/** `unverified`, `signed`, `signed by ostree remote NAME`. */
export function signatureText(signature: string | undefined): string | undefined {
  if (!signature) return undefined;
  return SIGNATURES[signature] ?? `signed, keys of ostree remote ${signature.slice('remote:'.length)}`;
}

function rpmOstreeLines(label: string, deployment: RpmOstreeDeployment | undefined, note = ''): string[] {
  if (!deployment) return [];
  const pad = ''.padEnd(10);
  const what = deployment.image
    ? imageText(deployment.image)
    : [
        deployment.origin ?? '(no origin)',
        deployment.version && `version ${deployment.version}`,
        deployment.timestamp && `built ${deployment.timestamp}`,
      ]
        .filter(Boolean)
        .join(', ');
  const lines = [`${label.padEnd(10)} ${what}${note}`];
  if (deployment.signature) lines.push(`${pad} verified: ${signatureText(deployment.signature)}`);
  if (deployment.packages.length > 0) lines.push(`${pad} layered packages: ${deployment.packages.join(', ')}`);
  if (deployment.localPackages.length > 0) lines.push(`${pad} local packages: ${deployment.localPackages.join(', ')}`);
  if (deployment.overrides.length > 0) {
    const overrides = deployment.overrides.map(o => (o.replaces ? `${o.package} (replaces ${o.replaces})` : o.package));
    lines.push(`${pad} overrides: ${overrides.join(', ')}`);
  }
  if (deployment.removals.length > 0) lines.push(`${pad} removed: ${deployment.removals.join(', ')}`);
  if (deployment.pinned) lines.push(`${pad} pinned`);
  if (deployment.liveReplaced)
    lines.push(`${pad} running changes applied live (commit ${deployment.liveReplaced.slice(0, 12)})`);
  return lines;
}

function describeRpmOstree(status: RpmOstreeHostStatus): string[] {
  const tracked = status.tracked
    ? `${status.tracked.image}${status.trackedSignature ? ` (${signatureText(status.trackedSignature)})` : ''}`
    : (status.trackedOrigin ?? '(nothing)');
  return [
    'Managed by: rpm-ostree',
    `Tracks:    ${tracked}`,
    ...rpmOstreeLines('Booted:', status.booted),
    ...(status.cachedUpdate ? [`${''.padEnd(10)} update available: ${imageText(status.cachedUpdate)}`] : []),
    ...rpmOstreeLines(
      'Pending:',
      status.pending,
      status.applyLive ? ' (reboot or apply live to use it)' : ' (reboot to apply)',
    ),
    ...rpmOstreeLines('Rollback:', status.rollback),
    ETC_NOTE,
  ];
}

export function describeStatus(status: HostStatus): string {
  const lines =
    status.manager === 'bootc'
      ? describeBootc(status)
      : status.manager === 'rpm-ostree'
        ? describeRpmOstree(status)
        : [
            'Managed by: neither bootc nor rpm-ostree',
            `           ${status.reason}`,
            'Its image cannot be updated from here: reach it with bootc-studio vm ssh.',
          ];
  return `${lines.join('\n')}\n`;
}
