/**
 * One start of a VM, as a job's runner: the record marked starting (by this process), the VM's
 * files and QEMU (vm-launch.ts), then a wait for the guest's SSH with the VM's key — the first
 * login after boot pins the guest's host key in the VM's known_hosts. A guest whose SSH never
 * answers still runs: the job ends with a warning that points at the console.
 */

import { readFile, rm, writeFile } from 'node:fs/promises';

import type { VmInfo } from '../api/vms';
import type { JobContext, JobEnd } from '../jobs/job-registry';
import { knownHostsLine, waitForSsh } from '../ssh/ssh-session';
import { isAlive, qemuRunning } from './qemu/qemu-process';
import type { LaunchOptions, LaunchResult, QemuHost } from './vm-launch';
import type { StoredVm, VmPaths, VmStore } from './vm-store';

export interface StartDeps {
  store: VmStore;
  host: QemuHost;
  now: () => number;
  sshTimeoutMs: number;
  write(vm: StoredVm): Promise<StoredVm>;
  info(vm: StoredVm): VmInfo;
  launch(vm: StoredVm, paths: VmPaths, host: QemuHost, options: LaunchOptions): Promise<LaunchResult>;
}

export async function runStart(
  deps: StartDeps,
  id: string,
  context: JobContext<VmInfo | undefined>,
): Promise<JobEnd<VmInfo | undefined>> {
  let vm = await deps.store.read(id);
  if (vm.runtime && (await qemuRunning(vm.runtime.pid, vm.runtime.qmpSocket))) {
    context.log(`VM ${vm.name} is running already`);
    for (const step of ['Preparing the disk', 'Booting', 'Waiting for SSH']) context.step(step, 'skipped');
    return { detail: deps.info(vm), summary: `VM ${vm.name} is running` };
  }
  const paths = await deps.store.makeDirs(id);
  vm = await deps.write({
    ...vm,
    state: 'starting',
    transition: { by: process.pid },
    lastError: undefined,
    hostKeyFingerprint: undefined,
    warnings: [],
  });
  context.setDetail(deps.info(vm));
  let current = '';
  try {
    const launched = await deps.launch(vm, paths, deps.host, {
      signal: context.signal,
      log: line => context.log(line),
      step: name => {
        if (current) context.step(current, 'succeeded');
        current = name;
        context.step(name, 'running');
      },
    });
    if (current) context.step(current, 'succeeded');
    for (const warning of launched.warnings) context.warn(warning);
    // A new boot may bring a new host key (the guest made one at first boot): pinned again below.
    await rm(`${paths.dir}/known_hosts`, { force: true });
    vm = await deps.write({
      ...vm,
      state: 'running',
      sshPort: launched.sshPort,
      acceleration: launched.acceleration,
      started: deps.now(),
      warnings: launched.warnings,
      runtime: { pid: launched.pid, qmpSocket: paths.qmpSocket, consoleSocket: paths.consoleSocket },
      transition: { by: process.pid },
    });
    context.setDetail(deps.info(vm));
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.write({ ...vm, state: 'stopped', transition: undefined, runtime: undefined, lastError: message });
    throw error;
  }

  context.step(
    'Waiting for SSH',
    'running',
    `Waiting for ${vm.sshUser}@127.0.0.1:${vm.sshPort} to let the VM's key in`,
  );
  const pid = vm.runtime?.pid as number;
  const { connection, lastError } = await waitForSsh(
    {
      host: '127.0.0.1',
      port: vm.sshPort as number,
      user: vm.sshUser,
      privateKey: await readFile(paths.key),
      readyTimeoutMs: 15_000,
    },
    { timeoutMs: deps.sshTimeoutMs, intervalMs: 1000, signal: context.signal, stillWorthIt: () => isAlive(pid) },
  );
  vm = await deps.write({ ...vm, transition: undefined });
  if (connection) {
    connection.client.end();
    const line = knownHostsLine('127.0.0.1', vm.sshPort as number, connection.hostKey);
    await writeFile(`${paths.dir}/known_hosts`, `${line}\n`, { mode: 0o600 });
    vm = await deps.write({ ...vm, hostKeyFingerprint: connection.hostKeyFingerprint });
    context.step('Waiting for SSH', 'succeeded', `${vm.sshUser}@127.0.0.1:${vm.sshPort} answers`);
  } else if (!isAlive(pid)) {
    const settled = await deps.write({
      ...vm,
      state: 'stopped',
      runtime: undefined,
      lastError: 'The VM stopped while booting: see its console.',
    });
    context.setDetail(deps.info(settled));
    throw new Error(`VM ${vm.name} stopped while booting: see its console`);
  } else {
    const why = context.signal.aborted
      ? 'the wait was cancelled'
      : `no login in ${Math.round(deps.sshTimeoutMs / 1000)} s`;
    context.step('Waiting for SSH', 'failed', why);
    context.warn(
      `SSH did not let the VM's key in (${lastError?.message ?? why}). The VM runs; its console shows how far it booted. ` +
        `Does the image have sshd and the user ${vm.sshUser}, and systemd 252 or later for the boot-time key?`,
    );
  }
  context.setDetail(deps.info(vm));
  return {
    detail: deps.info(vm),
    summary: `VM ${vm.name} is running`,
    message: vm.sshPort ? `SSH on 127.0.0.1:${vm.sshPort}` : undefined,
  };
}
