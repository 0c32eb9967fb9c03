import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { imageBuildRequestSchema, validate, describeErrors } from '../../api/validation';
import { startBuild } from '../../images/image-build';
import type { CliCommand } from '../cli-context';
import { UsageError } from '../cli-context';
import { runOperation } from '../run-operation';

export const imageBuildCommand: CliCommand = {
  name: 'image build',
  summary: 'Build an image from a Containerfile (default Containerfile, then Dockerfile, in CONTEXT)',
  usage: 'CONTEXT -t REF',
  positionals: [1, 1],
  options: {
    file: {
      type: 'string',
      short: 'f',
      description: 'Containerfile, inside CONTEXT (default: Containerfile, then Dockerfile)',
    },
    tag: { type: 'string', short: 't', description: 'Full reference of the result, e.g. quay.io/me/os:1 (required)' },
    platform: {
      type: 'string',
      multiple: true,
      description: "linux/amd64 or linux/arm64; repeat for a manifest list (default: the engine's own)",
    },
    'build-arg': { type: 'string', multiple: true, description: 'KEY=VALUE build argument; repeatable' },
    'no-cache': { type: 'boolean', description: 'Do not use cached layers' },
    pull: { type: 'boolean', description: 'Pull the base image even when present' },
  },
  async run(ctx, values, positionals) {
    const cwd = ctx.io.cwd ?? process.cwd();
    const contextDir = resolve(cwd, positionals[0]);
    const tag = values.tag as string | undefined;
    if (tag === undefined) throw new UsageError('image build: -t/--tag REF is required');
    const request = {
      contextDir,
      containerfile: containerfileIn(contextDir, values.file as string | undefined, cwd),
      tag,
      platforms: (values.platform as string[] | undefined) ?? [],
      buildArgs: parseBuildArgs((values['build-arg'] as string[] | undefined) ?? []),
      noCache: values['no-cache'] === true,
      pull: values.pull === true,
    };
    // Every flag is checked before the engine is contacted; the default platform needs the engine.
    const checked = validate(imageBuildRequestSchema, {
      ...request,
      platforms: request.platforms.length > 0 ? request.platforms : ['linux/amd64'],
    });
    if (!checked.ok) throw new UsageError(flagErrors(describeErrors(checked.errors)));
    return runOperation(
      ctx,
      // Without --platform the engine's own is used, learnt inside the build after its first line.
      deps => startBuild(deps, request, { enginePlatform: true }),
      flagErrors,
    );
  },
};

/** `KEY=VALUE` flags as a record; a flag without `=` or with an empty name is bad input. */
export function parseBuildArgs(flags: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals <= 0) throw new UsageError(`--build-arg: expected KEY=VALUE, got ${JSON.stringify(flag)}`);
    args[flag.slice(0, equals)] = flag.slice(equals + 1);
  }
  return args;
}

/**
 * The Containerfile relative to the context: `-f` is read like podman's (relative to the working
 * folder), or relative to the context when only that exists; it must lie inside the context.
 */
function containerfileIn(contextDir: string, file: string | undefined, cwd: string): string | undefined {
  if (file === undefined) return undefined;
  let absolute = resolve(cwd, file);
  if (!existsSync(absolute) && !isAbsolute(file) && existsSync(resolve(contextDir, file))) {
    absolute = resolve(contextDir, file);
  }
  const inside = relative(contextDir, absolute);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new UsageError(`-f/--file: ${file} must be a file inside the context folder ${contextDir}`);
  }
  return inside.split(sep).join('/');
}

/** The schema's field names, as the CLI's flags. */
function flagErrors(message: string): string {
  return message
    .replace(/\bcontextDir\b/g, 'CONTEXT')
    .replace(/\bcontainerfile\b/g, '--file')
    .replace(/\btag\b:/g, '--tag:')
    .replace(/\bplatforms(\.\d+)?\b/g, '--platform')
    .replace(/\bbuildArgs\.([A-Za-z0-9_]*)/g, '--build-arg $1');
}
