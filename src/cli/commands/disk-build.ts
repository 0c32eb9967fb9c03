import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import {
  type BuildConfig,
  BUILDER_PRESETS,
  type BuilderChoice,
  type BuildUser,
  emptyBuildConfig,
} from '../../api/disk-build';

import { preselectArchitecture } from '../../api/disk-build-architectures';

import { validateDiskBuildRequest } from '../../api/disk-build-schema';
import { errorMessage } from '../../api/errors';
import { ValidationError } from '../../api/validation';
import type { ImportedBuildConfig } from '../../api/disk-builds';
import { importBuildConfigFile } from '../../builds/build-config-import-export';
import { describeConflicts } from '../../builds/artifact-removal';
import { NotEnoughSpaceError, outputDirProblem } from '../../builds/build-checks';
import { resolveEndpoint } from '../../engine/engine-endpoint';
import type { DiskBuildService } from '../../builds/disk-build-service';
import type { CliCommand, CliContext } from '../cli-context';
import { UsageError } from '../cli-context';
import { buildJobs, describeRecord, isFinished, openBuilds } from '../disk-builds';
import { lintImage } from '../../images/image-lint';
import { flagErrors, type FlagSources } from '../disk-build-flags';
import { followJob } from '../job-follower';
import { askBuildPasswords } from '../secret-input';

/**
 * `bootc-studio disk build IMAGE --output DIR …`: every flag is read and checked before the engine is
 * contacted (exit 2, nothing started); the build then runs in this process, its log and progress on
 * the terminal, until it ends (exit 0 succeeded, 1 otherwise). Ctrl-C cancels it cleanly (a second
 * Ctrl-C quits at once and leaves the builder to the next `disk ls`).
 *
 * `--detach` prints the id once the builder runs and exits. The builder container goes on by itself;
 * a background `bootc-studio disk attach ID` takes the build over (follows the log into
 * image-build-<id>.log, records the outcome, removes the container and the config file). Should that
 * process not run, any later `disk ls / show / logs` finds the builder by its label and records the
 * outcome once it has exited.
 */

