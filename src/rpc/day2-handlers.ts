/**
 * The day-2 room of the bridge: a VM's image status, the actions on it, and Rebuild & update.
 * Arguments are checked here (the action's fields by the day-2 room itself, which names the bad one).
 */

import type { Day2Action, HostStatus } from '../api/day2';
import type { Day2Api } from '../api/day2-api';
// Loaded at the first day-2 call, not at activation: with update-loop's builds and pushes they
// are ~40 KB the extension need not compile before the page asks (issue 12).
import type { Day2Service } from '../day2/day2-service';
import type { ContainerEngine } from '../engine/container-engine';
import type { ImageOperations } from '../images/image-operations';
import type { JobRegistry } from '../jobs/job-registry';
import type { VmService } from '../vms/vm-service';
import { checkAbsolutePath, checkId, checkTitle, refuse } from './argument-checks';

export interface Day2HandlersDeps {
  vms: VmService;
  jobs: JobRegistry;
  engine: ContainerEngine;
  operations: ImageOperations;
}

export class Day2Handlers implements Day2Api {
  #day2?: Promise<Day2Service>;
  readonly #deps: Day2HandlersDeps;

  constructor(deps: Day2HandlersDeps) {
    this.#deps = deps;
  }

  #service(): Promise<Day2Service> {
    const { vms, jobs } = this.#deps;
    return (this.#day2 ??= import('../day2/day2-service').then(({ Day2Service }) => new Day2Service({ vms, jobs })));
  }

  getVmStatus(vmId: unknown): Promise<HostStatus> {
    const id = checkId('vmId', vmId);
    return this.#service().then(day2 => day2.status(id));
  }

  async runVmAction(vmId: unknown, action: unknown): Promise<string> {
    const id = checkId('vmId', vmId);
    if (typeof action !== 'object' || action === null || Array.isArray(action)) {
      refuse('action', 'an action is an object with a kind');
    }
    const { kind, image, apply, signature } = action as Record<string, unknown>;
    if (apply !== undefined && typeof apply !== 'boolean') refuse('apply', 'true or false');
    if (signature !== undefined && typeof signature !== 'string') refuse('signature', 'a string');
    // Only the fields an action has go on: nothing else of the page's object reaches the guest.
    const checked = {
      kind,
      ...(kind === 'check' || kind === 'apply-live' ? {} : { apply: apply === true }),
      ...(kind === 'switch' ? { image, ...(signature === undefined ? {} : { signature }) } : {}),
    } as Day2Action;
    return (await this.#service()).run(id, checked).id;
  }

  async rebuildAndUpdateVm(vmId: unknown, source: unknown): Promise<string> {
    const id = checkId('vmId', vmId);
    const { contextDir, containerfile, ignoreLintErrors, applyLive } = (
      typeof source === 'object' && source !== null ? source : {}
    ) as Record<string, unknown>;
    const { checkUpdateLoopRequest, startUpdateLoop } = await import('../day2/update-loop');
    const request = await checkUpdateLoopRequest({
      vmId: id,
      contextDir: checkAbsolutePath('contextDir', contextDir),
      ...(ignoreLintErrors === true ? { ignoreLintErrors: true } : {}),
      ...(applyLive === true ? { applyLive: true } : {}),
      ...(containerfile === undefined || containerfile === ''
        ? {}
        : { containerfile: checkTitle('containerfile', containerfile) }),
    });
    await this.#deps.vms.get(id);
    await this.#deps.vms.rememberUpdateSource(id, {
      contextDir: request.contextDir,
      containerfile: request.containerfile,
    });
    return startUpdateLoop({ ...this.#deps, day2: await this.#service() }, request).id;
  }
}
