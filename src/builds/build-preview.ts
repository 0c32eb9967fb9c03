import { join, resolve } from 'node:path';

import { validateDiskBuildRequest } from '../api/disk-build-schema';

import { type DiskBuildRequest } from '../api/disk-build';
import type { DiskBuildPreview } from '../api/disk-builds';
import { ValidationError } from '../api/validation';
import type { ContainerEngine } from '../engine/container-engine';
import { chooseEngine } from '../images/engine-choice';
import type { BuildArtifact } from './artifacts';
import { outputFolderState } from './build-checks';
import { isBuildConfigEmpty, previewBuildConfig } from './build-config-render';
import {
  CONTAINER_STORAGE,
  planBuild,
  renderRunCommand,
  type BuildFacts,
  type RunCommandOptions,
} from './builder-plan';
import { handoffNotice, ROOT_GRAPH_ROOT } from './linux-handoff';

/**
 * What the form shows live: the exact config.toml and the exact builder command, with passwords
 * masked. Needs no hashing and writes nothing; the command names the config by a path, never its content.
 */

export interface BuildPreview {
  /** The config.toml the build will get, passwords as `********`; undefined when there is nothing to configure. */
  configToml?: string;
  command: string;
  artifacts: BuildArtifact[];
  warnings: string[];
}

/** Where the previewed command expects the config: beside the user, as they would export it. */
export const PREVIEW_CONFIG_PATH = './config.toml';

export function previewBuild(
  request: DiskBuildRequest,
  facts: Omit<BuildFacts, 'configPath'>,
  options: RunCommandOptions = {},
): BuildPreview {
  const withConfig = !isBuildConfigEmpty(request.config);
  const plan = planBuild(request, { ...facts, ...(withConfig ? { configPath: PREVIEW_CONFIG_PATH } : {}) });
  return {
    ...(withConfig ? { configToml: previewBuildConfig(request.config, 'toml') } : {}),
    command: renderRunCommand(plan, options),
    artifacts: plan.artifacts,
    warnings: plan.warnings,
  };
}

/**
 * The form's preview of a request on its engine: the config.toml and command as they will run (on
 * root's podman for a Linux hand-off), the warnings, the fix a rootless podman machine needs, and
 * what Build would do with a local output folder.
 */
export async function previewDiskBuild(
  engines: ContainerEngine,
  input: unknown,
  host: { platform: NodeJS.Platform; handoff: boolean; home: string },
): Promise<DiskBuildPreview> {
  const checked = validateDiskBuildRequest(input);
  if (!checked.ok) throw new ValidationError(checked.errors);
  const request = checked.value;
  const engine = await chooseEngine(engines, request.engineId).catch(() => undefined);
  const handoff = engine?.rootful === false && host.platform === 'linux' && host.handoff;
  const preview = previewBuild(
    request,
    {
      graphRoot: handoff ? ROOT_GRAPH_ROOT : (engine?.graphRoot ?? CONTAINER_STORAGE),
      engineRootful: engine?.rootful !== false || handoff,
      ...(request.aws ? { awsConfigDir: join(host.home, '.aws') } : {}),
    },
    handoff ? { sudo: true } : {},
  );
  const warnings = handoff ? [handoffNotice(engine.name, request.image), ...preview.warnings] : preview.warnings;
  const answer: DiskBuildPreview = { configToml: preview.configToml ?? '', command: preview.command, warnings };
  if (engine?.rootful === false && engine.machine && !handoff) {
    warnings.unshift(
      `${engine.name} runs in the rootless podman machine ${engine.machine.name}, and the builder needs a rootful one`,
    );
    answer.fix = { kind: 'make-machine-rootful', engineId: engine.id, machine: engine.machine.name };
  }
  if (engine && engine.remote !== true) answer.outputFolder = await outputFolderState(resolve(request.outputDir));
  return answer;
}
