import type * as pd from '@podman-desktop/api';

import type { AdminRunner } from '../platform/admin';

/**
 * An AdminRunner over Podman Desktop's `process.exec` with `isAdmin` (pkexec on Linux): output
 * streams through its logger, and a non-zero exit comes back as the exit code of its RunError.
 * The purpose was shown in the form before the build started; the log records it too.
 */
export function pdAdminRunner(process: Pick<typeof pd.process, 'exec'>): AdminRunner {
  return {
    async run(argv, onOutput) {
      const write = (...data: unknown[]) => onOutput(data.map(String).join(' '));
      try {
        await process.exec(argv[0], argv.slice(1), {
          isAdmin: true,
          logger: { log: write, warn: write, error: write },
        });
        return 0;
      } catch (error) {
        const code = (error as { exitCode?: unknown }).exitCode;
        if (typeof code === 'number' && code > 0) return code;
        throw error;
      }
    },
  };
}