export const diskBuildCommand: CliCommand = {
  name: 'disk build',
  summary: 'Turn a bootc image into disk images (qcow2, raw, vmdk, vhd, ami, gce, anaconda-iso…)',
  usage: 'IMAGE --output DIR',
  positionals: [1, 1],
  options: {
    output: {
      type: 'string',
      short: 'o',
      description:
        "Folder for the disk images and the build's log, image-build-<id>.log (required; created if missing)",
    },
    overwrite: {
      type: 'boolean',
      description: 'Write over the disk images of an earlier build in the --output folder (refused without it)',
    },
    type: {
      type: 'string',
      multiple: true,
      description:
        'qcow2 (default), raw, vmdk, vhd, ami, gce, anaconda-iso, iso, bootc-installer; repeatable (ISO types alone)',
    },
    arch: { type: 'string', description: "amd64 or arm64 (default: the image's, else the engine's)" },
    rootfs: { type: 'string', description: 'xfs, ext4 or btrfs (required for Fedora-based images)' },
    user: {
      type: 'string',
      multiple: true,
      description:
        'NAME[:PASSWORD[:GROUP,GROUP…]]; repeatable. PASSWORD "-" asks for it (typed without echo, or a line of stdin) so it stays out of the process list; it is stored only as a SHA-512 crypt hash; one with a ":" needs a trailing ":" (demo:pa:ss:)',
    },
    'ssh-key': {
      type: 'string',
      multiple: true,
      description: 'NAME=PUBKEY_FILE: an SSH public key for user NAME; repeatable',
    },
    group: { type: 'string', multiple: true, description: 'NAME[:GID]: a group to create; repeatable' },
    'kernel-arg': {
      type: 'string',
      multiple: true,
      description: 'A kernel argument to append, e.g. audit=0; repeatable',
    },
    filesystem: {
      type: 'string',
      multiple: true,
      description: 'MOUNTPOINT=SIZE: a minimum size, e.g. /=20GiB or /var/data=10GiB; repeatable',
    },
    config: { type: 'string', description: 'A config.toml or config.json to start from (the flags above add to it)' },
    builder: {
      type: 'string',
      description: 'centos (default), rhel9, rhel10, or a bootc-image-builder image reference',
    },
    chown: { type: 'string', description: 'UID:GID to own the disk images' },
    'aws-ami-name': { type: 'string', description: 'Upload the ami as this AMI (with --aws-bucket and --aws-region)' },
    'aws-bucket': { type: 'string', description: 'S3 bucket for the AMI upload' },
    'aws-region': { type: 'string', description: 'AWS region for the AMI upload' },
    detach: { type: 'boolean', short: 'd', description: 'Print the build id once the builder runs, and return' },
    'skip-lint': {
      type: 'boolean',
      description: 'Build even when bootc container lint finds errors in the image (they are still listed)',
    },
  },
  async run(ctx, values, positionals) {
    const cwd = ctx.io.cwd ?? process.cwd();
    const sources: FlagSources = { users: 0, groups: 0, kernelArgs: 0, filesystems: 0, keyFlags: [] };
    const request = await requestFromFlags(values, positionals[0], cwd, sources);
    if (sources.unknownConfigKeys?.length) {
      ctx.io.stderr.write(
        `bootc-studio: note: --config: not checked here, passed to the builder as written: ${sources.unknownConfigKeys.join(', ')}\n`,
      );
    }
    // Everything but the image's architectures is checked before the engine is contacted.
    const early = validateDiskBuildRequest({ ...request, arch: request.arch ?? 'amd64' });
    if (!early.ok) throw new UsageError(flagErrors(early.errors, sources));
    // So is the output folder, when it is on this machine (a remote engine's is on its own).
    if (isLocalEngine(ctx)) {
      const problem = await outputDirProblem(early.value.outputDir);
      if (problem) throw new UsageError(`--output: ${problem}`);
    }

    await askBuildPasswords(request.config.users, ctx.io);

    const builds = await openBuilds(ctx);
    if (request.arch === undefined) request.arch = await defaultArch(ctx, builds, request.image);
    const overwrite = values.overwrite === true;
    if (!overwrite) {
      // The same check as the form's, so the refusal names the build and a fresh folder.
      const check = await builds.checkOutputFolder(early.value.outputDir, early.value.image, early.value.types);
      if (check.conflicts.length > 0) {
        throw new UsageError(`--output: ${describeConflicts(check)} (add --overwrite to write over them)`);
      }
    }
    let id: string;
    try {
      id = await builds.start(request, {
        createOutputDir: true,
        detach: values.detach === true,
        overwrite,
        // Linted once nothing else refuses the request, before anything is made.
        beforeStart: (engineId, image) => lintOrRefuse(ctx, engineId, image, values['skip-lint'] === true),
      });
    } catch (error) {
      if (error instanceof LintRefusal) return 1;
      if (error instanceof ValidationError) throw new UsageError(flagErrors(error.errors, sources));
      if (error instanceof NotEnoughSpaceError)
        throw new Error(`--output: ${error.message.replace(/^outputDir: /, '')}`);
      throw error;
    }
    if (values.detach === true) return detach(ctx, builds, id);

    // The first Ctrl-C cancels; the follower then steps aside, so a second one ends the process at once.
    const jobs = buildJobs(builds);
    try {
      await followJob(jobs, id, ctx.io, {
        json: ctx.json,
        interrupt: 'cancel',
        cancelNote: 'Cancelling… (Ctrl-C again to quit at once; the builder then goes on alone)',
      });
    } finally {
      jobs.dispose();
    }
    // The follower ends on the final record; the run then removes its builder container: wait for
    // that too, or the process would end before it and leave the container to the next start.
    await builds.wait(id);
    return report(ctx, await builds.get(id));
  },
};

type Flags = Record<string, unknown>;

