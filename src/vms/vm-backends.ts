/**
 * The hypervisors this host offers besides QEMU: VMware Fusion on a Mac where it is installed,
 * Hyper-V on Windows (whether it is turned on is Hyper-V's own answer, read when it is used).
 */

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { win32 } from 'node:path';

import type { Hypervisor } from '../api/vms';
import { findExecutable } from '../platform/executables';
import { fusionBackend } from './fusion/fusion-backend';
import { findFusionTools } from './fusion/fusion-vmrun';
import { hypervBackend } from './hyperv/hyperv-backend';
import { windowsPowerShell } from './hyperv/hyperv-commands';
import { findQemuImg } from './qemu/qemu-discovery';
import type { VmBackend } from './vm-backend';

/** qemu-img.exe on PATH, or where QEMU for Windows installs it. */
function findWindowsQemuImg(env: NodeJS.ProcessEnv): string | undefined {
  return findExecutable('qemu-img.exe', env.PATH ?? env.Path ?? '', [
    win32.join(env.ProgramFiles || 'C:\\Program Files', 'qemu'),
  ]);
}

/** `storeDir`: where Hyper-V's script is written (the VM store's folder). */
export function hostBackends(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  storeDir: string = tmpdir(),
): Partial<Record<Exclude<Hypervisor, 'qemu'>, VmBackend>> {
  if (platform === 'win32') {
    return {
      hyperv: hypervBackend({
        powershell: windowsPowerShell(env),
        scriptDir: storeDir,
        qemuImg: findWindowsQemuImg(env),
      }),
    };
  }
  if (platform !== 'darwin') return {};
  const tools = findFusionTools(existsSync, env);
  if (!tools.vmrun) return {};
  return {
    fusion: fusionBackend({ tools, qemuImg: findQemuImg(), hostArch: process.arch === 'arm64' ? 'arm64' : 'x64' }),
  };
}
