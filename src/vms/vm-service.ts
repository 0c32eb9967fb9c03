/**
 * The VMs: records on disk, started and stopped as jobs (`vm-start`, `vm-stop`), found again by any
 * Bootc Studio process. What a record says is checked against the world whenever it is read: a VM
 * recorded as running whose QEMU is gone is shown stopped, with that said; a start or stop whose
 * process died half-way is settled from whether QEMU runs (a QEMU that such a start launched but
 * never recorded is stopped: it would hold the VM's disk).
 */

import { rm } from 'node:fs/promises';

import type { Job } from '../api/jobs';
import type { Hypervisor, HypervisorChoice, LaunchVmRequest, VmInfo, VmRecord, VmSource, VmState } from '../api/vms';
import type { JobRegistry } from '../jobs/job-registry';
import { Listeners } from '../jobs/listeners';
import { qemuBackend } from './qemu/qemu-backend';
import { isAlive } from './qemu/qemu-process';
import { HYPERVISOR_NAMES, type VmBackend } from './vm-backend';
import { hostBackends } from './vm-backends';
import { readConsole, ConsoleWriter } from './vm-console';
import { newVmRecord } from './vm-create';
import { realQemuHost, type QemuHost } from './vm-launch';
import { decideCloudInit, type CloudInitProbe } from './vm-cloud-init';
import { sshCommandOf } from './vm-request';
import { tryPassword, vmHasOwnKey, vmPasswords, vmSshTarget, type VmPasswords } from './vm-login';
import { pinHostKey, runStart, SSH_STEP, type StartDeps } from './vm-start';
import { VmStore, type StoredVm } from './vm-store';

export const VM_START_KIND = 'vm-start';
export const VM_STOP_KIND = 'vm-stop';

/** A build's disk, as a VM needs it. */
export interface BuildDisk {
  source: Extract<VmSource, { kind: 'build' }>;
  architecture?: VmRecord['architecture'];
  name: string;
  /** The SSH public keys the build's config gave each user, by user name. */
  userKeys?: Record<string, string[]>;
}

export interface VmServiceOptions {
  storeDir: string;
  jobs: JobRegistry;
  /** The disk of a finished build; throws when the build has none this host can boot. */
  buildDisk(buildId: string, hypervisor?: Hypervisor): Promise<BuildDisk>;
  /** What QEMU needs of this host (tests replace parts of it). */
  host?: QemuHost;
  /**
   * Looks for cloud-init in a build's image before a VM of it first starts (a NoCloud seed is
   * attached when found). Absent: such VMs get a seed only when it is chosen at launch.
   */
  cloudInitProbe?: CloudInitProbe;
  /**
   * The other hypervisors this host offers, by name; default: VMware Fusion on a Mac where it is
   * installed, Hyper-V on Windows. QEMU's is made from `host` unless given (tests give one that keeps
   * the VM's key to itself, as Fusion must).
   */
  backends?: Partial<Record<Hypervisor, VmBackend>>;
  now?: () => number;
  /** How long a start waits for the guest's SSH. Default by acceleration: 3 minutes with KVM or HVF, 10 emulated. */
  sshTimeoutMs?: number;
  /** How long a stop waits for the guest to power off after the power button. Default 90 s. */
  powerdownTimeoutMs?: number;
  /** Where typed passwords are held (in memory); default the process's one store. */
  passwords?: VmPasswords;
}

export interface VmChange {
  id: string;
}

type Stored = StoredVm;

export class VmService {
  readonly store: VmStore;
  readonly #options: VmServiceOptions;
  readonly #backends: Partial<Record<Hypervisor, VmBackend>>;
  readonly #now: () => number;
  readonly #listeners = new Listeners<VmChange>();
  readonly #writers = new Map<string, ConsoleWriter>();
  readonly #busy = new Map<string, Promise<unknown>>();
  readonly #passwords: VmPasswords;

