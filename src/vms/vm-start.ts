/**
 * One start of a VM, as a job's runner: the record marked starting (by this process), the VM's
 * files and its hypervisor (the back end's launch), then a wait for the guest's SSH — with the VM's
 * own key where the back end gives it at boot, else with the user's keys (vm-login.ts); the first
 * login after boot pins the guest's host key in the VM's known_hosts. A guest whose SSH never answers
 * still runs: the job ends with a warning that points at the console.
 */

import { rm, writeFile } from 'node:fs/promises';

import type { VmCloudInit, VmInfo, VmSource } from '../api/vms';
import type { JobContext, JobEnd } from '../jobs/job-registry';
import { knownHostsLine, LoginRefusedError, waitForSsh, type KeySshConnection } from '../ssh/ssh-session';
import type { VmBackend } from './vm-backend';
import { vmSshTarget } from './vm-login';
import type { StoredVm, VmStore } from './vm-store';

export const SSH_STEP = 'Waiting for SSH';

/** How long a guest may take to let SSH in: about 3 minutes with KVM or HVF, 10 emulated (TCG). */
export function sshBudgetMs(acceleration: StoredVm['acceleration']): number {
  return acceleration === 'kvm' || acceleration === 'hvf' ? 3 * 60_000 : 10 * 60_000;
}

export interface StartDeps {
  store: VmStore;
  backend: VmBackend;
  now: () => number;
  /** How long to wait for the guest's SSH; default by acceleration (sshBudgetMs). */
  sshTimeoutMs?: number;
  /**
   * Whether a VM with no cloud-init decision yet gets a NoCloud seed (its image looked into);
   * `keep` false when the look could not be made. Absent: the VM gets no seed until one is chosen.
   */
  decideCloudInit?(source: VmSource, signal: AbortSignal): Promise<{ decision: VmCloudInit; keep: boolean }>;
  write(vm: StoredVm): Promise<StoredVm>;
  info(vm: StoredVm): VmInfo;
}

export async function runStart(
  deps: StartDeps,
  id: string,
  context: JobContext<VmInfo | undefined>,
): Promise<JobEnd<VmInfo | undefined>> {
  const { backend } = deps;
  let vm = await deps.store.read(id);
  if (vm.runtime && (await backend.running(vm.runtime))) {
    context.log(`VM ${vm.name} is running already`);
    for (const step of [...backend.steps, SSH_STEP]) context.step(step, 'skipped');
    return { detail: deps.info(vm), summary: `VM ${vm.name} is running` };
  }
  const paths = await deps.store.makeDirs(id);
  vm = await deps.write({
    ...vm,
    state: 'starting',
    transition: { by: process.pid },
    lastError: undefined,
    hostKeyFingerprint: undefined,
    keyAtBoot: backend.injectsKey,
    warnings: [],
    cloudInitSeed: undefined,
  });
  context.setDetail(deps.info(vm));
  let current = '';
  try {
    // Decided once, before the first start; a look that could not be made holds for this start only.
    let launching = vm;
    if (!vm.cloudInit && deps.decideCloudInit && backend.attachesSeed) {
      const { decision, keep } = await deps.decideCloudInit(vm.source, context.signal);
      if (keep) vm = launching = await deps.write({ ...vm, cloudInit: decision });
      else launching = { ...vm, cloudInit: decision };
      // Said in the log only: the SMBIOS credential still brings the key to most guests.
      context.log(`cloud-init: ${decision.reason}${decision.seed ? ': a NoCloud seed is attached' : ''}`);
    }
    const launched = await backend.launch(launching, paths, {
      signal: context.signal,
      log: line => context.log(line),
      step: name => {
        if (current) context.step(current, 'succeeded');
        current = name;
        context.step(name, 'running');
      },
      installed: async () => {
        vm = await deps.write({ ...vm, installed: deps.now() });
      },
    });
    if (current) context.step(current, 'succeeded');
    for (const warning of launched.warnings) context.warn(warning);
    // A new boot may bring a new host key (the guest made one at first boot): pinned again below.
    await rm(`${paths.dir}/known_hosts`, { force: true });
    vm = await deps.write({
      ...vm,
      state: 'running',
      sshHost: launched.sshHost,
      sshPort: launched.sshPort,
      acceleration: launched.acceleration,
      started: deps.now(),
      warnings: launched.warnings,
      cloudInitSeed: launched.cloudInitSeed,
      runtime: launched.runtime,
      transition: { by: process.pid },
    });
    context.setDetail(deps.info(vm));
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.write({ ...vm, state: 'stopped', transition: undefined, runtime: undefined, lastError: message });
    throw error;
  }
  return waitForLogin(deps, vm, context);
}

