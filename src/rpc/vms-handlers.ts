/**
 * The VMs room of the bridge: list, launch, start, stop, delete, the serial console read and
 * typed, and SSH terminals opened, read, typed into, resized and closed. Arguments are checked here; the vms room does the work.
 */

import type { ConsoleChunk, HypervisorChoice, LaunchVmRequest, TerminalChunk, VmInfo } from '../api/vms';
import type { VmsApi } from '../api/vms-api';
import type { VmService } from '../vms/vm-service';
import { BUILDER_PRESETS, type BuilderPreset } from '../api/disk-build';
import type { DiskBuildService } from '../builds/disk-build-service';
import type { ContainerEngine } from '../engine/container-engine';
import type { JobRegistry } from '../jobs/job-registry';
import { runImageAsVm } from '../vms/vm-image-run';
import { VmTerminals } from '../vms/vm-terminals';
import { checkId, checkTitle, refuse } from './argument-checks';

/** The most a page may type in one call: a paste of a few lines, not a file. */
const MAX_CONSOLE_INPUT = 64 * 1024;

export interface VmsHandlersDeps {
  vms: VmService;
  jobs: JobRegistry;
  engine: ContainerEngine;
  builds: DiskBuildService;
  /** The builder preference; anything but a preset's name counts as unset. */
  defaultBuilder?(): unknown;
  /** The open SSH terminals (one set per bridge). */
  terminals?: VmTerminals;
}

export class VmsHandlers implements VmsApi {
  readonly #terminals: VmTerminals;

  constructor(private readonly deps: VmsHandlersDeps) {
    this.#terminals = deps.terminals ?? new VmTerminals();
  }

  async runImageAsVm(image: unknown, engineId?: unknown): Promise<string> {
    const ref = checkTitle('image', image);
    const engine = engineId === undefined || engineId === null ? undefined : checkId('engineId', engineId);
    const chosen = this.deps.defaultBuilder?.();
    const builder =
      typeof chosen === 'string' && Object.hasOwn(BUILDER_PRESETS, chosen) ? (chosen as BuilderPreset) : 'centos';
    return runImageAsVm({ ...this.deps, storeDir: this.deps.vms.store.storeDir, builder: () => builder }, ref, engine)
      .id;
  }

  listVms(): Promise<{ vms: VmInfo[]; problems: { id: string; message: string }[] }> {
    return this.deps.vms.list();
  }

  async launchVm(request: unknown): Promise<{ vmId: string; jobId: string }> {
    if (typeof request !== 'object' || request === null || Array.isArray(request))
      refuse('request', 'a VM request is an object');
    // The vms room checks each field and names the bad ones.
    const vm = await this.deps.vms.create(request as LaunchVmRequest);
    return { vmId: vm.id, jobId: this.deps.vms.start(vm.id).id };
  }

  async listHypervisors(): Promise<HypervisorChoice[]> {
    return this.deps.vms.hypervisors();
  }

  async startVm(vmId: unknown): Promise<string> {
    const id = checkId('vmId', vmId);
    await this.deps.vms.get(id);
    return this.deps.vms.start(id).id;
  }

  async stopVm(vmId: unknown): Promise<string> {
    const id = checkId('vmId', vmId);
    await this.deps.vms.get(id);
    return this.deps.vms.stop(id).id;
  }

  async deleteVm(vmId: unknown): Promise<void> {
    await this.deps.vms.remove(checkId('vmId', vmId));
  }

  readVmConsole(vmId: unknown, from: unknown): Promise<ConsoleChunk> {
    if (typeof from !== 'number' || !Number.isInteger(from)) refuse('from', 'a whole number of bytes');
    return this.deps.vms.readConsole(checkId('vmId', vmId), from);
  }

  async writeVmConsole(vmId: unknown, data: unknown): Promise<void> {
    if (typeof data !== 'string' || data.length > MAX_CONSOLE_INPUT) {
      refuse('data', `console input is text of at most ${MAX_CONSOLE_INPUT} characters`);
    }
    await this.deps.vms.writeConsole(checkId('vmId', vmId), data);
  }

  async logInToVm(vmId: unknown, password: unknown): Promise<VmInfo> {
    if (typeof password !== 'string' || password.length > 4096 || password.includes('\0')) {
      throw Object.assign(new Error('password: text of at most 4096 characters, without NUL'), { field: 'password' });
    }
    return this.deps.vms.logIn(checkId('vmId', vmId), password);
  }

  async openVmTerminal(vmId: unknown, rows: unknown, cols: unknown): Promise<string> {
    // Every argument is checked before the VM is looked at.
    const [id, height, width] = [checkId('vmId', vmId), checkSize('rows', rows), checkSize('cols', cols)];
    const vm = await this.deps.vms.get(id);
    if (vm.state !== 'running' || !vm.sshPort) throw new Error(`VM ${vm.name} is ${vm.state}: start it first`);
    return this.#terminals.open(vm, height, width);
  }

  async readVmTerminal(terminalId: unknown, from: unknown): Promise<TerminalChunk> {
    if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) refuse('from', 'an offset of 0 or more');
    return this.#terminals.read(checkId('terminalId', terminalId), from);
  }

  async writeVmTerminal(terminalId: unknown, data: unknown): Promise<void> {
    if (typeof data !== 'string' || data.length > MAX_CONSOLE_INPUT) {
      refuse('data', `terminal input is text of at most ${MAX_CONSOLE_INPUT} characters`);
    }
    this.#terminals.write(checkId('terminalId', terminalId), data);
  }

  async resizeVmTerminal(terminalId: unknown, rows: unknown, cols: unknown): Promise<void> {
    this.#terminals.resize(checkId('terminalId', terminalId), checkSize('rows', rows), checkSize('cols', cols));
  }

  async closeVmTerminal(terminalId: unknown): Promise<void> {
    this.#terminals.close(checkId('terminalId', terminalId));
  }
}

/** A terminal's rows or columns: what a window can show. */
function checkSize(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value > 1000) {
    refuse(field, 'a whole number from 2 to 1000');
  }
  return value;
}