/** The request the flags describe (paths resolved against `cwd`); bad flag syntax is a UsageError. */
export async function requestFromFlags(values: Flags, image: string, cwd: string, sources?: FlagSources) {
  const output = values.output as string | undefined;
  if (output === undefined || output === '') throw new UsageError('disk build: --output DIR is required');
  const imported = values.config ? await readConfigFlag(resolve(cwd, values.config as string)) : undefined;
  const config: BuildConfig = imported?.config ?? emptyBuildConfig();
  if (sources) {
    sources.unknownConfigKeys = imported?.unknownFields;
    sources.users = config.users.length;
    sources.groups = config.groups.length;
    sources.kernelArgs = config.kernelArgs.length;
    sources.filesystems = config.filesystems.length;
  }
  for (const flag of strings(values.user)) config.users.push(parseUserFlag(flag));
  for (const flag of strings(values['ssh-key'])) {
    const { name, key } = parseSshKeyFlag(flag, cwd);
    const user = config.users.find(candidate => candidate.name === name);
    if (user) {
      if (user.sshKey) throw new UsageError(`--ssh-key: user ${name} already has a key (one key per user)`);
      user.sshKey = key;
    } else config.users.push({ name, sshKey: key, groups: [] });
    sources?.keyFlags.push(config.users.findIndex(candidate => candidate.name === name));
  }
  for (const flag of strings(values.group)) config.groups.push(parseGroupFlag(flag));
  config.kernelArgs.push(...strings(values['kernel-arg']));
  for (const flag of strings(values.filesystem)) config.filesystems.push(parseFilesystemFlag(flag));

  const ami = values['aws-ami-name'] as string | undefined;
  const bucket = values['aws-bucket'] as string | undefined;
  const region = values['aws-region'] as string | undefined;
  const types = strings(values.type);
  return {
    image,
    outputDir: resolve(cwd, output),
    types: types.length > 0 ? types : ['qcow2'],
    arch: values.arch as string | undefined,
    ...(values.rootfs !== undefined ? { rootfs: values.rootfs as string } : {}),
    builder: builderFlag(values.builder as string | undefined),
    config,
    ...(values.chown !== undefined ? { chown: values.chown as string } : {}),
    ...(ami !== undefined || bucket !== undefined || region !== undefined
      ? { aws: { amiName: ami ?? '', bucket: bucket ?? '', region: region ?? '' } }
      : {}),
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** `NAME[:PASSWORD[:GROUP,GROUP…]]`: the groups follow the last `:` once there are two. */
export function parseUserFlag(flag: string): BuildUser {
  const first = flag.indexOf(':');
  if (first < 0) return { name: flag, groups: [] };
  const name = flag.slice(0, first);
  const rest = flag.slice(first + 1);
  const last = rest.lastIndexOf(':');
  const password = last < 0 ? rest : rest.slice(0, last);
  const groups = last < 0 ? '' : rest.slice(last + 1);
  return {
    name,
    ...(password ? { password } : {}),
    groups: groups
      .split(',')
      .map(group => group.trim())
      .filter(Boolean),
  };
}

function parseSshKeyFlag(flag: string, cwd: string): { name: string; key: string } {
  const equals = flag.indexOf('=');
  if (equals <= 0 || equals === flag.length - 1) {
    throw new UsageError(`--ssh-key: expected NAME=PUBKEY_FILE, got ${JSON.stringify(flag)}`);
  }
  const path = resolve(cwd, flag.slice(equals + 1));
  if (!path.endsWith('.pub')) {
    throw new UsageError(`--ssh-key: ${path} is not a .pub file: give the public key, never the private one`);
  }
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new UsageError(`--ssh-key: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { name: flag.slice(0, equals), key };
}

function parseGroupFlag(flag: string): { name: string; gid?: number } {
  const [name, gid, ...rest] = flag.split(':');
  if (rest.length > 0 || (gid !== undefined && !/^\d{1,10}$/.test(gid))) {
    throw new UsageError(`--group: expected NAME[:GID] with a numeric GID, got ${JSON.stringify(flag)}`);
  }
  return { name, ...(gid !== undefined ? { gid: Number(gid) } : {}) };
}

function parseFilesystemFlag(flag: string): { mountpoint: string; minSize: string } {
  const equals = flag.lastIndexOf('=');
  if (equals <= 0) throw new UsageError(`--filesystem: expected MOUNTPOINT=SIZE, got ${JSON.stringify(flag)}`);
  return { mountpoint: flag.slice(0, equals), minSize: flag.slice(equals + 1) };
}

function builderFlag(value: string | undefined): BuilderChoice {
  if (value === undefined) return 'centos';
  if (value in BUILDER_PRESETS) return value as keyof typeof BUILDER_PRESETS;
  return { image: value };
}

/** A config.toml / config.json, read by the importer the form uses. */
async function readConfigFlag(path: string): Promise<ImportedBuildConfig> {
  try {
    return await importBuildConfigFile(path);
  } catch (error) {
    const message =
      error instanceof ValidationError ? error.errors.map(item => item.message).join('; ') : errorMessage(error);
    throw new UsageError(`--config: ${message}`);
  }
}

/** Whether the engine `--url` (or CONTAINER_HOST, or the default socket) names is on this machine. */
function isLocalEngine(ctx: CliContext): boolean {
  try {
    const { endpoint } = resolveEndpoint(ctx.url, { env: ctx.io.env, uid: process.getuid?.(), exists: existsSync });
    return endpoint.kind === 'unix';
  } catch {
    // A bad URL is said when the engine is connected.
    return false;
  }
}

/** The only architecture the image offers, else the engine's own when the image offers it. */
async function defaultArch(ctx: CliContext, builds: DiskBuildService, image: string): Promise<string> {
  const engine = await ctx.engine();
  const [info] = await engine.listEngines();
  let offered: readonly string[] = [];
  try {
    offered = (await builds.describeImage(info?.id ?? '', image)).architectures;
  } catch {
    return 'amd64';
  }
  const allowed = offered.filter((arch): arch is 'amd64' | 'arm64' => arch === 'amd64' || arch === 'arm64');
  return preselectArchitecture(allowed.length > 0 ? allowed : ['amd64', 'arm64'], info?.arch) ?? allowed[0] ?? 'amd64';
}

/** bootc container lint found errors and the user did not say to go on: said already. */
class LintRefusal extends Error {}

/**
 * `bootc container lint` in the image before minutes of building: warnings listed, errors listed and
 * the build refused unless `goOn`. An image whose bootc cannot lint is said and built.
 */
async function lintOrRefuse(ctx: CliContext, engineId: string, image: string, goOn: boolean): Promise<void> {
  const lint = await lintImage(await ctx.engine(), engineId, image);
  const say = (line: string) => ctx.io.stderr.write(`bootc-studio: ${line}\n`);
  if (!lint.checked) say(`${image} was not linted: its bootc has no "bootc container lint"`);
  for (const warning of lint.warnings) say(`lint: ${warning}`);
  for (const error of lint.errors) say(`lint: ${error}`);
  if (lint.errors.length === 0) return;
  if (goOn) {
    say('building anyway (--skip-lint)');
    return;
  }
  say(`bootc container lint found errors in ${image}: fix the Containerfile, or add --skip-lint to build anyway`);
  throw new LintRefusal('bootc container lint found errors');
}

async function detach(ctx: CliContext, builds: DiskBuildService, id: string): Promise<number> {
  // Hand over once the builder runs (or the build already ended).
  let record = await builds.get(id);
  while (!isFinished(record) && record.status !== 'building') {
    await new Promise(resolve => setTimeout(resolve, 100));
    record = await builds.get(id);
  }
  if (isFinished(record)) {
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return report(ctx, record);
  }
  const pid = ctx.spawnDetached?.([
    'disk',
    'attach',
    id,
    '--store',
    ctx.storeDir,
    ...(ctx.url ? ['--url', ctx.url] : []),
  ]);
  await builds.detach(id, pid);
  if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(await builds.get(id), null, 2)}\n`);
  else ctx.io.stdout.write(`${id}\n`);
  return 0;
}

function report(ctx: CliContext, record: Awaited<ReturnType<DiskBuildService['get']>>): number {
  if (record.status !== 'succeeded')
    ctx.io.stderr.write(
      `bootc-studio: build ${record.id} ${record.status}${record.error ? `: ${record.error}` : ''}\n`,
    );
  // With --json, the follower's last line (the end event) carries the record.
  if (!ctx.json && record.status === 'succeeded') ctx.io.stdout.write(describeRecord(record));
  return record.status === 'succeeded' ? 0 : 1;
}

export { flagErrors, flagOf, type FlagSources } from '../disk-build-flags';
