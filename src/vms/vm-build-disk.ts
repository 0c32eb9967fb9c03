/**
 * The disk a VM boots from a finished build: its qcow2, else its raw image, else its vmdk (for
 * Hyper-V its VHD first), else its installer ISO (installed onto a new disk at the VM's first start) — only one that is still the
 * file the build wrote (a later build into the same folder may have replaced it), on this machine.
 * Each refusal says why and what to do.
 */

import { ISO_IMAGE_TYPES } from '../api/disk-build';
import type { Hypervisor, VmArchitecture } from '../api/vms';
import { VM_SOURCE_TYPES } from '../api/vms';
import { artifactState } from '../builds/artifacts';
import type { BuildStore } from '../builds/build-store';
import type { BuildDisk } from './vm-service';

export function buildDiskFinder(store: BuildStore): (buildId: string, hypervisor?: Hypervisor) => Promise<BuildDisk> {
  return async (buildId, hypervisor) => {
    const record = await store.read(buildId);
    if (record.status !== 'succeeded') {
      throw Object.assign(new Error(`build ${buildId} is ${record.status}: only a finished build can be booted`), {
        field: 'source',
      });
    }
    if (record.remote) {
      throw Object.assign(
        new Error(`build ${buildId} ran on ${record.engineName}, another machine: its disks are there, not here`),
        {
          field: 'source',
        },
      );
    }
    // Hyper-V takes the build's VHD as it is, before a disk it would have to convert.
    const types = hypervisor === 'hyperv' ? ['vhd', ...VM_SOURCE_TYPES] : VM_SOURCE_TYPES;
    const candidates = types.flatMap(type => record.artifacts.filter(artifact => artifact.type === type));
    if (candidates.length === 0) {
      throw Object.assign(
        new Error(
          `build ${buildId} made no disk a VM can boot (${record.request.types.join(', ')}): build a qcow2 or raw image, or an installer ISO`,
        ),
        { field: 'source' },
      );
    }
    const states = await Promise.all(candidates.map(artifact => artifactState(artifact)));
    const index = states.indexOf('present');
    if (index < 0) {
      throw Object.assign(
        new Error(
          `the disks of build ${buildId} are gone or were replaced by a later build (${candidates.map(a => a.path).join(', ')})`,
        ),
        { field: 'source' },
      );
    }
    const arch = record.request.arch as string;
    const architecture: VmArchitecture | undefined = arch === 'amd64' || arch === 'arm64' ? arch : undefined;
    const image = record.request.image;
    const chosen = candidates[index];
    const installer = (ISO_IMAGE_TYPES as readonly string[]).includes(chosen.type);
    const userKeys: Record<string, string[]> = {};
    for (const user of record.request.config?.users ?? []) {
      if (user.sshKey?.trim()) (userKeys[user.name] ??= []).push(user.sshKey.trim());
    }
    return {
      source: { kind: 'build', buildId, diskPath: chosen.path, imageRef: image, ...(installer ? { installer } : {}) },
      architecture,
      name: vmBaseName(image),
      userKeys,
    };
  };
}

/** `quay.io/me/my-os:1.2` → `my-os`: what a VM of that image is called before its number. */
export function vmBaseName(image: string): string {
  const last = image.split('@')[0].split('/').pop() ?? 'vm';
  const name = last
    .split(':')[0]
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return name.slice(0, 50) || 'vm';
}
