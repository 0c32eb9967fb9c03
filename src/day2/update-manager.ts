/**
 * Which tool manages a guest, found by asking it: bootc when `bootc status` (`--format=json`, or
 * `--json` on older guests) reports a booted image; else rpm-ostree when `rpm-ostree status --json`
 * answers; else neither (the machine is reached by SSH only). And, per manager, the command an
 * action runs and how its result reads. The commands run through `exec` (as root, over SSH).
 */

import type { Day2Action, HostStatus, UpdateManager } from '../api/day2';
import { ACTIONS_OF } from '../api/day2';
import type { ExecResult } from '../ssh/ssh-session';
import { BOOTC_STATUS_COMMANDS, isUnknownFlag, parseBootcStatus } from './bootc-status';
import { RPM_OSTREE_NOTHING_TO_DO, RPM_OSTREE_UNCHANGED, rpmOstreeArgv } from './rpm-ostree-actions';
import { offersApplyLive, parseRpmOstreeStatus, RPM_OSTREE_STATUS_COMMAND } from './rpm-ostree-status';

export type RunAsRoot = (argv: readonly string[]) => Promise<ExecResult>;

export class UpdateManagerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpdateManagerError';
  }
}

/** The command is not there (the shell's 127, or sudo's / the shell's words for it). */
export function isMissing(result: ExecResult): boolean {
  return result.code === 127 || /command not found|not found|No such file or directory/.test(result.stderr);
}

export function lastLine(result: ExecResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1) ?? '';
  return text || 'no output';
}

/**
 * Reads the guest's status from whichever tool manages it. A connection that closes meanwhile (the
 * guest rebooting into an update) is said as such, not taken for "no bootc, no rpm-ostree".
 */
export async function readHostStatus(run: RunAsRoot, vmName: string, readAt: number): Promise<HostStatus> {
  const exec: RunAsRoot = async argv => {
    const result = await run(argv);
    if (result.dropped) {
      throw new UpdateManagerError(
        `the SSH connection to VM ${vmName} closed while its status was read (is it rebooting?): ask again once it is up`,
      );
    }
    return result;
  };
  let bootc: string | undefined;
  let bootcFailure: string | undefined;
  for (const argv of BOOTC_STATUS_COMMANDS) {
    const result = await exec(argv);
    if (result.code === 0) {
      const status = parseBootcStatus(result.stdout, readAt);
      if (status.booted) return status;
      bootc = 'bootc reports no booted image';
      break;
    }
    if (isMissing(result)) {
      bootc = 'no bootc';
      break;
    }
    if (!isUnknownFlag(result.stderr)) {
      bootcFailure = `bootc status failed: ${lastLine(result)}`;
      break;
    }
  }

  const rpmOstree = await exec(RPM_OSTREE_STATUS_COMMAND);
  if (rpmOstree.code === 0) {
    const help = await exec(['rpm-ostree', '--help']);
    return parseRpmOstreeStatus(rpmOstree.stdout, help.code === 0 && offersApplyLive(help.stdout), readAt);
  }
  // A failing bootc (sudo refused, say) with no rpm-ostree to ask instead is an error, not an answer.
  if (bootcFailure && isMissing(rpmOstree)) throw new UpdateManagerError(`${bootcFailure} on VM ${vmName}`);
  const rpm = isMissing(rpmOstree) ? 'no rpm-ostree' : `rpm-ostree status failed: ${lastLine(rpmOstree)}`;
  return {
    manager: 'none',
    reason: `${bootcFailure ?? bootc ?? 'no bootc'}; ${rpm}`,
    readAt,
  };
}

/** Refuses an action the manager does not offer, saying which one manages the VM. */
export function checkOffered(manager: UpdateManager, action: Day2Action, vmName: string): void {
  if (manager === 'none') {
    throw new UpdateManagerError(
      `VM ${vmName} is managed by neither bootc nor rpm-ostree: its image cannot be updated from here (reach it by SSH)`,
    );
  }
  if (!ACTIONS_OF[manager].includes(action.kind)) {
    throw new UpdateManagerError(
      `${action.kind} is an rpm-ostree action and VM ${vmName} is managed by ${manager}: ${ACTIONS_OF[manager].join(', ')} are offered`,
    );
  }
}

/** How an action runs on a manager: its argv, and how its exit status and output read. */
export interface ActionPlan {
  argv: string[];
  /** bootc's --progress-fd may be asked for. */
  progress: boolean;
  /** The exit statuses that are success. */
  succeeded: (code: number) => boolean;
  /** Output saying there was nothing to do (an apply then skips the reboot). */
  nothingToDo: RegExp;
}

/** What bootc prints when an apply has nothing to apply. */
const BOOTC_NOTHING_TO_DO = /No update available|No changes in/;

export function planAction(
  manager: Exclude<UpdateManager, 'none'>,
  action: Day2Action,
  bootcArgv: (action: Day2Action) => string[],
): ActionPlan {
  if (manager === 'bootc') {
    return {
      argv: bootcArgv(action),
      progress: action.kind === 'upgrade' || action.kind === 'switch',
      succeeded: code => code === 0,
      nothingToDo: BOOTC_NOTHING_TO_DO,
    };
  }
  return {
    argv: rpmOstreeArgv(action),
    progress: false,
    // `upgrade --check` says "no update" with 77.
    succeeded: code => code === 0 || (action.kind === 'check' && code === RPM_OSTREE_UNCHANGED),
    nothingToDo: RPM_OSTREE_NOTHING_TO_DO,
  };
}
