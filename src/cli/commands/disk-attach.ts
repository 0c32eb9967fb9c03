import type { CliCommand } from '../cli-context';
import { isFinished, openBuilds, resolveBuildId } from '../disk-builds';

/** How long `disk attach` waits for `disk build --detach` to hand the build over. */
const HANDOVER_WAIT_MS = 15_000;

/**
 * `bootc-studio disk attach ID` (internal): what `disk build --detach` starts in the background. It
 * takes the build over from the process that started it and runs it to its end: the log into
 * image-build-<id>.log, the outcome into the record, the container and the config file removed.
 */
export const diskAttachCommand: CliCommand = {
  name: 'disk attach',
  summary: 'Run a detached build to its end (started by disk build --detach)',
  usage: 'ID',
  hidden: true,
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    const builds = await openBuilds(ctx);
    const id = await resolveBuildId(builds, positionals[0]);
    const deadline = Date.now() + HANDOVER_WAIT_MS;
    for (;;) {
      await builds.reconcile('adopt', id);
      if (builds.isRunningHere(id)) break;
      if (isFinished(await builds.get(id)) || Date.now() > deadline) return 0;
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    const record = await builds.wait(id);
    return record.status === 'succeeded' ? 0 : 1;
  },
};
