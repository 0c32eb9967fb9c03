/**
 * "Rebuild & update": the seed's edit → build → push → `bootc upgrade` (or `rpm-ostree upgrade`) →
 * reboot (or, on rpm-ostree, apply live) loop as one job of kind `vm-update-loop`. It reads the image the VM tracks, builds it again from the Containerfile
 * folder under that reference, lints it (`bootc container lint`: errors stop it unless the user
 * goes on anyway), pushes it, has the VM upgrade to it and reboot, and ends by comparing
 * the digest the VM booted with the one just pushed. It stops at the first failure, saying which
 * step failed and why.
 *
 * A VM under QEMU's user networking reaches this machine as 10.0.2.2: a VM tracking
 * `10.0.2.2:5000/os:1` is updated by pushing to `127.0.0.1:5000/os:1` (plain HTTP: a registry on
 * this machine). A VM tracking a `localhost/…` reference or the engine's own store cannot pull the
 * result at all: that is refused at once, with what to do.
 */

import type { BootcHostStatus, Day2Detail, HostStatus, RpmOstreeHostStatus, UpdateLoopDetail } from '../api/day2';
import { shortDigest } from '../api/day2';
import type { Job } from '../api/jobs';
import { ValidationError } from '../api/validation';
import type { VmInfo } from '../api/vms';
import type { ContainerEngine } from '../engine/container-engine';
import { registryOf } from '../engine/registry-auth';
import { resolveBuildFiles } from '../images/containerfile';
import { startBuild } from '../images/image-build';
import { lintImage } from '../images/image-lint';
import type { ImageOperations } from '../images/image-operations';
import { startPush } from '../images/image-transfer';
import type { JobContext, JobRegistry } from '../jobs/job-registry';
import type { Day2Service, Day2Vms } from './day2-service';

export const VM_UPDATE_LOOP_KIND = 'vm-update-loop';

/** QEMU user networking's address of the host, as a guest sees it. */
const QEMU_HOST_ALIAS = '10.0.2.2';

export interface UpdateLoopRequest {
  vmId: string;
  /** The folder built from (the build context). */
  contextDir: string;
  /** Relative to contextDir; default Containerfile, then Dockerfile. */
  containerfile?: string;
  /** The engine to build and push on; default the first running one. */
  engineId?: string;
  /** Go on when `bootc container lint` finds errors (they are listed as warnings then). */
  ignoreLintErrors?: boolean;
  /** rpm-ostree hosts: apply the update live (`rpm-ostree apply-live`) instead of rebooting. */
  applyLive?: boolean;
}

export interface UpdateLoopDeps {
  engine: ContainerEngine;
  operations: ImageOperations;
  jobs: JobRegistry;
  vms: Day2Vms;
  day2: Day2Service;
}

export const UPDATE_LOOP_STEPS = [
  'Reading what the VM tracks',
  'Building',
  'Linting',
  'Pushing',
  'Updating the VM',
  'Checking what it booted',
] as const;

/**
 * Where to push so that a VM tracking `tracked` pulls it: the same reference, or this machine's
 * loopback for QEMU's host alias. A refusal (ValidationError on `tracked`) when the VM cannot pull.
 */
export function pushTargetOf(tracked: (BootcHostStatus | RpmOstreeHostStatus)['tracked']): {
  ref: string;
  local: boolean;
} {
  if (!tracked) {
    throw new ValidationError([
      { field: 'tracked', message: 'the VM tracks no image: switch it to a pushed reference first' },
    ]);
  }
  const registry = registryOf(tracked.image);
  if (
    (tracked.transport && tracked.transport !== 'registry') ||
    registry === undefined ||
    registry === 'localhost' ||
    registry.startsWith('localhost:')
  ) {
    throw new ValidationError([
      {
        field: 'tracked',
        message:
          `the VM tracks ${tracked.image}${tracked.transport && tracked.transport !== 'registry' ? ` (${tracked.transport})` : ''}, ` +
          'which it cannot pull from: push the image to a registry it reaches (this machine is 10.0.2.2 to a QEMU VM) and switch the VM to that reference',
      },
    ]);
  }
  const host = registry.replace(/:\d+$/, '');
  if (host === QEMU_HOST_ALIAS) return { ref: `127.0.0.1${tracked.image.slice(host.length)}`, local: true };
  return { ref: tracked.image, local: false };
}