/** The VM with the host key of its first login since boot, also written to its known_hosts (for OpenSSH). */
export async function pinHostKey(vm: StoredVm, dir: string, connection: KeySshConnection): Promise<StoredVm> {
  const line = knownHostsLine(vm.sshHost ?? '127.0.0.1', vm.sshPort as number, connection.hostKey);
  await writeFile(`${dir}/known_hosts`, `${line}\n`, { mode: 0o600 });
  return { ...vm, hostKeyFingerprint: connection.hostKeyFingerprint };
}

/** The wait for the guest's SSH, the host key pinned; the VM runs whatever the outcome. */
async function waitForLogin(
  deps: StartDeps,
  started: StoredVm,
  context: JobContext<VmInfo | undefined>,
): Promise<JobEnd<VmInfo | undefined>> {
  let vm = started;
  const paths = deps.store.pathsOf(vm.id);
  const budgetMs = deps.sshTimeoutMs ?? sshBudgetMs(vm.acceleration);
  const host = vm.sshHost ?? '127.0.0.1';
  const runtime = vm.runtime ?? {};
  const whose = deps.backend.injectsKey ? "the VM's key" : 'your key';
  context.step(SSH_STEP, 'running', `Waiting for ${vm.sshUser}@${host}:${vm.sshPort} to let ${whose} in`);
  const { connection, lastError } = await waitForSsh(
    { ...(await vmSshTarget(deps.info(vm))), readyTimeoutMs: 15_000 },
    {
      timeoutMs: budgetMs,
      intervalMs: 1000,
      signal: context.signal,
      stillWorthIt: () => deps.backend.running(runtime),
    },
  );
  vm = await deps.write({ ...vm, transition: undefined });
  if (connection) {
    connection.client.end();
    vm = await deps.write(await pinHostKey(vm, paths.dir, connection));
    context.step(SSH_STEP, 'succeeded', `${vm.sshUser}@${host}:${vm.sshPort} answers`);
  } else if (!(await deps.backend.running(runtime))) {
    const settled = await deps.write({
      ...vm,
      state: 'stopped',
      runtime: undefined,
      lastError: 'The VM stopped while booting: see its console.',
    });
    context.setDetail(deps.info(settled));
    throw new Error(`VM ${vm.name} stopped while booting: see its console`);
  } else if (lastError instanceof LoginRefusedError) {
    context.step(SSH_STEP, 'skipped', 'none of your keys was let in: log in with the password');
    context.warn(
      `${lastError.message}. The VM runs: its Terminal and Image tabs, and bootc-studio vm ssh, ask for the password of ${vm.sshUser}.`,
    );
  } else {
    const why = context.signal.aborted ? 'the wait was cancelled' : `no login in ${Math.round(budgetMs / 1000)} s`;
    context.step(SSH_STEP, 'failed', why);
    const ask = deps.backend.injectsKey
      ? `Does the image have sshd and the user ${vm.sshUser}, and systemd 252 or later for the boot-time key?`
      : `Does the image have sshd, and the user ${vm.sshUser} with your key or a password?`;
    context.warn(
      `SSH did not let ${whose} in (${lastError?.message ?? why}). The VM runs; its console shows how far it booted. ${ask}`,
    );
  }
  context.setDetail(deps.info(vm));
  return {
    detail: deps.info(vm),
    summary: `VM ${vm.name} is running`,
    message: vm.sshPort ? `SSH on ${host}:${vm.sshPort}` : undefined,
  };
}
