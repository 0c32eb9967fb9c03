/**
 * Day 2 of a running VM, over SSH with the VM's own key and its pinned host key: the status of its
 * image (`bootc status`), and the actions — check for an update, stage it, apply it (the guest
 * reboots: the job waits for SSH again, with the same host key), switch to another image, roll
 * back. Each action is a job of kind `vm-update` whose live log is the guest's own output and whose
 * detail ends with the status read after it. Commands run as root: through `sudo -n` when the VM's
 * user is another.
 */

import { setTimeout as sleep } from 'node:timers/promises';

import type { Client } from 'ssh2';

import type { Day2Action, Day2Detail, HostStatus } from '../api/day2';
import type { Job } from '../api/jobs';
import { imageReferenceSchema } from '../api/validation';
import { ValidationError } from '../api/validation';
import { VM_PASSWORD_NEEDED, type VmInfo } from '../api/vms';
import type { JobContext, JobRegistry } from '../jobs/job-registry';
import { LineSplitter } from '../platform/process';
import { shellCommand } from '../platform/shell-quote';
import {
  connectWithKey,
  execOverSsh,
  HostKeyChangedError,
  LoginRefusedError,
  waitForSsh,
  type ExecResult,
  type KeySshTarget,
} from '../ssh/ssh-session';
import { offersProgressFd, progressOf } from './bootc-progress';
import { BOOTC_STATUS_COMMANDS, isUnknownFlag, parseBootcStatus } from './bootc-status';

export const VM_UPDATE_KIND = 'vm-update';

/** What bootc prints when an apply has nothing to apply (no reboot follows). */
const NOTHING_TO_DO = /No update available|No changes in/;

/** What day 2 needs of the VMs room. */
export interface Day2Vms {
  get(id: string): Promise<VmInfo>;
  /** How to log in: the VM's own key, or the user's keys and a typed password. */
  sshTarget(vm: VmInfo): Promise<KeySshTarget>;
}

export interface Day2ServiceOptions {
  vms: Day2Vms;
  jobs: JobRegistry;
  /** How long a reboot may take before SSH answers again. Default 10 minutes (emulated guests are slow). */
  rebootTimeoutMs?: number;
  now?: () => number;
}

const TITLES: Record<Day2Action['kind'], string> = {
  check: 'Checking for an update of',
  upgrade: 'Updating',
  switch: 'Switching',
  rollback: 'Rolling back',
};

export class Day2Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Day2Error';
  }
}

/** The argv of an action, as bootc takes it. */
export function bootcArgv(action: Day2Action): string[] {
  switch (action.kind) {
    case 'check':
      return ['bootc', 'upgrade', '--check'];
    case 'upgrade':
      return ['bootc', 'upgrade', ...(action.apply ? ['--apply'] : [])];
    case 'switch':
      return ['bootc', 'switch', ...(action.apply ? ['--apply'] : []), action.image];
    case 'rollback':
      return ['bootc', 'rollback', ...(action.apply ? ['--apply'] : [])];
  }
}

/** The action with its fields checked; a ValidationError names the bad ones. */
export function checkDay2Action(action: Day2Action): Day2Action {
  const kinds = ['check', 'upgrade', 'switch', 'rollback'];
  if (!action || !kinds.includes(action.kind)) {
    throw new ValidationError([{ field: 'action', message: `one of ${kinds.join(', ')}` }]);
  }
  if (action.kind === 'switch') {
    const image = imageReferenceSchema.safeParse(action.image);
    if (!image.success) throw new ValidationError([{ field: 'image', message: image.error.issues[0].message }]);
    return { ...action, image: image.data };
  }
  return action;
}

export class Day2Service {
  readonly #options: Day2ServiceOptions;

  constructor(options: Day2ServiceOptions) {
    this.#options = options;
  }

  /** What the VM's image is now: booted, staged, rollback, tracked. */
  async status(vmId: string, signal?: AbortSignal): Promise<HostStatus> {
    const vm = await this.#running(vmId);
    const client = await this.#connect(vm);
    try {
      return await this.#readStatus(client, vm, signal);
    } finally {
      client.end();
    }
  }

