/**
 * Deleting a build's files, and only its own: each artifact is removed when the file at its path is
 * still the one the build recorded (artifacts.ts: size, mtime, inode, device); a file replaced since
 * is left where it is, and the result says why. The log is the build's own file (named by its id).
 */

import { readdir, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';

import { builderKindOf } from '../api/disk-build';
import { errorMessage } from '../api/errors';
import type { DiskBuildDeleteResult, DiskBuildRecord, OutputFolderCheck } from '../api/disk-builds';
import { bibManifestName, fileIdentity, logFileName, outputEntriesFor, sameFile } from './artifacts';

/** Removes what of `record`'s files is still its own; `all` are the store's records (who shares the folder). */
export async function deleteBuildFiles(
  record: DiskBuildRecord,
  all: readonly DiskBuildRecord[],
): Promise<DiskBuildDeleteResult> {
  const result: DiskBuildDeleteResult = { removed: [], kept: [] };
  const outputDir = resolve(record.request.outputDir);
  const others = all.filter(other => other.id !== record.id);
  const remove = async (path: string) => {
    await rm(path, { force: true });
    result.removed.push(path);
  };
  for (const artifact of record.artifacts) {
    const now = await fileIdentity(artifact.path);
    if (!now) continue;
    if (!sameFile(artifact, now)) {
      const newer = others.find(other =>
        other.artifacts.some(mine => mine.path === artifact.path && sameFile(mine, now)),
      );
      result.kept.push({
        path: artifact.path,
        reason: newer
          ? `replaced by build ${newer.id} since this build wrote it`
          : 'replaced since this build wrote it',
      });
      continue;
    }
    await remove(artifact.path);
    await removeEmptyDirs(dirname(artifact.path), outputDir);
  }
  // bootc-image-builder's manifest has no build id in its name: it goes only when no other build uses the folder.
  const sharedFolder = others.some(other => !other.remote && resolve(other.request.outputDir) === outputDir);
  if (builderKindOf(record.request.builder) === 'bootc-image-builder' && !sharedFolder) {
    const manifest = join(outputDir, bibManifestName(record.request.types));
    if (await fileIdentity(manifest)) await remove(manifest);
  }
  // A log named by the build id is its own; an old shared `image-build.log` goes with its last build.
  const ownLog = basename(record.logPath) === logFileName(record.id);
  const logShared = others.some(other => other.logPath === record.logPath);
  if ((ownLog || !logShared) && (await fileIdentity(record.logPath))) await remove(record.logPath);
  return result;
}

/** Removes `dir` and its parents up to (not including) `stop`, while they are empty. */
async function removeEmptyDirs(dir: string, stop: string): Promise<void> {
  let current = dir;
  while (relative(stop, current) !== '' && !relative(stop, current).startsWith('..')) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}

/** "holds the disk images of build 1a2b… (qcow2/disk.qcow2): …" — the refusal of a folder with conflicts. */
export function describeConflicts(check: OutputFolderCheck): string {
  const byBuild = new Map<string, string[]>();
  for (const conflict of check.conflicts) {
    const key = conflict.buildId ?? '';
    byBuild.set(key, [...(byBuild.get(key) ?? []), conflict.path]);
  }
  const parts = [...byBuild].map(([buildId, paths]) =>
    buildId
      ? `the files of build ${buildId} (${paths.join(', ')})`
      : `files the builder would overwrite (${paths.join(', ')})`,
  );
  return `this folder already holds ${parts.join(' and ')}: choose a fresh folder such as ${check.suggestion}, or overwrite them`;
}

/**
 * The files of other builds in `record`'s output folder that are still theirs (identity unchanged):
 * what a failed or cancelled build's clean-up must not remove, even when it was allowed to overwrite
 * them and never got that far.
 */
export async function othersFiles(record: DiskBuildRecord, all: readonly DiskBuildRecord[]): Promise<Set<string>> {
  const outputDir = resolve(record.request.outputDir);
  const kept = new Set<string>();
  for (const other of all) {
    if (other.id === record.id || other.remote || resolve(other.request.outputDir) !== outputDir) continue;
    for (const artifact of other.artifacts) {
      const now = await fileIdentity(artifact.path);
      if (now && artifact.ino !== undefined && sameFile(artifact, now)) kept.add(artifact.path);
    }
  }
  return kept;
}

/** Removes `path` (a file or a folder, recursively) except the files in `keep` and the folders that hold them. */
export async function removeExcept(path: string, keep: ReadonlySet<string>): Promise<void> {
  if (keep.has(path)) return;
  const holds = [...keep].some(file => !relative(path, file).startsWith('..') && relative(path, file) !== '');
  if (!holds) {
    await rm(path, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(path).catch(() => [] as string[])) await removeExcept(join(path, name), keep);
}

/**
 * A build that did not succeed: removes what it wrote of its outputs. Another build's disk image
 * that this one was allowed to overwrite but never did stays; `all` are the store's records.
 */
export async function removePartialOutputs(
  record: DiskBuildRecord,
  all: readonly DiskBuildRecord[],
  note: (line: string) => void,
): Promise<void> {
  const request = record.request;
  if (record.remote) {
    note(`partial results may remain in ${request.outputDir} on ${record.engineName}`);
    return;
  }
  const entries = outputEntriesFor(request.types, builderKindOf(request.builder) === 'bootc-image-builder');
  const keep = await othersFiles(record, all);
  for (const entry of entries) {
    await removeExcept(join(request.outputDir, entry), keep).catch((error: unknown) =>
      note(`could not remove ${entry}: ${errorMessage(error)}`),
    );
  }
}
