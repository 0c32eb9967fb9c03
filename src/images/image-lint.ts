/**
 * `bootc container lint` inside an image, before it costs minutes: a throw-away container of the
 * image with no network runs the image's own bootc, and its findings are read into errors and
 * warnings. An image whose bootc has no `container lint` (or no bootc) is said to be unchecked, not
 * failed. The container is removed whatever happens — or, when its process was killed first, by
 * the next one that sweeps (`removeAbandonedLints`): the container names its owner in a label.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import type { LintFindings } from '../api/disk-builds';
import type { ContainerEngine } from '../engine/container-engine';
import { processExists } from '../platform/process';

export interface LintResult extends LintFindings {
  /** Everything it printed, for a log. */
  output: string[];
}

const LINT_LABEL = 'io.bootc-studio.lint';
/** `<host>:<pid>` of the process that made the lint container. */
const LINT_OWNER_LABEL = 'io.bootc-studio.lint.owner';

/** How long reading the log of the exited lint container may take. */
const LOG_READ_MS = 10_000;

/** bootc's words for a subcommand or program it does not have. */
const NOT_AVAILABLE =
  /unrecognized subcommand|unexpected argument 'lint'|executable file .*not found|no such file or directory|command not found|not found in \$PATH/i;

/** Reads bootc's output: `Lint error:`/`error:` lines are errors, `Lint warning:`/`warning:` lines warnings. */
export function parseLintOutput(lines: readonly string[], exitCode: number): LintResult {
  const output = lines.map(line => line.replace(/\r$/, '')).filter(line => line.trim() !== '');
  if (exitCode !== 0 && output.some(line => NOT_AVAILABLE.test(line))) {
    return { checked: false, errors: [], warnings: [], output };
  }
  const errors = output.filter(line => /^\s*(lint )?error\b/i.test(line)).map(line => line.trim());
  const warnings = output.filter(line => /^\s*(lint )?warning\b/i.test(line)).map(line => line.trim());
  if (exitCode !== 0 && errors.length === 0) {
    errors.push(output.at(-1) ?? `bootc container lint exited with ${exitCode}`);
  }
  return { checked: true, errors: exitCode === 0 ? [] : errors, warnings, output };
}

/** Runs the lint in a throw-away container of `image` (no network); its findings. */
export async function lintImage(
  engine: ContainerEngine,
  engineId: string,
  image: string,
  signal?: AbortSignal,
): Promise<LintResult> {
  const id = await engine.createContainer(engineId, {
    name: `bootc-studio-lint-${randomBytes(4).toString('hex')}`,
    image,
    cmd: ['bootc', 'container', 'lint'],
    binds: [],
    volumes: [],
    privileged: false,
    securityOpt: [],
    labels: { [LINT_LABEL]: 'true', [LINT_OWNER_LABEL]: `${hostname()}:${process.pid}` },
    network: 'none',
  });
  try {
    let text = '';
    try {
      await engine.startContainer(engineId, id);
    } catch (error: unknown) {
      // An image without bootc fails to start the command at all.
      return parseLintOutput([(error as Error).message], 127);
    }
    const exitCode = await engine.waitContainer(engineId, id, signal);
    // Read once it exited: podman ends a followed log of an exited container at once, whereas one
    // followed while it runs can miss a quick exit and never end. A bound all the same.
    const reading = new AbortController();
    const bound = setTimeout(() => reading.abort(), LOG_READ_MS);
    await engine
      .followContainerLogs(
        engineId,
        id,
        chunk => (text += chunk),
        AbortSignal.any([reading.signal, ...(signal ? [signal] : [])]),
      )
      .catch(() => undefined)
      .finally(() => clearTimeout(bound));
    return parseLintOutput(text.split('\n'), exitCode);
  } finally {
    await engine.removeContainer(engineId, id).catch(() => undefined);
  }
}

/**
 * Removes the lint containers whose process is gone (killed between making one and removing it):
 * those of a dead process of this host, and those of older versions (no owner) that are not running.
 */
export async function removeAbandonedLints(engine: ContainerEngine, engineId: string): Promise<void> {
  const containers = await engine.listContainers(engineId, LINT_LABEL).catch(() => []);
  for (const container of containers) {
    const [host, pid] = (container.labels[LINT_OWNER_LABEL] ?? '').split(':');
    const abandoned =
      host === undefined || pid === undefined
        ? container.state !== 'running'
        : host === hostname() && Number(pid) !== process.pid && !processExists(Number(pid));
    if (!abandoned) continue;
    await engine.stopContainer(engineId, container.id, 0).catch(() => undefined);
    await engine.removeContainer(engineId, container.id).catch(() => undefined);
  }
}

/**
 * Lint results by image ID: an image does not change under its ID, so the form asks once per image
 * however often it is opened. At most `max` kept.
 */
export class LintCache {
  readonly #results = new Map<string, Promise<LintResult>>();

  constructor(private readonly max = 50) {}

  get(key: string, lint: () => Promise<LintResult>): Promise<LintResult> {
    let result = this.#results.get(key);
    if (!result) {
      result = lint();
      // A failed run (the engine went away) is asked again next time.
      result.catch(() => this.#results.delete(key));
      this.#results.set(key, result);
      if (this.#results.size > this.max) this.#results.delete(this.#results.keys().next().value as string);
    }
    return result;
  }
}