/** The request with its folder and Containerfile found; a ValidationError names a missing one (nothing started). */
export async function checkUpdateLoopRequest(request: UpdateLoopRequest): Promise<UpdateLoopRequest> {
  const files = await resolveBuildFiles(request.contextDir, request.containerfile);
  return { ...request, ...files };
}

export function startUpdateLoop(deps: UpdateLoopDeps, request: UpdateLoopRequest): Job {
  return deps.jobs.start<UpdateLoopDetail>({
    kind: VM_UPDATE_LOOP_KIND,
    title: `Rebuilding and updating VM ${request.vmId}`,
    subject: request.vmId,
    detail: { vmId: request.vmId },
    steps: [...UPDATE_LOOP_STEPS],
    run: context => runLoop(deps, request, context),
  });
}

async function runLoop(deps: UpdateLoopDeps, request: UpdateLoopRequest, context: JobContext<UpdateLoopDetail>) {
  const [reading, building, linting, pushing, updating, checking] = UPDATE_LOOP_STEPS;
  const detail: UpdateLoopDetail = { vmId: request.vmId };
  const vm: VmInfo = await deps.vms.get(request.vmId);

  context.step(reading, 'running');
  const before = managed(await deps.day2.status(vm.id, context.signal), vm);
  if (request.applyLive && before.manager !== 'rpm-ostree') {
    throw new Error(`VM ${vm.name} is managed by ${before.manager}: only rpm-ostree applies an update live`);
  }
  detail.tracked = before.tracked?.image;
  const target = pushTargetOf(before.tracked);
  detail.pushedRef = target.ref;
  context.setDetail({ ...detail });
  context.step(
    reading,
    'succeeded',
    target.local ? `${before.tracked?.image}, pushed here as ${target.ref}` : before.tracked?.image,
  );

  context.step(building, 'running', `Building ${target.ref} from ${request.contextDir}`);
  const buildId = await startBuild(deps, {
    contextDir: request.contextDir,
    ...(request.containerfile ? { containerfile: request.containerfile } : {}),
    tag: target.ref,
    platforms: [`linux/${vm.architecture}`],
    buildArgs: {},
    noCache: false,
    pull: false,
    ...(request.engineId ? { engineId: request.engineId } : {}),
  });
  const built = await follow(deps, buildId, context);
  if (built.status !== 'succeeded') throw new Error(`the build failed: ${built.error ?? built.status}`);
  context.step(building, 'succeeded', built.imageId ? `image ${built.imageId.slice(0, 12)}` : undefined);

  context.step(linting, 'running', `bootc container lint in ${target.ref} (no network)`);
  const lint = await lintImage(deps.engine, built.engineId, target.ref, context.signal);
  for (const line of lint.output) context.log(line);
  for (const warning of lint.warnings) context.warn(warning);
  if (!lint.checked) {
    context.step(linting, 'skipped', "the image's bootc cannot lint (bootc container lint is newer)");
  } else if (lint.errors.length > 0 && !request.ignoreLintErrors) {
    throw new Error(
      `bootc container lint found ${lint.errors.length === 1 ? 'an error' : `${lint.errors.length} errors`} in ${target.ref}: ${lint.errors.join('; ')} (fix the Containerfile, or go on anyway)`,
    );
  } else {
    for (const error of lint.errors) context.warn(`Gone on despite: ${error}`);
    context.step(
      linting,
      'succeeded',
      lint.errors.length + lint.warnings.length === 0
        ? 'no findings'
        : `${counted(lint.errors.length, 'error')}, ${counted(lint.warnings.length, 'warning')}`,
    );
  }

  context.step(pushing, 'running', `Pushing ${target.ref}`);
  const pushId = await startPush(deps, {
    ref: target.ref,
    engineId: built.engineId,
    ...(target.local ? { tlsVerify: false } : {}),
  });
  const pushed = await follow(deps, pushId, context);
  if (pushed.status !== 'succeeded') throw new Error(`the push failed: ${pushed.error ?? pushed.status}`);
  detail.pushedDigest = pushed.digest;
  context.setDetail({ ...detail });
  context.step(pushing, 'succeeded', pushed.digest ? shortDigest(pushed.digest) : undefined);

  const how =
    before.manager === 'bootc'
      ? 'bootc upgrade --apply'
      : request.applyLive
        ? 'rpm-ostree upgrade, then rpm-ostree apply-live'
        : 'rpm-ostree upgrade --reboot';
  context.step(updating, 'running', `${how} on ${vm.name}`);
  let status: HostStatus | undefined;
  for (const action of request.applyLive
    ? [{ kind: 'upgrade', apply: false } as const, { kind: 'apply-live' } as const]
    : [{ kind: 'upgrade', apply: true } as const]) {
    const upgrade = deps.day2.run(vm.id, action);
    const upgraded = await followJob(deps.jobs, upgrade.id, context);
    if (upgraded.status !== 'succeeded') {
      throw new Error(`the update of VM ${vm.name} failed: ${upgraded.error?.message ?? upgraded.status}`);
    }
    status = (upgraded.detail as Day2Detail | undefined)?.status;
  }
  detail.status = status;
  context.setDetail({ ...detail });
  context.step(updating, 'succeeded');

  context.step(checking, 'running');
  // Applied live, the new image is the pending deployment whose changes the booted one runs.
  const running =
    request.applyLive && status?.manager === 'rpm-ostree' && status.booted?.liveReplaced
      ? status.pending
      : status && status.manager !== 'none'
        ? status.booted
        : undefined;
  const booted = running?.image?.digest;
  if (pushed.digest && booted !== pushed.digest) {
    throw new Error(
      `VM ${vm.name} booted ${shortDigest(booted) ?? 'no image digest'}, not the image just pushed (${shortDigest(pushed.digest)}): ` +
        'did it pull from another registry, or was the registry changed meanwhile?',
    );
  }
  const message =
    `VM ${vm.name} runs ${before.tracked?.image} ${shortDigest(booted) ?? ''}, the image just built and pushed`.trim();
  context.step(checking, 'succeeded', shortDigest(booted));
  return { detail, summary: message, message };
}

