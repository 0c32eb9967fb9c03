/**
 * Day 2 of a running VM, over SSH with the VM's own key and its pinned host key: the status of its
 * image (from bootc, else rpm-ostree: see update-manager.ts), and the actions — check for an
 * update, stage it, apply it (the guest reboots: the job waits for SSH again, with the same host
 * key), switch to another image, roll back; on rpm-ostree also apply live and reset. Each action
 * is a job of kind `vm-update` whose live log is the guest's own output and whose detail ends with
 * the status read after it. Commands run as root: through `sudo -n` when the VM's user is another.
 */

import { setTimeout as sleep } from 'node:timers/promises';

import type { Client } from 'ssh2';

import type { Day2Action, Day2Detail, HostStatus } from '../api/day2';
import { SIGNATURE_CHOICE } from '../api/day2';
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
import { RPM_OSTREE_PREVIEW, rebaseReference, SIGNATURE_HELP } from './rpm-ostree-actions';
import { checkOffered, planAction, readHostStatus, UpdateManagerError } from './update-manager';

export const VM_UPDATE_KIND = 'vm-update';

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
  'apply-live': 'Applying the pending deployment live on',
  reset: 'Resetting to its image',
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
      if (action.image.startsWith('ostree-')) {
        throw new Day2Error(`bootc takes a plain image reference, not rpm-ostree's ${action.image}`);
      }
      if (action.signature?.startsWith('remote:')) {
        throw new Day2Error(
          "bootc verifies images by the host's containers policy: an ostree remote is an rpm-ostree choice",
        );
      }
      return [
        'bootc',
        'switch',
        ...(action.apply ? ['--apply'] : []),
        ...(action.signature === 'signed' ? ['--enforce-container-sigpolicy'] : []),
        action.image,
      ];
    case 'rollback':
      return ['bootc', 'rollback', ...(action.apply ? ['--apply'] : [])];
    case 'apply-live':
    case 'reset':
      throw new Day2Error(`${action.kind} is an rpm-ostree action: bootc has none`);
  }
}

