/**
 * What a disk build is checked for before anything starts, beyond its request's own validation:
 * the engine (a rootful podman, or a rootless one on Linux with the hand-off; podman 5 on macOS and
 * Windows; where it keeps its images), what a build on another machine cannot do, the output folder
 * (created when asked, writable), `~/.aws` for an AMI upload, and the rootless store for the
 * hand-off. Each refusal names its field.
 *
 * Where the builder runs: on the engine that holds the image, when it is rootful. A rootless podman
 * on Linux: on root's podman, through the hand-off (linux-handoff.ts; one admin step, so such a build
 * cannot be detached and is lost if its runner dies). An engine on another machine (ssh://): there,
 * with the output folder a path on that machine, the config copied into the builder and the log kept
 * beside the record. A rootless podman machine (macOS, Windows): refused; the preview offers the fix.
 */

import { constants } from 'node:fs';
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import type { DiskBuildRequest } from '../api/disk-build';
import type { DiskBuildRecord, OutputFolderState } from '../api/disk-builds';
import { FINISHED_STATUSES } from '../api/disk-builds';
import { errorMessage } from '../api/errors';
import { ValidationError } from '../api/validation';
import type { EngineInfo } from '../engine/container-engine';
import { describeConflicts } from './artifact-removal';
import { checkOutputFolder } from './artifacts';
import type { HandoffFacts } from './linux-handoff';

/** What a build on an engine on another machine cannot do: refused before anything starts. */
/** Not enough room in the output folder: refused before anything started, but not bad input. */
export class NotEnoughSpaceError extends Error {
  readonly field = 'outputDir';
  constructor(message: string) {
    super(`outputDir: ${message}`);
    this.name = 'NotEnoughSpaceError';
  }
}

export function remoteProblem(engine: EngineInfo, request: DiskBuildRequest): void {
  if (request.aws) {
    throw new ValidationError([
      {
        field: 'aws',
        message: `${engine.name} runs on another machine: an AMI upload reads ~/.aws on this one, so build the AMI on a local engine`,
      },
    ]);
  }
}

/**
 * The engine's graph root; refuses an engine the builder cannot run on. A rootless engine on Linux
 * is fine when the hand-off can run (`handoff`).
 */
export function engineProblem(engine: EngineInfo, platform: NodeJS.Platform, handoff: boolean): string {
  const major = Number(/^(\d+)\./.exec(engine.version ?? '')?.[1]);
  if ((platform === 'darwin' || platform === 'win32') && major < 5) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} is podman ${engine.version}: building disk images on ${platform === 'darwin' ? 'macOS' : 'Windows'} needs podman 5 or newer; update podman and recreate the machine`,
      },
    ]);
  }
  if (engine.rootful === false && engine.remote) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} is a rootless podman on another machine, and the builder needs a rootful one: connect to root's podman socket there (ssh://root@host/run/podman/podman.sock)`,
      },
    ]);
  }
  if (engine.rootful === false && !(platform === 'linux' && handoff)) {
    const fix =
      platform === 'linux'
        ? "build on root's podman (sudo, or --url unix:///run/podman/podman.sock)"
        : 'make the podman machine rootful (podman machine stop; podman machine set --rootful; podman machine start)';
    throw new ValidationError([
      { field: 'engineId', message: `${engine.name} is rootless, and the builder needs a rootful podman: ${fix}` },
    ]);
  }
  if (!engine.graphRoot) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} does not say where it stores its images (no graph root in its info): the builder needs a podman engine`,
      },
    ]);
  }
  return engine.graphRoot;
}

/**
 * What is wrong with `dir` as an output folder on this machine, without creating anything: a folder
 * (or one that can be made: its nearest existing parent is a writable folder) that this process may
 * write to and that is not the root folder, even through a link. Undefined when it will do.
 */
export async function outputDirProblem(dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch(() => undefined);
  if (info) {
    if (!info.isDirectory()) return `${dir} is not a folder`;
    // A link to the root folder would give the builder the whole file system as its /output.
    if ((await realpath(dir)) === '/') return `${dir} is the root folder: choose a folder under it`;
    const writable = await access(dir, constants.W_OK).then(
      () => true,
      () => false,
    );
    return writable ? undefined : `${dir} is not writable`;
  }
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    const found = await stat(parent).catch(() => undefined);
    if (found) {
      if (!found.isDirectory()) return `cannot create ${dir}: ${parent} is not a folder`;
      const writable = await access(parent, constants.W_OK).then(
        () => true,
        () => false,
      );
      return writable ? undefined : `cannot create ${dir}: ${parent} is not writable`;
    }
    if (parent === dirname(parent)) return `cannot create ${dir}`;
  }
}

/** The output folder on this machine, created when asked: a folder this process may write to, or the field refused. */
export async function checkOutputDir(dir: string, create: boolean): Promise<void> {
  const problem = (message: string) => new ValidationError([{ field: 'outputDir', message }]);
  // Checked before anything is made: a refused folder leaves no half-made path behind.
  const found = await outputDirProblem(dir);
  if (found) throw problem(found);
  if (create && !(await stat(dir).catch(() => undefined))) {
    await mkdir(dir, { recursive: true }).catch((error: unknown) => {
      throw problem(`cannot create ${dir}: ${errorMessage(error)}`);
    });
  }
  if (!(await stat(dir).catch(() => undefined))) throw problem(`${dir} does not exist`);
}

/** `~/.aws`, where an AMI upload reads the credentials: it must exist. */
export async function awsConfigDir(home: string = homedir()): Promise<string> {
  const dir = join(home, '.aws');
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ValidationError([
      { field: 'aws', message: `an AMI upload reads the AWS credentials from ${dir}, which does not exist` },
    ]);
  }
  return dir;
}

/** The owner of the rootless store (it must be on this machine) and root's podman, for the hand-off. */
export async function handoffFacts(engine: EngineInfo, graphRoot: string, imageId: string): Promise<HandoffFacts> {
  const store = await stat(graphRoot).catch(() => undefined);
  if (!store?.isDirectory()) {
    throw new ValidationError([
      {
        field: 'engineId',
        message: `${engine.name} is rootless and its image store ${graphRoot} is not on this machine: the image can be handed to root's podman only on the machine that runs the engine`,
      },
    ]);
  }
  return { imageId, owner: { uid: store.uid, gid: store.gid } };
}