/** The status of a VM an update tool manages; an error saying so for one it does not. */
function managed(status: HostStatus, vm: VmInfo): BootcHostStatus | RpmOstreeHostStatus {
  if (status.manager === 'none') {
    throw new Error(
      `VM ${vm.name} is managed by neither bootc nor rpm-ostree (${status.reason}): it cannot be updated`,
    );
  }
  return status;
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Waits for an image operation (a job of the operations' registry), its log forwarded into the loop's log. */
async function follow(deps: UpdateLoopDeps, id: string, context: JobContext<UpdateLoopDetail>) {
  await followJob(deps.operations.jobs, id, context);
  return deps.operations.wait(id);
}

/** Waits for a job of the registry, its log forwarded into the loop's log as it comes. */
async function followJob(jobs: JobRegistry, id: string, context: JobContext<UpdateLoopDetail>): Promise<Job> {
  let cursor = 0;
  let reading = Promise.resolve();
  // One read at a time, each from where the last ended: no line twice, none lost.
  const pump = () =>
    (reading = reading.then(async () => {
      const chunk = await jobs.readLog(id, cursor);
      for (const line of chunk.lines) context.log(line);
      cursor = chunk.next;
    }));
  const onAbort = () => void jobs.cancel(id).catch(() => undefined);
  context.signal.addEventListener('abort', onAbort, { once: true });
  const subscription = jobs.onDidChange(change => {
    if (change.id === id) void pump().catch(() => undefined);
  });
  try {
    const ended = await jobs.wait(id);
    await pump();
    return ended;
  } finally {
    subscription.dispose();
    context.signal.removeEventListener('abort', onAbort);
  }
}
