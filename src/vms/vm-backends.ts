/** The hypervisors this host offers besides QEMU: VMware Fusion on a Mac where it is installed. */

import { existsSync } from 'node:fs';

import type { Hypervisor } from '../api/vms';
import { fusionBackend } from './fusion/fusion-backend';
import { findFusionTools } from './fusion/fusion-vmrun';
import { findQemuImg } from './qemu/qemu-discovery';
import type { VmBackend } from './vm-backend';

export function hostBackends(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<Exclude<Hypervisor, 'qemu'>, VmBackend>> {
  if (platform !== 'darwin') return {};
  const tools = findFusionTools(existsSync, env);
  if (!tools.vmrun) return {};
  return {
    fusion: fusionBackend({ tools, qemuImg: findQemuImg(), hostArch: process.arch === 'arm64' ? 'arm64' : 'x64' }),
  };
}
