import { LogMissingError } from '../../builds/build-log';
import type { CliCommand } from '../cli-context';
import { buildJobs, openBuilds, resolveBuildId } from '../disk-builds';
import { followJob } from '../job-follower';

/**
 * `bootc-studio disk logs ID [--follow]`: the build's own log (image-build-<id>.log). With --follow it
 * goes on until the build ends; a build whose runner went away is taken over for that time, so its log
 * grows. A finished build whose log file is gone: said on stderr, exit 1.
 */
export const diskLogsCommand: CliCommand = {
  name: 'disk logs',
  summary: "Print a disk image build's log (--follow: until the build ends)",
  usage: 'ID',
  positionals: [1, 1],
  options: {
    follow: { type: 'boolean', short: 'f', description: 'Keep printing as the log grows, until the build ends' },
  },
  async run(ctx, values, positionals) {
    const builds = await openBuilds(ctx);
    const id = await resolveBuildId(builds, positionals[0]);
    if (values.follow !== true) {
      let from = 0;
      try {
        for (;;) {
          const { text, next } = await builds.readLog(id, from);
          if (!text) break;
          ctx.io.stdout.write(text);
          from = next;
        }
      } catch (error) {
        if (!(error instanceof LogMissingError)) throw error;
        ctx.io.stderr.write(`bootc-studio: ${error.message}\n`);
        return 1;
      }
      return 0;
    }
    await builds.reconcile('adopt', id);
    // Ctrl-C ends the watch only: the build goes on.
    const jobs = buildJobs(builds);
    try {
      await followJob(jobs, id, ctx.io, { json: false, interrupt: 'stop' });
      return 0;
    } finally {
      jobs.dispose();
      // A build taken over for the time of --follow goes on without this process.
      await builds.dispose();
    }
  },
};
