/**
 * The builder as a build's run sees it, however it runs — a container on the build's engine
 * (builder-container.ts) or root's podman behind the Linux hand-off script (builder-handoff.ts):
 * something that runs to an exit code with its output going into the build's pipeline, and can be
 * killed.
 */

import type { BuildOutput, OutputEnd } from './build-output';

export interface BuilderProcess {
  /**
   * Runs (or follows) the builder to its end, its output pushed into `output`: its exit code, or
   * undefined when the run let go of it (detach). Rejects when the builder was lost or never ran.
   */
  run(output: BuildOutput): Promise<number | undefined>;
  /** Kills it at once (cancel, time limit): no grace period, osbuild ignores SIGTERM. */
  kill(): void;
  /** False when the builder cannot go on without this process (the hand-off runs under its admin call). */
  readonly outlivesRunner: boolean;
  /** Why it failed, in the builder's words or the process's own: `said` is what its output said. */
  failureReason(exitCode: number | undefined, said: OutputEnd): string | undefined;
}