  /** Runs the action as a job; its id at once. */
  run(vmId: string, requested: Day2Action): Job {
    const action = checkDay2Action(requested);
    return this.#options.jobs.start<Day2Detail>({
      kind: VM_UPDATE_KIND,
      title: `${TITLES[action.kind]} VM ${vmId}`,
      subject: vmId,
      detail: { vmId, action: action.kind },
      steps: stepsOf(action),
      run: context => this.#runAction(vmId, action, context),
    });
  }

  async #runAction(vmId: string, action: Day2Action, context: JobContext<Day2Detail>) {
    const vm = await this.#running(vmId);
    const apply = action.kind !== 'check' && action.apply;
    const [first] = stepsOf(action);
    context.step(first, 'running');
    let client = await this.#connect(vm);
    try {
      // A reboot is known by the kernel's boot id changing, not by SSH going away for a moment.
      const bootBefore = apply ? await this.#bootId(client, vm) : undefined;
      const argv = bootcArgv(action);
      context.log(`$ ${shellCommand(argv)}`);
      // Real progress where the guest's bootc reports it (upgrade and switch download), else its output alone.
      const progress =
        (action.kind === 'upgrade' || action.kind === 'switch') && (await this.#offersProgress(client, vm, argv));
      const result = await this.#exec(client, vm, argv, context, progress);
      if (result.code !== 0 && !result.dropped) {
        throw new Day2Error(`${shellCommand(argv)} failed (exit status ${result.code}): ${lastLine(result)}`);
      }
      context.step(first, 'succeeded');
      if (apply && !result.dropped && NOTHING_TO_DO.test(result.stdout)) {
        context.step('Rebooting', 'skipped', 'nothing to apply');
      } else if (apply) {
        context.step('Rebooting', 'running', `Waiting for VM ${vm.name} to boot again`);
        client.end();
        client = await this.#waitForReboot(vm, bootBefore as string, context);
        context.step('Rebooting', 'succeeded');
      }
      context.step('Reading the status', 'running');
      const status = await this.#readStatus(client, vm, context.signal);
      context.setDetail({ vmId, action: action.kind, status });
      context.step('Reading the status', 'succeeded');
      const summary = summaryOf(action, vm, status);
      return { detail: { vmId, action: action.kind, status }, summary, message: summary };
    } finally {
      client.end();
    }
  }

  async #bootId(client: Client, vm: VmInfo): Promise<string> {
    const result = await execOverSsh(client, shellCommand(['cat', '/proc/sys/kernel/random/boot_id']));
    const id = result.stdout.trim();
    if (result.code !== 0 || !id) throw new Day2Error(`cannot read the boot id of VM ${vm.name}: ${lastLine(result)}`);
    return id;
  }

  async #running(vmId: string): Promise<VmInfo> {
    const vm = await this.#options.vms.get(vmId);
    if (vm.state !== 'running' || !vm.sshPort) throw new Day2Error(`VM ${vm.name} is ${vm.state}: start it first`);
    return vm;
  }

  async #connect(vm: VmInfo): Promise<Client> {
    try {
      return (await connectWithKey(await this.#options.vms.sshTarget(vm))).client;
    } catch (error: unknown) {
      throw connectionError(vm, error);
    }
  }

  /** After `--apply`: SSH again once the guest runs a new boot, its host key the same as before the reboot. */
  async #waitForReboot(vm: VmInfo, bootBefore: string, context: JobContext<Day2Detail>): Promise<Client> {
    const deadline = Date.now() + (this.#options.rebootTimeoutMs ?? 10 * 60_000);
    const target = await this.#options.vms.sshTarget(vm);
    let lastError: Error | undefined;
    while (Date.now() < deadline && !context.signal.aborted) {
      await sleep(2000);
      const waited = await waitForSsh(target, {
        timeoutMs: deadline - Date.now(),
        intervalMs: 1000,
        signal: context.signal,
      });
      if (!waited.connection) {
        lastError = waited.lastError;
        if (lastError instanceof HostKeyChangedError) throw connectionError(vm, lastError);
        break;
      }
      const client = waited.connection.client;
      const booted = await this.#bootId(client, vm).catch(() => bootBefore);
      if (booted !== bootBefore) return client;
      // The old boot still answers: the reboot has not begun.
      client.end();
    }
    if (context.signal.aborted) throw new Day2Error('the wait for the reboot was cancelled');
    throw new Day2Error(
      `VM ${vm.name} did not come back after the reboot (${lastError?.message ?? 'it still runs the old boot'}): see its console`,
    );
  }

  /** Runs `argv` as root, its output line by line into the job's log; with `progress`, bootc's events on fd 3 as the job's progress. */
  async #exec(client: Client, vm: VmInfo, argv: readonly string[], context?: JobContext<Day2Detail>, progress = false) {
    const lines = new LineSplitter();
    const take = (line: string) => {
      const update = progress ? progressOf(line) : undefined;
      if (update) context?.progress(update.percent, update.message);
      else context?.log(line);
    };
    // fd 3 joins the output: a shell opens it, inside sudo (which closes every descriptor above 2).
    const command = progress
      ? shellCommand(asRoot(vm, ['sh', '-c', `exec ${shellCommand([...argv, '--progress-fd', '3'])} 3>&1`]))
      : shellCommand(asRoot(vm, argv));
    const result = await execOverSsh(client, command, {
      signal: context?.signal,
      onOutput: text => {
        for (const line of lines.push(text)) take(line);
      },
    });
    for (const line of lines.end()) take(line);
    return result;
  }

  async #offersProgress(client: Client, vm: VmInfo, argv: readonly string[]): Promise<boolean> {
    const help = await execOverSsh(client, shellCommand(asRoot(vm, [...argv.slice(0, 2), '--help'])));
    return help.code === 0 && offersProgressFd(help.stdout);
  }

  async #readStatus(client: Client, vm: VmInfo, signal?: AbortSignal): Promise<HostStatus> {
    let last: ExecResult | undefined;
    for (const argv of BOOTC_STATUS_COMMANDS) {
      last = await execOverSsh(client, shellCommand(asRoot(vm, argv)), { signal });
      if (last.code === 0) return parseBootcStatus(last.stdout, (this.#options.now ?? Date.now)());
      if (last.code === 127 || /command not found|not found/.test(last.stderr)) {
        throw new Day2Error(`VM ${vm.name} has no bootc: its image is not a bootable container managed by bootc`);
      }
      if (!isUnknownFlag(last.stderr)) break;
    }
    throw new Day2Error(`bootc status failed on VM ${vm.name}: ${last ? lastLine(last) : 'no answer'}`);
  }
}