/** The action with its fields checked; a ValidationError names the bad ones. */
export function checkDay2Action(action: Day2Action): Day2Action {
  const kinds = ['check', 'upgrade', 'switch', 'rollback', 'apply-live', 'reset'];
  if (!action || !kinds.includes(action.kind)) {
    throw new ValidationError([{ field: 'action', message: `one of ${kinds.join(', ')}` }]);
  }
  if (action.kind === 'switch') {
    if (action.signature !== undefined && !SIGNATURE_CHOICE.test(action.signature)) {
      throw new ValidationError([{ field: 'signature', message: SIGNATURE_HELP }]);
    }
    // A reference spelled as rpm-ostree reads it (ostree-…:) is checked that way (bootc refuses it later).
    const given = typeof action.image === 'string' ? action.image.trim() : action.image;
    if (typeof given === 'string' && given.startsWith('ostree-')) {
      rebaseReference(given, action.signature);
      return { ...action, image: given };
    }
    const plain = typeof given === 'string' && given.startsWith('docker://') ? given.slice('docker://'.length) : given;
    const image = imageReferenceSchema.safeParse(plain);
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

  /** What manages the VM and what its image is now: booted, staged (pending), rollback, tracked. */
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
    const apply = 'apply' in action && action.apply;
    const [first] = stepsOf(action);
    context.step(first, 'running');
    let client = await this.#connect(vm);
    try {
      // Which tool manages the guest decides the command (and whether it has the action at all).
      const before = await this.#readStatus(client, vm, context.signal);
      context.setDetail({ vmId, action: action.kind, manager: before.manager });
      checkOffered(before.manager, action, vm.name);
      const plan = planAction(before.manager as 'bootc' | 'rpm-ostree', action, bootcArgv);
      // A reboot is known by the kernel's boot id changing, not by SSH going away for a moment.
      const bootBefore = apply ? await this.#bootId(client, vm) : undefined;
      const argv = plan.argv;
      context.log(`$ ${shellCommand(argv)}`);
      // Real progress where the guest's bootc reports it (upgrade and switch download), else its output alone.
      const progress = plan.progress && (await this.#offersProgress(client, vm, argv));
      const result = await this.#exec(client, vm, argv, context, progress);
      if (!plan.succeeded(result.code) && !result.dropped) {
        throw new Day2Error(`${shellCommand(argv)} failed (exit status ${result.code}): ${lastLine(result)}`);
      }
      if (before.manager === 'rpm-ostree' && action.kind === 'check' && result.code === 0) {
        // An update is there: what it changes, package by package.
        context.log(`$ ${shellCommand(RPM_OSTREE_PREVIEW)}`);
        const preview = await this.#exec(client, vm, RPM_OSTREE_PREVIEW, context);
        if (!plan.succeeded(preview.code)) context.warn(`rpm-ostree upgrade --preview failed: ${lastLine(preview)}`);
      }
      context.step(first, 'succeeded');
      if (apply && !result.dropped && plan.nothingToDo.test(result.stdout)) {
        context.step('Rebooting', 'skipped', 'nothing to apply');
      } else if (apply) {
        context.step('Rebooting', 'running', `Waiting for VM ${vm.name} to boot again`);
        client.end();
        client = await this.#waitForReboot(vm, bootBefore as string, context);
        context.step('Rebooting', 'succeeded');
      }
      context.step('Reading the status', 'running');
      const status = await this.#readStatus(client, vm, context.signal);
      context.setDetail({ vmId, action: action.kind, manager: status.manager, status });
      context.step('Reading the status', 'succeeded');
      const summary = summaryOf(action, vm, status);
      return { detail: { vmId, action: action.kind, manager: status.manager, status }, summary, message: summary };
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
    try {
      return await readHostStatus(
        argv => execOverSsh(client, shellCommand(asRoot(vm, argv)), { signal }),
        vm.name,
        (this.#options.now ?? Date.now)(),
      );
    } catch (error: unknown) {
      throw error instanceof UpdateManagerError ? new Day2Error(error.message) : error;
    }
  }
}

function stepsOf(action: Day2Action): string[] {
  const first = {
    check: 'Checking for an update',
    upgrade: 'Staging the update',
    switch: `Switching to ${action.kind === 'switch' ? action.image : ''}`,
    rollback: 'Rolling back',
    'apply-live': 'Applying live',
    reset: 'Resetting to the image',
  }[action.kind];
  const apply = 'apply' in action && action.apply;
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
  if (status.manager === 'none') return `VM ${vm.name} is managed by neither bootc nor rpm-ostree`;
  const booted = status.booted?.image;
  const version = booted?.version ? ` ${booted.version}` : '';
  const cached = status.manager === 'bootc' ? status.booted?.cachedUpdate : status.cachedUpdate;
  const next = status.manager === 'bootc' ? status.staged : status.pending;
  const nextName = next?.image?.image ?? (status.manager === 'rpm-ostree' ? status.pending?.origin : undefined);
  switch (action.kind) {
    case 'check':
      return cached
        ? `VM ${vm.name}: an update is available (${cached.version ?? cached.digest ?? 'new image'})`
        : `VM ${vm.name} is up to date`;
    case 'apply-live':
      return `VM ${vm.name} runs the changes of ${nextName ?? 'the pending deployment'} live; a reboot boots it for good`;
    case 'upgrade':
    case 'switch':
    case 'rollback':
    case 'reset':
      if (action.apply) {
        const origin = status.manager === 'rpm-ostree' ? status.booted?.origin : undefined;
        return `VM ${vm.name} booted ${booted?.image ?? origin ?? 'its image'}${version}`;
      }
      if (next) return `VM ${vm.name}: ${nextName ?? 'an update'} is staged; it boots at the next reboot`;
      return action.kind === 'rollback' && status.manager === 'bootc' && status.rollbackQueued
        ? `VM ${vm.name} boots the rollback at the next reboot`
        : `VM ${vm.name}: nothing staged`;
  }
}
