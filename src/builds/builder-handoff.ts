/**
 * The builder on root's podman, through the Linux hand-off script run as root (one prompt): its
 * output goes through the build's pipeline like a container's, its exit code ends the build, and a
 * cancel is a file the script watches for (this process cannot signal root's processes).
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { DiskBuildRequest } from '../api/disk-build';
import { errorMessage } from '../api/errors';
import type { AdminRunner } from '../platform/admin';
import type { BuildOutput, OutputEnd } from './build-output';
import type { BuilderProcess } from './builder-process';
import type { BuilderPlan } from './builder-plan';
import { CANCEL_FILE, HANDOFF_FAILURE_PREFIX, handoffScript, type HandoffFacts } from './linux-handoff';

export const HANDOFF_DETACHED =
  'stopped: the builder ran as root under this runner, which was closing (a hand-off build cannot be left running)';

export interface HandoffBuilderDeps {
  admin: AdminRunner;
  buildId: string;
  /** The private dir (0700) where the script and the cancel file go. */
  dir: string;
  /** What the administrator prompt says the rights are for. */
  purpose: string;
  /** The script said its first word: the builder is under way. */
  started(): void;
  warn(message: string): void;
}

/** What the script runs: the request, the builder's plan (for root's graph root), the rootless image. */
export interface HandoffBuild {
  request: DiskBuildRequest;
  plan: BuilderPlan;
  handoff: HandoffFacts;
  stopTimeoutSeconds: number;
}

export class HandoffBuilder implements BuilderProcess {
  readonly outlivesRunner = false;
  #said = false;

  private constructor(
    private readonly deps: HandoffBuilderDeps,
    private readonly scriptPath: string,
  ) {}

  /** Writes the script (0600, never over an existing file) into the private dir. */
  static async write(deps: HandoffBuilderDeps, build: HandoffBuild): Promise<HandoffBuilder> {
    const { request, plan, handoff } = build;
    const script = handoffScript({
      image: request.image,
      imageId: handoff.imageId,
      owner: handoff.owner,
      workDir: deps.dir,
      // In the output folder, whose free space was checked.
      archive: join(request.outputDir, `.bootc-studio-image-${deps.buildId}.tar`),
      outputDir: request.outputDir,
      plan,
      stopTimeoutSeconds: build.stopTimeoutSeconds,
      ...(request.chown ? { chownTo: request.chown } : {}),
    });
    const scriptPath = join(deps.dir, 'handoff.sh');
    await writeFile(scriptPath, script, { mode: 0o600, flag: 'wx' });
    return new HandoffBuilder(deps, scriptPath);
  }

  async run(output: BuildOutput): Promise<number> {
    return this.deps.admin.run(
      ['/bin/sh', this.scriptPath],
      text => {
        if (!this.#said && text.length > 0) {
          this.#said = true;
          this.deps.started();
        }
        output.push(text);
      },
      this.deps.purpose,
    );
  }

  kill(): void {
    // The script, running as root, stops the builder when it sees this file.
    writeFile(join(this.deps.dir, CANCEL_FILE), '').catch((error: unknown) =>
      this.deps.warn(`Stopping the builder of ${this.deps.buildId}: ${errorMessage(error)}`),
    );
  }

  failureReason(exitCode: number | undefined, said: OutputEnd): string | undefined {
    // pkexec's "not authorized" (the prompt dismissed or refused): nothing of the script ran.
    if (exitCode === 126 && !this.#said) return 'administrator rights were not given, so nothing was run';
    if (said.failureReason) return said.failureReason;
    const own = said.tail.findLast(line => line.startsWith(HANDOFF_FAILURE_PREFIX));
    if (exitCode !== 0 && own)
      return `the hand-off to root's podman failed: ${own.slice(HANDOFF_FAILURE_PREFIX.length)}`;
    return undefined;
  }
}
