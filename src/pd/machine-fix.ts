/**
 * The fix Podman Desktop's API allows for a rootless podman machine (macOS, Windows): after the
 * user agrees, `podman machine stop`, `podman machine set --rootful` and `podman machine start`,
 * run through `process.exec` (argv, no shell) as one task, with the machine's provider in
 * CONTAINERS_MACHINE_PROVIDER so podman finds the machine Podman Desktop shows.
 */

import type * as pd from '@podman-desktop/api';

import { errorMessage } from '../api/errors';

export interface MachineFixHost {
  exec(command: string, args: string[], options: { env: Record<string, string> }): Promise<unknown>;
  withProgress: typeof pd.window.withProgress;
  /** ProgressLocation.TASK_WIDGET. */
  taskWidget(): pd.ProgressLocation;
  showWarningMessage(message: string, ...items: string[]): Promise<string | undefined>;
}

export const MAKE_ROOTFUL = 'Make rootful';

/** Whether the machine was made rootful; false when the user declined. Rejects naming the step that failed. */
export async function makeMachineRootful(
  host: MachineFixHost,
  machine: { name: string; vmType: string },
): Promise<boolean> {
  const answer = await host.showWarningMessage(
    `Make the podman machine ${machine.name} rootful? It is stopped (its containers stop too), set rootful and started again; the builder needs a rootful machine.`,
    MAKE_ROOTFUL,
    'Cancel',
  );
  if (answer !== MAKE_ROOTFUL) return false;
  const env = { CONTAINERS_MACHINE_PROVIDER: machine.vmType };
  const steps: [string, string[]][] = [
    ['Stopping', ['machine', 'stop', machine.name]],
    ['Setting rootful', ['machine', 'set', '--rootful', machine.name]],
    ['Starting', ['machine', 'start', machine.name]],
  ];
  await host.withProgress(
    { location: host.taskWidget(), title: `Making podman machine ${machine.name} rootful` },
    async progress => {
      for (const [index, [what, args]] of steps.entries()) {
        progress.report({ message: `${what} ${machine.name}`, increment: Math.round((index / steps.length) * 100) });
        try {
          await host.exec('podman', args, { env });
        } catch (error) {
          throw new Error(`podman ${args.join(' ')} failed: ${runErrorText(error)}`, { cause: error });
        }
      }
      progress.report({ increment: 100 });
    },
  );
  return true;
}

/** podman's own words from a RunError (stderr), else the error's message. */
function runErrorText(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() ? stderr.trim().split('\n').at(-1)! : errorMessage(error);
}
