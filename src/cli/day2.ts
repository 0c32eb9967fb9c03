/**
 * What the day-2 commands share: the day-2 service over the CLI's VMs, and the human view of a
 * VM's image status (what `vm status` prints, and the upgrade/switch/rollback commands after them).
 */

import type { DeployedImage, Deployment, HostStatus } from '../api/day2';
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

export function describeStatus(status: HostStatus): string {
  const lines = [
    `Managed by: ${status.tool}`,
    `Tracks:    ${status.tracked ? status.tracked.image : '(nothing: not installed by bootc)'}`,
    ...deploymentLines('Booted:', status.booted),
    ...deploymentLines(
      'Staged:',
      status.staged,
      status.staged?.downloadOnly ? ' (downloaded only: not applied at reboot)' : ' (reboot to apply)',
    ),
    ...deploymentLines('Rollback:', status.rollback, status.rollbackQueued ? ' (boots at the next reboot)' : ''),
    'Local changes in /etc (a password set on the machine, say) are kept across updates and win over the image.',
  ];
  return `${lines.join('\n')}\n`;
}
