import { createHash } from 'node:crypto';

import {
  type BuildArchitecture,
  builderImageOf,
  type BuilderKind,
  builderKindOf,
  type DiskBuildRequest,
  isIsoType,
} from '../api/disk-build';
import { artifactLayout, artifactsFor, outputEntriesFor, type BuildArtifact } from './artifacts';
import { shellQuote } from '../platform/shell-quote';

/**
 * A build request → how to run the builder container: image, command, mounts, privileges, and where
 * each artifact will be. Pure; the runner turns it into engine calls, the preview into a command line.
 *
 * Choices:
 * - `--progress debug`: the only mode that prints osbuild's step counts (`[<done> / <total>] …`, from its
 *   JSON monitor) to the log; `verbose` prints stage names only, and it also dumps every stage's options,
 *   user password hashes included. Both builders take it.
 * - No `--local` or `--tls-verify` (deprecated: local storage is the default now) and no `--use-librepo`
 *   (its default differs between versions; older RHEL builders reject unknown flags).
 * - `--target-arch` always, as the existing extension does; the builder warns only for a foreign one.
 * - osbuild's store and DNF cache are named volumes per builder image, so repeat builds reuse them.
 * - image-builder: one type per run (validation refuses more), no ISO types, `--output-dir/--output-name`
 *   chosen so artifacts land on bootc-image-builder's paths, `--cache /store`, and no `--chown` flag
 *   (the runner chowns afterwards: `chownAfter`).
 */

export interface BuildFacts {
  /** The graph root of the engine that runs the builder, from its info — not assumed to be /var/lib/containers/storage. */
  graphRoot: string;
  /** The config file as the engine's host sees it (written 0600 by the runner); absent: no config. */
  configPath?: string;
  /** The config reaches the builder at CONFIG_TARGET by a copy, not a bind (an engine on another machine). */
  configCopiedIn?: boolean;
  engineRootful: boolean;
  /** The output folder as the engine's host sees it, when that differs from the request's (remote engines). */
  outputDirOnEngine?: string;
  /** The host's `~/.aws`, mounted read-only for an AMI upload. */
  awsConfigDir?: string;
  /** Labels the container, so a restarted extension finds its builds again. */
  buildId?: string;
}

export interface CacheVolume {
  name: string;
  target: string;
}

export interface BuilderPlan {
  kind: BuilderKind;
  builderImage: string;
  /** A container name for the build, when facts.buildId is known. */
  containerName?: string;
  /** The container's command (the image's entrypoint is the builder). */
  argv: string[];
  /** `host:container[:options]` bind mounts. */
  binds: string[];
  volumes: CacheVolume[];
  privileged: true;
  securityOpt: string[];
  labels: Record<string, string>;
  artifacts: BuildArtifact[];
  /** Top-level entries of the output folder this build writes: removed after a cancel or failure. */
  outputEntries: string[];
  /** `UID:GID` the runner applies to the artifacts after the build (the builder cannot). */
  chownAfter?: string;
  /** What the user should know before starting; not failures. */
  warnings: string[];
}

export class BuildPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildPlanError';
  }
}

export const BUILDER_LABEL = 'bootc.image.builder';
export const BUILD_ID_LABEL = 'bootc-studio.build-id';
export const CONTAINER_STORAGE = '/var/lib/containers/storage';
export const CONFIG_TARGET = '/config.toml';

/** What the plan needs of a request: everything but the config, whose secrets never reach a plan. */
export type PlannedRequest = Omit<DiskBuildRequest, 'config'>;

const IMAGE_BUILDER_ARCH: Record<BuildArchitecture, string> = { amd64: 'x86_64', arm64: 'aarch64' };

export function planBuild(request: PlannedRequest, facts: BuildFacts): BuilderPlan {
  if (!facts.graphRoot.startsWith('/')) {
    throw new BuildPlanError(`the engine's graph root must be an absolute path, not "${facts.graphRoot}"`);
  }
  if (request.types.length === 0) throw new BuildPlanError('a build needs at least one image type');
  const kind = builderKindOf(request.builder);
  const builderImage = builderImageOf(request.builder);
  const outputDir = facts.outputDirOnEngine ?? request.outputDir;

  const binds = [`${outputDir}:/output`, `${facts.graphRoot}:${CONTAINER_STORAGE}`];
  if (facts.configPath && !facts.configCopiedIn) binds.push(`${facts.configPath}:${CONFIG_TARGET}:ro`);
  if (request.aws) {
    if (!facts.awsConfigDir) throw new BuildPlanError('an AMI upload needs the AWS credentials folder (~/.aws)');
    binds.push(`${facts.awsConfigDir}:/root/.aws:ro`);
  }

  const labels: Record<string, string> = { [BUILDER_LABEL]: 'true' };
  if (facts.buildId) labels[BUILD_ID_LABEL] = facts.buildId;

  const warnings: string[] = [];
  if (!facts.engineRootful) {
    warnings.push('the builder needs a rootful engine: this one is rootless, so the build has to run as root');
  }

  const common = {
    kind,
    builderImage,
    binds,
    privileged: true as const,
    securityOpt: ['label=type:unconfined_t'],
    labels,
    artifacts: artifactsFor(request.types),
    warnings,
    ...(facts.buildId ? { containerName: `bootc-studio-build-${facts.buildId}` } : {}),
  };

  if (kind === 'bootc-image-builder') {
    return {
      ...common,
      argv: bootcImageBuilderArgv(request),
      volumes: cacheVolumes(builderImage, ['/store', '/rpmmd']),
      outputEntries: outputEntriesFor(request.types, true),
    };
  }
  if (request.types.length !== 1) throw new BuildPlanError('image-builder makes one image type per run');
  if (isIsoType(request.types[0])) throw new BuildPlanError('the image-builder plan makes disk images only');
  return {
    ...common,
    argv: imageBuilderArgv(request, !!facts.configPath),
    volumes: cacheVolumes(builderImage, ['/store']),
    outputEntries: outputEntriesFor(request.types, false),
    ...(request.chown ? { chownAfter: request.chown } : {}),
  };
}

