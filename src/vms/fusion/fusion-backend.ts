/**
 * VMware Fusion as a VM back end (macOS): the built disk converted into the VM's folder as a
 * monolithicSparse vmdk (Fusion cannot run bootc-image-builder's streamOptimized one), a complete
 * .vmx beside it, then `vmrun start … nogui`; the guest's address from VMware Tools or the vmnet8
 * DHCP leases; `vmrun stop` soft, then hard. Fusion has no way to give the VM's key at boot: such
 * VMs are reached with the key or password built into the image (the build form's "use my key").
 * The serial console is a file: read-only here.
 */

import { access } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { runProcess } from '../../platform/process';
import { diskFormat } from '../qemu/qemu-disk';
import type { BackendLaunch, VmBackend } from '../vm-backend';
import { chooseFusionDiskConversion } from './fusion-disk';
import { FusionRunner, type FusionTools } from './fusion-vmrun';
import { renderVmx } from './fusion-vmx';

export interface FusionHost {
  tools: FusionTools;
  /** qemu-img's path, when installed (the conversion prefers it). */
  qemuImg?: string;
  hostArch: 'arm64' | 'x64';
  /** How long to wait for the guest's address after power-on. Default 3 minutes. */
  addressTimeoutMs?: number;
  /** Options of the vmrun runner (tests shorten its waits). */
  runner?: Partial<ConstructorParameters<typeof FusionRunner>[0]>;
}

const STOP_WORDS = {
  soft: 'The guest shut down (vmrun stop soft).',
  hard: 'VMware Fusion powered the VM off (vmrun stop hard).',
  'not-running': 'VMware Fusion was not running it.',
} as const;

export function fusionBackend(host: FusionHost): VmBackend {
  const vmrun = host.tools.vmrun;
  const runner = vmrun
    ? new FusionRunner({
        vmrun,
        run: (argv, options) => runProcess(argv, { capture: true, timeoutMs: options?.timeoutMs }),
        ...host.runner,
      })
    : undefined;
  return {
    steps: ['Preparing the disk', 'Booting'],
    injectsKey: false,
    consoleInput: false,
    unavailable: () =>
      runner
        ? undefined
        : `VMware Fusion is not installed (no vmrun in ${host.tools.app}; set FUSION_APP_PATH if it is elsewhere)`,
    async launch(vm, paths, options): Promise<BackendLaunch> {
      if (!runner) throw new Error('VMware Fusion is not installed');
      const disk = join(paths.dir, 'disk.vmdk');
      const vmx = join(paths.dir, `${vm.id}.vmx`);
      options.step('Preparing the disk');
      const exists = await access(disk).then(
        () => true,
        () => false,
      );
      if (!exists) {
        const format = host.qemuImg ? await diskFormat(host.qemuImg, vm.source.diskPath) : 'vmdk';
        const conversion = chooseFusionDiskConversion(
          { qemuImg: host.qemuImg, vdiskmanager: host.tools.vdiskmanager },
          vm.source.diskPath,
          format,
          disk,
        );
        options.log(
          `Converting ${vm.source.diskPath} for VMware Fusion (${conversion.tool}); the built disk is left as it is`,
        );
        const result = await runProcess(conversion.argv, {
          capture: true,
          signal: options.signal,
          timeoutMs: 30 * 60_000,
        });
        if (result.code !== 0)
          throw new Error(`the disk conversion failed: ${(result.stderr ?? result.stdout ?? '').trim()}`);
      }
      await writeFile(
        vmx,
        renderVmx({
          name: vm.name,
          guestArch: vm.architecture,
          hostArch: host.hostArch,
          memoryMiB: vm.memoryMiB,
          cpus: vm.cpus,
          diskFile: disk,
          serialLogPath: paths.consoleLog,
        }),
        { mode: 0o600 },
      );
      options.step('Booting');
      options.log(`vmrun start ${vmx} nogui`);
      await runner.start(vmx, false);
      const deadline = Date.now() + (host.addressTimeoutMs ?? 180_000);
      let address: string | undefined;
      while (!address && Date.now() < deadline && !options.signal?.aborted) {
        address = await runner.guestIp(vmx);
        if (!address) await sleep(2000);
      }
      if (!address) {
        throw new Error(
          'VMware Fusion started the VM, but its address did not show up (no VMware Tools and no DHCP lease)',
        );
      }
      return {
        runtime: { vmx },
        sshHost: address,
        sshPort: 22,
        warnings: [
          "VMware Fusion cannot give the VM its own key at boot: log in with the key or password built into the image (the build form's users).",
        ],
      };
    },
    running: async runtime => (runner && runtime.vmx ? runner.isRunning(runtime.vmx) : false),
    async stop(runtime) {
      if (!runner || !runtime.vmx) return STOP_WORDS['not-running'];
      return STOP_WORDS[await runner.stop(runtime.vmx)];
    },
  };
}
