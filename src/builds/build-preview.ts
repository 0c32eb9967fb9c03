import type { DiskBuildRequest } from '../api/disk-build';
import type { BuildArtifact } from './artifacts';
import { isBuildConfigEmpty, previewBuildConfig } from './build-config-render';
import { planBuild, renderRunCommand, type BuildFacts, type RunCommandOptions } from './builder-plan';

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