function awsArgs(request: PlannedRequest): string[] {
  if (!request.aws) return [];
  const { amiName, bucket, region } = request.aws;
  return ['--aws-ami-name', amiName, '--aws-bucket', bucket, '--aws-region', region];
}

function bootcImageBuilderArgv(request: PlannedRequest): string[] {
  return [
    'build',
    '--output',
    '/output',
    '--progress',
    'debug',
    ...request.types.flatMap(type => ['--type', type]),
    '--target-arch',
    request.arch,
    ...(request.rootfs ? ['--rootfs', request.rootfs] : []),
    ...(request.chown ? ['--chown', request.chown] : []),
    ...awsArgs(request),
    request.image,
  ];
}

function imageBuilderArgv(request: PlannedRequest, withConfig: boolean): string[] {
  const type = request.types[0];
  const layout = artifactLayout(type);
  return [
    'build',
    '--bootc-ref',
    request.image,
    '--output-dir',
    `/output/${layout.dir}`,
    '--output-name',
    layout.name,
    '--progress',
    'debug',
    '--arch',
    IMAGE_BUILDER_ARCH[request.arch],
    ...(request.rootfs ? ['--bootc-default-fs', request.rootfs] : []),
    ...(withConfig ? ['--blueprint', CONFIG_TARGET] : []),
    '--cache',
    '/store',
    ...awsArgs(request),
    type,
  ];
}

/**
 * Named volumes for osbuild's caches, one set per builder image: a different osbuild may not read
 * another's store. Stable names (`bootc-studio-store-bootc-image-builder-latest-1a2b3c4d`) so every
 * build with the same builder finds them.
 */
export function cacheVolumes(builderImage: string, targets: readonly string[]): CacheVolume[] {
  const withoutDigest = builderImage.split('@')[0];
  const lastPart = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const slug = lastPart
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(builderImage).digest('hex').slice(0, 8);
  return targets.map(target => ({
    name: `bootc-studio-${target.replace(/^\//, '')}-${slug ? `${slug}-` : ''}${hash}`,
    target,
  }));
}

export interface RunCommandOptions {
  /** The engine's command; default `podman`. */
  engine?: string;
  /** Prefix `sudo` (Linux, where the builder must run rootful). */
  sudo?: boolean;
  /** One argument group per line, joined with ` \` (default); false for a single line. */
  multiline?: boolean;
}

/**
 * The `podman run …` line that runs this plan, for a user to read or paste: every argument through
 * shellQuote. The config appears only as its file path, so no password or hash is ever in it.
 */
export function renderRunCommand(plan: BuilderPlan, options: RunCommandOptions = {}): string {
  const [privileged, ...rest] = runArgGroups(plan);
  const groups: string[][] = [
    [...(options.sudo ? ['sudo'] : []), options.engine ?? 'podman', 'run', '--rm', ...privileged],
    ...rest,
  ];
  const lines = groups.map(group => group.map(shellQuote).join(' '));
  return options.multiline === false ? lines.join(' ') : lines.join(' \\\n  ');
}

/** `podman run`'s arguments for this plan after `run` and its own options: privileges, mounts, image, command. */
export function runArgGroups(plan: BuilderPlan): string[][] {
  return [
    ['--privileged'],
    ...plan.securityOpt.map(opt => ['--security-opt', opt]),
    ...Object.entries(plan.labels).map(([key, value]) => ['--label', `${key}=${value}`]),
    ...plan.binds.map(bind => ['-v', bind]),
    ...plan.volumes.map(volume => ['-v', `${volume.name}:${volume.target}`]),
    [plan.builderImage],
    ...argvGroups(plan.argv),
  ];
}

/** `--flag value` pairs on one line each, other words alone. */
function argvGroups(argv: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const next = argv[i + 1];
    if (word.startsWith('--') && next !== undefined && !next.startsWith('--') && i + 1 < argv.length - 1) {
      groups.push([word, next]);
      i++;
    } else groups.push([word]);
  }
  return groups;
}