/** What Build would do with a local output folder: use it, create it, or refuse it (and why). */
export async function outputFolderState(dir: string): Promise<OutputFolderState> {
  const info = await stat(dir).catch((error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error');
  if (info === 'ENOENT' || info === 'ENOTDIR') {
    // Created by start(): as far up as the first folder that exists, which must be writable.
    let parent = dirname(dir);
    while (parent !== dirname(parent) && !(await stat(parent).catch(() => undefined))) parent = dirname(parent);
    const parentInfo = await stat(parent).catch(() => undefined);
    if (!parentInfo?.isDirectory()) return { state: 'refused', message: `${parent} is not a folder` };
    const writable = await access(parent, constants.W_OK).then(
      () => true,
      () => false,
    );
    if (!writable) return { state: 'refused', message: `${dir} does not exist, and ${parent} is not writable` };
    return { state: 'missing', message: `${dir} does not exist yet: it will be created` };
  }
  if (typeof info === 'string') return { state: 'refused', message: `cannot read ${dir} (${info})` };
  if (!info.isDirectory()) return { state: 'refused', message: `${dir} is not a folder` };
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  return writable ? { state: 'exists' } : { state: 'refused', message: `${dir} is not writable` };
}

/**
 * One folder, one build: refuses a folder a running build writes into (on this machine whatever the
 * engine, on another machine per engine), and — unless the user chose to overwrite — a local
 * folder that holds another build's files or files the builder would write.
 */
export async function checkOutputFolderFree(
  request: DiskBuildRequest,
  records: readonly DiskBuildRecord[],
  build: { engineId: string; remote: boolean; overwrite: boolean; now: number },
): Promise<void> {
  const sameFolder = records.find(
    record =>
      !FINISHED_STATUSES.includes(record.status) &&
      (record.remote || build.remote
        ? record.engineId === build.engineId && record.request.outputDir === request.outputDir
        : resolve(record.request.outputDir) === request.outputDir),
  );
  if (sameFolder) {
    throw new ValidationError([
      {
        field: 'outputDir',
        message: `build ${sameFolder.id} is writing into this folder: choose another one, or wait for it to end`,
      },
    ]);
  }
  if (build.remote || build.overwrite) return;
  const check = await checkOutputFolder(request.outputDir, request.image, request.types, [...records], build.now);
  if (check.conflicts.length > 0)
    throw new ValidationError([{ field: 'outputDir', message: describeConflicts(check) }]);
}

/** A hand-off build ends with the command that runs it: it cannot be detached. */
export function detachRefusal(engineName: string): ValidationError {
  return new ValidationError([
    {
      field: 'detach',
      message: `${engineName} is rootless: the build runs on root's podman under this command, so it cannot be detached; run it in the foreground, or build on root's podman (--url unix:///run/podman/podman.sock)`,
    },
  ]);
}
