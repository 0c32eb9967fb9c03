/** QEMU as a VM back end: vm-launch.ts boots, the process's pid and QMP say whether it runs, QMP stops it. */

import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { processesWithArgument } from '../../platform/process';
import type { VmBackend } from '../vm-backend';
import { launchQemuVm, type QemuHost } from '../vm-launch';
import { qmpArgument } from './qemu-argv';
import { isAlive, qemuRunning, stopQemu } from './qemu-process';

/** How long a leftover QEMU (alive, see leftover) is given to answer on QMP. */
const LEFTOVER_QMP_WAIT_MS = 15_000;

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
      const pid =
        written > 0 && isAlive(written)
          ? written
          : ((await processesWithArgument(qmpArgument(paths.qmpSocket)).catch(() => []))[0] ?? 0);
      // A QEMU launched a moment ago may not listen on QMP yet: its pid lives, its socket comes.
      for (let waited = 0; pid > 0 && isAlive(pid) && waited <= LEFTOVER_QMP_WAIT_MS; waited += 250) {
        if (await qemuRunning(pid, paths.qmpSocket)) {
          return { pid, qmpSocket: paths.qmpSocket, consoleSocket: paths.consoleSocket };
        }
        await sleep(250);
      }
      return undefined;
    },
    async stop(runtime, options) {
      if (runtime.pid === undefined || runtime.qmpSocket === undefined) return STOP_WORDS['not-running'];
      return STOP_WORDS[await stopQemu(runtime.pid, runtime.qmpSocket, options)];
    },
  };
}