  constructor(options: VmServiceOptions) {
    this.#options = options;
    this.store = new VmStore(options.storeDir);
    this.#backends = {
      ...(options.backends ?? hostBackends(process.platform, process.env, options.storeDir)),
      qemu: options.backends?.qemu ?? qemuBackend(options.host ?? realQemuHost()),
    };
    this.#now = options.now ?? Date.now;
    this.#passwords = options.passwords ?? vmPasswords;
  }

  onDidChange(listener: (change: VmChange) => void): { dispose(): void } {
    return this.#listeners.add(listener);
  }

  /** Every VM as it is now, newest first, with the records that could not be read. */
  async list(): Promise<{ vms: VmInfo[]; problems: { id: string; message: string }[] }> {
    const { records, problems } = await this.store.list();
    const vms = await Promise.all(records.map(record => this.#settle(record as Stored)));
    return { vms: vms.map(vm => this.#info(vm)), problems };
  }

  async get(id: string): Promise<VmInfo> {
    return this.#info(await this.#settle((await this.store.read(id)) as Stored));
  }

  /** Makes a VM record (stopped) from a build or a disk file. */
  async create(request: LaunchVmRequest): Promise<VmInfo> {
    // Names are unique: chosen and written under the store's lock (the CLI and the extension share it).
    const named = await newVmRecord(request, {
      buildDisk: this.#options.buildDisk,
      backends: this.#backends,
      now: this.#now,
    });
    const record = await this.store.exclusive(async () => {
      const made = named((await this.store.list()).records);
      await this.store.makeDirs(made.id);
      await this.store.write(made);
      return made;
    });
    this.#listeners.emit({ id: record.id });
    return this.#info(record);
  }

  /** Starts the VM as a job; the job ends once QEMU runs it and its SSH answered (or did not in time). */
  start(id: string): Job {
    return this.#options.jobs.start<VmInfo | undefined>({
      kind: VM_START_KIND,
      title: `Starting VM ${id}`,
      subject: id,
      detail: undefined,
      steps: ['Preparing the disk', 'Booting', SSH_STEP],
      run: context =>
        this.#exclusive(id, async () =>
          runStart(this.#startDeps(this.#backendOf(await this.store.read(id))), id, context),
        ),
      summarize: job => (job.status === 'succeeded' ? `VM ${job.detail?.name ?? id} is running` : undefined),
    });
  }

  /** Stops the VM as a job: the power button, then QMP quit, then SIGTERM. */
  stop(id: string): Job {
    return this.#options.jobs.start<VmInfo | undefined>({
      kind: VM_STOP_KIND,
      title: `Stopping VM ${id}`,
      subject: id,
      detail: undefined,
      run: context =>
        this.#exclusive(id, async () => {
          const vm = (await this.store.read(id)) as Stored;
          const backend = this.#backendOf(vm);
          if (!vm.runtime || !(await backend.running(vm.runtime))) {
            context.log(`VM ${vm.name} is not running`);
            return {
              detail: await this.#write({ ...vm, state: 'stopped', runtime: undefined, transition: undefined }).then(
                v => this.#info(v),
              ),
            };
          }
          await this.#write({ ...vm, state: 'stopping', transition: { by: process.pid } });
          const how = await backend.stop(vm.runtime, {
            powerdownTimeoutMs: this.#options.powerdownTimeoutMs ?? 90_000,
            log: line => context.log(line),
            signal: context.signal,
          });
          context.log(how);
          const stopped = await this.#write({
            ...vm,
            state: 'stopped',
            stopped: this.#now(),
            runtime: undefined,
            transition: undefined,
            lastError: undefined,
          });
          this.#writers.get(id)?.close();
          this.#passwords.forget(id);
          return { detail: this.#info(stopped), summary: `VM ${vm.name} stopped` };
        }),
    });
  }

  /** Stops the VM if it runs, then removes its record and files (the built disk is not touched). */
  async remove(id: string): Promise<void> {
    const vm = (await this.store.read(id)) as Stored;
    if (vm.runtime && (await this.#backendOf(vm).running(vm.runtime))) {
      const job = this.stop(id);
      const ended = await this.#options.jobs.wait(job.id);
      if (ended.status !== 'succeeded')
        throw new Error(`VM ${vm.name} could not be stopped: ${ended.error?.message ?? ended.status}`);
    }
    const paths = this.store.pathsOf(id);
    this.#writers.get(id)?.close();
    this.#writers.delete(id);
    this.#passwords.forget(id);
    // Hyper-V keeps a VM of its own (with its disk in this VM's folder): removed before the folder.
    await this.#backends[vm.hypervisor]?.forget?.(id);
    await this.store.remove(id);
    if (paths.socketDir !== paths.dir) await rm(paths.socketDir, { recursive: true, force: true });
    this.#listeners.emit({ id });
  }

  /**
   * Logs into the running VM with its SSH user's password (its own key did not reach it, none of the
   * user's keys got in). A password that works is kept in this process's memory until the VM stops;
   * the first login since boot pins the host key. Refusals name `password`, never hold it.
   */
  async logIn(id: string, password: string): Promise<VmInfo> {
    const vm = await this.get(id);
    const connection = await tryPassword(vm, password);
    connection.client.end();
    this.#passwords.set(id, password);
    if (vm.hostKeyFingerprint) return vm;
    return this.#exclusive(id, async () => {
      const stored = (await this.store.read(id)) as Stored;
      return this.#info(await this.#write(await pinHostKey(stored, this.store.pathsOf(id).dir, connection)));
    });
  }

  /** Where and how to log into the running VM: its own key, else the user's keys and a typed password. */
  sshTarget(vm: VmInfo) {
    return vmSshTarget(vm, { passwords: this.#passwords });
  }

  /** Remembers where Rebuild & update built the VM's image from (offered again next time). */
  async rememberUpdateSource(id: string, from: NonNullable<VmRecord['updateFrom']>): Promise<void> {
    await this.#exclusive(id, async () => {
      const vm = (await this.store.read(id)) as Stored;
      await this.#write({ ...vm, updateFrom: from });
    });
  }

  /** Every hypervisor, and why this host cannot offer one (QEMU first, the default). */
  hypervisors(): HypervisorChoice[] {
    return (['qemu', 'fusion', 'hyperv'] as const).map(id => {
      const backend = this.#backends[id];
      const reason = backend ? backend.unavailable() : `${HYPERVISOR_NAMES[id]} is not offered on this host`;
      return {
        id,
        name: HYPERVISOR_NAMES[id],
        ...(reason ? { unavailable: reason } : {}),
        injectsKey: backend?.injectsKey ?? false,
      };
    });
  }

  /** Console output from byte `from` (negative: the last bytes). */
  readConsole(id: string, from: number) {
    return readConsole(this.store.pathsOf(id).consoleLog, from);
  }

  /** Typed input for the VM's serial console. */
  async writeConsole(id: string, data: string): Promise<void> {
    const vm = await this.get(id);
    if (vm.state !== 'running') throw new Error(`VM ${vm.name} is not running`);
    if (!this.#backendOf(vm).consoleInput) {
      throw new Error(`the console of ${HYPERVISOR_NAMES[vm.hypervisor]} VMs is read-only here: use SSH`);
    }
    let writer = this.#writers.get(id);
    if (!writer) this.#writers.set(id, (writer = new ConsoleWriter(this.store.pathsOf(id).consoleSocket)));
    await writer.write(data);
  }

  dispose(): void {
    for (const writer of this.#writers.values()) writer.close();
    this.#writers.clear();
  }

  #startDeps(backend: VmBackend): StartDeps {
    return {
      store: this.store,
      backend,
      now: this.#now,
      sshTimeoutMs: this.#options.sshTimeoutMs,
      decideCloudInit: (source, signal) => decideCloudInit(source, this.#options.cloudInitProbe, signal),
      write: (vm: Stored) => this.#write(vm),
      info: (vm: Stored) => this.#info(vm),
    };
  }

  /** The VM's hypervisor's back end; one this host no longer offers is an error that says so. */
  #backendOf(vm: Pick<VmRecord, 'hypervisor'>): VmBackend {
    const backend = this.#backends[vm.hypervisor];
    if (!backend) throw new Error(`${HYPERVISOR_NAMES[vm.hypervisor]} is not offered on this host`);
    return backend;
  }

  /** One start or stop of a VM at a time, in this process. */
  async #exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    const before = this.#busy.get(id) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    this.#busy.set(id, run);
    try {
      return await run;
    } finally {
      if (this.#busy.get(id) === run) this.#busy.delete(id);
    }
  }

  async #write(vm: Stored): Promise<Stored> {
    await this.store.write(vm);
    this.#listeners.emit({ id: vm.id });
    return vm;
  }

  /** The record as the world has it: a running VM whose QEMU is gone is stopped. */
  async #settle(vm: Stored): Promise<Stored> {
    if (vm.transition && isAlive(vm.transition.by)) return vm;
    const backend = this.#backends[vm.hypervisor];
    const running = vm.runtime && backend ? await backend.running(vm.runtime).catch(() => false) : false;
    const state: VmState = running ? 'running' : 'stopped';
    if (state === vm.state && !vm.transition) return vm;
    const settled: Stored = { ...vm, state, transition: undefined };
    if (!vm.runtime && vm.transition && backend?.leftover) {
      // A start that died after launching the hypervisor, before recording it: that process holds
      // the VM's disk (the next start could not open it) and nobody knows its SSH port. Stopped.
      const leftover = await backend.leftover(this.store.pathsOf(vm.id)).catch(() => undefined);
      if (leftover) {
        await backend.stop(leftover, { powerdownTimeoutMs: 0, log: () => undefined }).catch(() => undefined);
        settled.lastError = `The start of this VM was interrupted (the process that ran it ended) after ${HYPERVISOR_NAMES[vm.hypervisor]} had started: that ${HYPERVISOR_NAMES[vm.hypervisor]} was stopped. Start the VM again.`;
      }
    }
    if (!running) {
      settled.runtime = undefined;
      if (vm.state === 'running') {
        settled.stopped = this.#now();
        settled.lastError = `The VM's ${HYPERVISOR_NAMES[vm.hypervisor]} process ended without being stopped (the guest powered off, or it crashed: see its console).`;
      }
    }
    return this.#write(settled).catch(() => settled);
  }

  #info(vm: Stored): VmInfo {
    const { runtime: _runtime, transition: _transition, ...record } = vm;
    const paths = this.store.pathsOf(vm.id);
    const running = vm.state === 'running';
    return {
      ...record,
      sshKeyPath: paths.key,
      ...(running && vm.sshPort ? { sshCommand: sshCommandOf(vm, paths, vmHasOwnKey(vm)) } : {}),
      ...(running && vm.started ? { uptimeMs: Math.max(0, this.#now() - vm.started) } : {}),
    };
  }
}
