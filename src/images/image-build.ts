/**
 * An image build as an operation: the request checked (schema, folder, Containerfile, engine)
 * before anything starts, then the engine's build with its log streamed into the operation. After
 * it, the result is checked: each image has the architecture asked for (podman 4.3's layer cache
 * ignores the platform and can hand back another architecture's image: then the build is redone
 * without the cache), and a result without a bootc label gets a warning.
 */

import type { ImageBuildRequest } from '../api/image-operations';
import { isBootcLabelled } from '../api/models';
import { imageBuildRequestSchema, parseOrThrow, ValidationError } from '../api/validation';
import type { BuildOptions, BuildResult, ContainerEngine } from '../engine/container-engine';
import { EngineError } from '../engine/container-engine';
import { buildStepOf } from '../engine/image-progress';
import { resolveBuildFiles } from './containerfile';
import { chooseEngine } from './engine-choice';
import type { ImageOperations, OperationContext } from './image-operations';

export interface ImageBuildDeps {
  engine: ContainerEngine;
  operations: ImageOperations;
}

export interface StartBuildOptions {
  /** No platform given (the CLI without --platform): build for the engine's own, learnt after the first log line. */
  enginePlatform?: boolean;
}

export const NOT_BOOTC_WARNING =
  'The image has no containers.bootc or ostree.bootable label: its base is not a bootc image, so it cannot ' +
  'become a disk image or boot with bootc. Start the Containerfile FROM a bootc image, e.g. quay.io/fedora/fedora-bootc:42.';

/**
 * Starts a build; rejects with ValidationError (nothing started) when the request is not usable.
 * The local checks (schema, folder, Containerfile) come first; the operation then starts at once
 * with its first log line, before the engine is asked anything (its answer can take seconds).
 */
export async function startBuild(
  deps: ImageBuildDeps,
  input: unknown,
  startOptions: StartBuildOptions = {},
): Promise<string> {
  const given = input as { platforms?: unknown } | null;
  const engineDecides =
    startOptions.enginePlatform === true && Array.isArray(given?.platforms) && given.platforms.length === 0;
  // The engine's own platform is known only once it answered: checked with a stand-in until then.
  const request: ImageBuildRequest = parseOrThrow(
    imageBuildRequestSchema,
    engineDecides ? { ...given, platforms: ['linux/amd64'] } : input,
  );
  const files = await resolveBuildFiles(request.contextDir, request.containerfile);
  const platforms = engineDecides ? [] : [...new Set(request.platforms)];
  const options = {
    ...files,
    tag: request.tag,
    platforms,
    buildArgs: request.buildArgs,
    noCache: request.noCache,
    pull: request.pull,
  };
  const operation = deps.operations.start(
    {
      kind: 'build',
      ref: request.tag,
      engineId: request.engineId ?? '',
      engineName: '',
      source: {
        contextDir: request.contextDir,
        ...(request.containerfile ? { containerfile: request.containerfile } : {}),
        platforms,
        noCache: request.noCache,
        pull: request.pull,
      },
    },
    async context => {
      context.log(
        `Building ${options.tag} from ${options.contextDir} (${options.containerfile}) for ${
          engineDecides ? "the engine's platform" : platforms.join(', ')
        }…`,
      );
      const engine = await chooseEngine(deps.engine, request.engineId).catch((error: unknown) => {
        // The form offers only running engines; one that stopped since is said in the user's words.
        if (error instanceof ValidationError)
          throw new EngineError(`Engine: ${error.errors[0]?.message ?? error.message}`);
        throw error;
      });
      context.engine(engine.id, engine.name);
      context.log(`Engine: ${engine.name}`);
      if (engineDecides) platforms.push(`linux/${engine.arch ?? 'amd64'}`);
      return runBuild(deps.engine, engine.id, context, options);
    },
  );
  return operation.id;
}

async function runBuild(
  engine: ContainerEngine,
  engineId: string,
  context: OperationContext,
  options: Omit<BuildOptions, 'signal'>,
) {
  let noCache = options.noCache;
  if (options.platforms.length > 1 && !noCache) {
    noCache = true;
    context.log("Several platforms: building without the layer cache (podman 4's cache does not tell platforms apart)");
  }
  const build = (withoutCache: boolean): Promise<BuildResult> =>
    engine.buildImage(
      engineId,
      { ...options, noCache: withoutCache, signal: context.signal },
      {
        log: raw => {
          const line = withoutPlatformArgsWarning(raw, Object.keys(options.buildArgs));
          if (line === undefined) return;
          context.log(line);
          const step = buildStepOf(line);
          if (step) context.message(step);
        },
      },
    );

  let result = await build(noCache);
  let members = await membersOf(engine, engineId, options, result);
  const wrong = members.filter(member => !matchesPlatform(member.arch, member.platform));
  if (wrong.length > 0) {
    if (noCache) {
      throw new EngineError(
        `The engine built ${wrong.map(member => `${member.arch || 'an unknown architecture'} instead of ${member.platform}`).join(', ')}`,
      );
    }
    context.log(
      `The engine's layer cache gave a ${wrong[0].arch} image for ${wrong[0].platform}; building again without the cache`,
    );
    result = await build(true);
    members = await membersOf(engine, engineId, options, result);
    const still = members.find(member => !matchesPlatform(member.arch, member.platform));
    if (still) throw new EngineError(`The engine built ${still.arch} instead of ${still.platform}`);
  }
  if (members.some(member => !isBootcLabelled(member.labels))) context.warn(NOT_BOOTC_WARNING);
  return {
    imageId: result.imageId,
    message: `Built ${options.tag}${options.platforms.length > 1 ? ` for ${options.platforms.join(', ')}` : ''}`,
  };
}

interface Member {
  platform: string;
  arch: string;
  labels: Record<string, string>;
}

async function membersOf(
  engine: ContainerEngine,
  engineId: string,
  options: Omit<BuildOptions, 'signal'>,
  result: BuildResult,
): Promise<Member[]> {
  const images = result.platformImages ?? [{ platform: options.platforms[0], imageId: result.imageId }];
  return Promise.all(
    images.map(async ({ platform, imageId }) => {
      const details = await engine.inspectImage(engineId, imageId);
      return { platform, arch: details.arch, labels: details.labels };
    }),
  );
}

function matchesPlatform(arch: string, platform: string): boolean {
  const wanted = platform.split('/')[1];
  return !arch || !wanted || arch === wanted;
}

/** The build args buildah sets by itself for a `platform` (podman 4 passes them whether declared or not). */
const PLATFORM_ARGS = new Set(['TARGETARCH', 'TARGETOS', 'TARGETPLATFORM', 'TARGETVARIANT']);

/**
 * Buildah's "[Warning] one or more build args were not consumed: [TARGETARCH TARGETOS …]" without
 * the platform args it set itself (the user passed none of them, so it is not the user's to fix):
 * the line minus those names (unless the user passed one), or undefined when no other name is left.
 */
export function withoutPlatformArgsWarning(line: string, passed: string[] = []): string | undefined {
  const match = /^(.*build args were not consumed: \[)([^\]]*)(\].*)$/.exec(line);
  if (!match) return line;
  const left = match[2].split(/\s+/).filter(name => name !== '' && (!PLATFORM_ARGS.has(name) || passed.includes(name)));
  return left.length === 0 ? undefined : `${match[1]}${left.join(' ')}${match[3]}`;
}
