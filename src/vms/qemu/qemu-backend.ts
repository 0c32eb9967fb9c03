/** QEMU as a VM back end: vm-launch.ts boots, the process's pid and arguments say whether it runs, QMP stops it. */

import { readFile } from 'node:fs/promises';

import { processesWithArgument } from '../../platform/process';
import type { VmBackend } from '../vm-backend';
import { launchQemuVm, type QemuHost } from '../vm-launch';
import { qmpArgument } from './qemu-argv';
import { qemuRunning, stopQemu } from './qemu-process';

const STOP_WORDS = {
  powerdown: 'The guest powered off.',
  quit: 'QEMU quit.',
  sigterm: 'QEMU ended on SIGTERM.',
  sigkill: 'QEMU was killed (it ignored SIGTERM).',
  'not-running': 'QEMU was not running.',
} as const;

export function qemuBackend(host: QemuHost): VmBackend {
  return {
    steps: ['Preparing the disk', 'Booting'],
    injectsKey: true,
    consoleInput: true,
    installs: true,
    attachesSeed: true,
    unavailable: () => undefined,
    async launch(vm, paths, options) {
      const launched = await launchQemuVm(vm, paths, host, options);
      return {
        runtime: { pid: launched.pid, qmpSocket: paths.qmpSocket, consoleSocket: paths.consoleSocket },
        sshHost: '127.0.0.1',
        sshPort: launched.sshPort,
        acceleration: launched.acceleration,
        warnings: launched.warnings,
        cloudInitSeed: launched.seed,
      };
    },
    async running(runtime) {
      return (
        runtime.pid !== undefined && runtime.qmpSocket !== undefined && qemuRunning(runtime.pid, runtime.qmpSocket)
      );
    },
    async leftover(paths) {
      // Its pid file, or — killed between QEMU's launch and either pid file write — the QEMU
      // whose arguments name this VM's QMP socket.
      const written = Number.parseInt(await readFile(paths.pidFile, 'utf8').catch(() => ''), 10);
      const found = async () => processesWithArgument(qmpArgument(paths.qmpSocket)).catch(() => [] as number[]);
      for (const pid of written > 0 ? [written, ...(await found())] : await found()) {
        if (await qemuRunning(pid, paths.qmpSocket)) {
          return { pid, qmpSocket: paths.qmpSocket, consoleSocket: paths.consoleSocket };
        }
      }
      return undefined;
    },
    async stop(runtime, options) {
      if (runtime.pid === undefined || runtime.qmpSocket === undefined) return STOP_WORDS['not-running'];
      return STOP_WORDS[await stopQemu(runtime.pid, runtime.qmpSocket, options)];
    },
  };
}
