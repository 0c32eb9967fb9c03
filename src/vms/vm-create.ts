/**
 * A launch request made into a new VM record (stopped): its source (a build's disk, or a disk or
 * installer ISO given by path), its name, its settings with their defaults, the public keys the
 * build gave its SSH user, and the cloud-init choice — each refusal naming its field.
 */

import type { Hypervisor, LaunchVmRequest, VmRecord, VmSource } from '../api/vms';
import { VM_DEFAULTS } from '../api/vms';
import { ValidationError } from '../api/validation';
import { HYPERVISOR_NAMES, type VmBackend } from './vm-backend';
import { chosenCloudInit, decideCloudInit } from './vm-cloud-init';
import { diskFileProblem, isIsoImage } from './vm-disk-file';
import { checkLaunchRequest } from './vm-request';
import type { BuildDisk } from './vm-service';
import { newVmId, type StoredVm } from './vm-store';

export interface NewVmDeps {
  buildDisk(buildId: string, hypervisor?: Hypervisor): Promise<BuildDisk>;
  backends: Partial<Record<Hypervisor, VmBackend>>;
  now: () => number;
}

/** A checked new VM, to be named among the VMs there are (names are unique) under the store's lock. */
export type UnnamedVm = (records: readonly VmRecord[]) => StoredVm;

export async function newVmRecord(request: LaunchVmRequest, deps: NewVmDeps): Promise<UnnamedVm> {
  const checked = checkLaunchRequest(request);
  let source: VmSource;
  let architecture = checked.architecture;
  let baseName: string;
  let authorizedKeys: string[] | undefined;
  const sshUser = checked.sshUser ?? VM_DEFAULTS.sshUser;
  if ('buildId' in checked.source) {
    const disk = await deps.buildDisk(checked.source.buildId, checked.hypervisor);
    source = checked.source.imageId ? { ...disk.source, imageId: checked.source.imageId } : disk.source;
    architecture ??= disk.architecture;
    baseName = disk.name;
    authorizedKeys = disk.userKeys?.[sshUser];
  } else {
    const diskPath = checked.source.diskPath;
    const problem = await diskFileProblem(diskPath);
    if (problem) throw new ValidationError([{ field: 'source', message: problem }]);
    source = { kind: 'disk', diskPath, ...((await isIsoImage(diskPath)) ? { installer: true } : {}) };
    baseName = 'vm';
  }
  if (checked.diskGiB !== undefined && !source.installer) {
    throw new ValidationError([
      {
        field: 'diskGiB',
        message: 'only an installer ISO gets a new disk: a built disk keeps the size it was built with',
      },
    ]);
  }
  const id = newVmId();
  const record: StoredVm = {
    id,
    name: checked.name ?? baseName,
    source,
    hypervisor: checked.hypervisor ?? 'qemu',
    architecture: architecture ?? (process.arch === 'arm64' ? 'arm64' : 'amd64'),
    memoryMiB: checked.memoryMiB ?? VM_DEFAULTS.memoryMiB,
    cpus: checked.cpus ?? VM_DEFAULTS.cpus,
    sshUser,
    ...(authorizedKeys?.length ? { authorizedKeys } : {}),
    state: 'stopped',
    created: deps.now(),
    warnings: [],
    ...(source.installer ? { diskGiB: checked.diskGiB ?? VM_DEFAULTS.diskGiB } : {}),
    // A build's image is looked into at the first start, unless the launch chose.
    ...(checked.cloudInit !== undefined
      ? { cloudInit: chosenCloudInit(checked.cloudInit) }
      : source.kind === 'disk'
        ? { cloudInit: (await decideCloudInit(source, undefined)).decision }
        : {}),
  };
  const backend = deps.backends[record.hypervisor];
  const unavailable = backend
    ? backend.unavailable()
    : `${HYPERVISOR_NAMES[record.hypervisor]} is not offered on this host`;
  if (unavailable) throw new ValidationError([{ field: 'hypervisor', message: unavailable }]);
  if (source.installer && !backend?.installs) {
    throw new ValidationError([
      {
        field: 'hypervisor',
        message: `${HYPERVISOR_NAMES[record.hypervisor]} does not run installer ISOs here: choose QEMU, or build a disk image`,
      },
    ]);
  }
  if (checked.cloudInit && !backend?.attachesSeed) {
    throw new ValidationError([
      {
        field: 'cloudInit',
        message: `${HYPERVISOR_NAMES[record.hypervisor]} VMs get no cloud-init seed here: choose QEMU, or build the key into the image`,
      },
    ]);
  }
  return records => {
    if (checked.name === undefined) return { ...record, name: uniqueName(baseName, records) };
    if (records.some(other => other.name === record.name)) {
      throw new ValidationError([
        { field: 'name', message: `a VM named ${JSON.stringify(record.name)} exists already` },
      ]);
    }
    return record;
  };
}

function uniqueName(base: string, records: readonly VmRecord[]): string {
  const taken = new Set(records.map(record => record.name));
  for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}
