/**
 * The builder as a container on the build's engine: its image pulled when missing, then created,
 * started and followed (its log into the build's pipeline, its exit code awaited); a take-over
 * follows a container that already exists.
 */

import { errorMessage } from '../api/errors';
import type { ContainerEngine } from '../engine/container-engine';
import type { BuildOutput, OutputEnd } from './build-output';
import { CONFIG_TARGET, type BuilderPlan } from './builder-plan';
import type { BuilderProcess } from './builder-process';

/** The builder container went away under the run: the build's outcome cannot be known. */
export class LostError extends Error {}

export interface BuilderContainerDeps {
  engine: ContainerEngine;
  engineId: string;
  buildId: string;
  /** After the builder exited, how long its log may take to end. */
  logDrainMs: number;
  warn(message: string): void;
  /** Aborted when the run lets go of the builder (detach): following ends, the container goes on. */
  detach: AbortSignal;
}

export class BuilderContainer implements BuilderProcess {
  readonly outlivesRunner = true;

  constructor(
    private readonly deps: BuilderContainerDeps,
    readonly containerId: string,
  ) {}

  async run(output: BuildOutput): Promise<number | undefined> {
    const { engine, engineId, detach } = this.deps;
    // Detached while the record was being written: do not start following at all.
    if (detach.aborted) return undefined;
    const follow = new AbortController();
    const letGo = () => follow.abort();
    detach.addEventListener('abort', letGo);
    try {
      const logs = engine
        .followContainerLogs(engineId, this.containerId, text => output.push(text), follow.signal)
        .catch((error: unknown) => {
          if (!follow.signal.aborted)
            this.deps.warn(`Following the builder of ${this.deps.buildId}: ${errorMessage(error)}`);
        });
      let exitCode: number;
      try {
        exitCode = await engine.waitContainer(engineId, this.containerId, follow.signal);
      } catch (error) {
        if (detach.aborted) return undefined;
        throw new LostError(`lost the builder container: ${errorMessage(error)}`);
      }
      // The log may still be arriving: give it a moment to end by itself.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([logs, new Promise(resolve => (timer = setTimeout(resolve, this.deps.logDrainMs)))]);
      clearTimeout(timer);
      return detach.aborted ? undefined : exitCode;
    } finally {
      follow.abort();
      detach.removeEventListener('abort', letGo);
    }
  }

  kill(): void {
    this.deps.engine
      .stopContainer(this.deps.engineId, this.containerId, 0)
      .catch((error: unknown) =>
        this.deps.warn(`Stopping the builder of ${this.deps.buildId}: ${errorMessage(error)}`),
      );
  }

  failureReason(_exitCode: number | undefined, said: OutputEnd): string | undefined {
    return said.failureReason;
  }
}

/** Creates (does not start) the builder container of `plan`; `config`: the config file's text, copied in. */
export async function createBuilderContainer(
  engine: ContainerEngine,
  engineId: string,
  plan: BuilderPlan,
  options: { stopTimeoutSeconds: number; config?: string },
): Promise<string> {
  return engine.createContainer(engineId, {
    ...(options.config !== undefined ? { files: [{ path: CONFIG_TARGET, content: options.config, mode: 0o600 }] } : {}),
    ...(plan.containerName ? { name: plan.containerName } : {}),
    image: plan.builderImage,
    cmd: plan.argv,
    binds: plan.binds,
    volumes: plan.volumes,
    privileged: plan.privileged,
    securityOpt: plan.securityOpt,
    labels: plan.labels,
    stopTimeoutSeconds: options.stopTimeoutSeconds,
  });
}

export interface PullFeedback {
  /** The pull is about to start: say so (record message, log). */
  pulling(): Promise<void>;
  /** A line of the pull's output, for the build's log. */
  note(line: string): void;
  /** A stop was asked: the pull is abandoned, and its failure is not an error. */
  stopping(): boolean;
}

/** Pulls the builder image unless the engine has it. */
export async function ensureBuilderImage(
  engine: ContainerEngine,
  engineId: string,
  image: string,
  feedback: PullFeedback,
): Promise<void> {
  const present = await engine.inspectImage(engineId, image).then(
    () => true,
    () => false,
  );
  if (present) return;
  await feedback.pulling();
  const abort = new AbortController();
  const poll = setInterval(() => feedback.stopping() && abort.abort(), 250);
  try {
    await engine.pullImage(engineId, image, { signal: abort.signal }, { log: feedback.note, layer: () => undefined });
  } catch (error) {
    if (feedback.stopping()) return;
    throw new Error(`pulling the builder ${image} failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearInterval(poll);
  }
}