function stepsOf(action: Day2Action): string[] {
  const first = {
    check: 'Checking for an update',
    upgrade: 'Staging the update',
    switch: `Switching to ${action.kind === 'switch' ? action.image : ''}`,
    rollback: 'Rolling back',
  }[action.kind];
  const apply = action.kind !== 'check' && action.apply;
  return [first, ...(apply ? ['Rebooting'] : []), 'Reading the status'];
}

function asRoot(vm: VmInfo, argv: readonly string[]): string[] {
  return vm.sshUser === 'root' ? [...argv] : ['sudo', '-n', ...argv];
}

function lastLine(result: ExecResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1) ?? '';
  return text || 'no output';
}

function connectionError(vm: VmInfo, error: unknown): Error {
  if (error instanceof HostKeyChangedError) {
    return new Day2Error(
      `VM ${vm.name} answered with another host key than at its boot (${error.message}): refusing to log in. If the guest was reinstalled, stop and start the VM to pin its new key.`,
    );
  }
  const failed = new Day2Error(`cannot log in to VM ${vm.name}: ${(error as Error).message}`);
  if (error instanceof LoginRefusedError && error.passwordWouldHelp) {
    return Object.assign(failed, { code: VM_PASSWORD_NEEDED });
  }
  return failed;
}

function summaryOf(action: Day2Action, vm: VmInfo, status: HostStatus): string {
  const booted = status.booted?.image;
  const version = booted?.version ? ` ${booted.version}` : '';
  switch (action.kind) {
    case 'check':
      return status.booted?.cachedUpdate
        ? `VM ${vm.name}: an update is available (${status.booted.cachedUpdate.version ?? status.booted.cachedUpdate.digest ?? 'new image'})`
        : `VM ${vm.name} is up to date`;
    case 'upgrade':
    case 'switch':
    case 'rollback':
      if (action.apply) return `VM ${vm.name} booted ${booted?.image ?? 'its image'}${version}`;
      return status.staged
        ? `VM ${vm.name}: ${status.staged.image?.image ?? 'an update'} is staged; it boots at the next reboot`
        : action.kind === 'rollback' && status.rollbackQueued
          ? `VM ${vm.name} boots the rollback at the next reboot`
          : `VM ${vm.name}: nothing staged`;
  }
}
