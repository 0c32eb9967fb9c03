import { chown, lstat, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { DiskBuildRequest, DiskImageType } from '../api/disk-build';
import { errorMessage } from '../api/errors';
import {
  FINISHED_STATUSES,
  type ArtifactState,
  type DiskBuildArtifact,
  type DiskBuildRecord,
  type OutputFolderCheck,
  type OutputFolderConflict,
} from '../api/disk-builds';

/**
 * Where each image type lands under the output folder. bootc-image-builder's own layout; the
 * image-builder plan asks for the same paths (`--output-dir /output/<dir> --output-name <name>`) so
 * everything downstream (records, VM launch, overwrite checks) knows one layout.
 */

export interface BuildArtifact {
  type: DiskImageType;
  /** Relative to the output folder, `/`-separated. */
  path: string;
}

interface ArtifactLayout {
  dir: string;
  /** File name without its extension: what image-builder's `--output-name` takes. */
  name: string;
  extension: string;
}

const LAYOUT: Record<DiskImageType, ArtifactLayout> = {
  qcow2: { dir: 'qcow2', name: 'disk', extension: 'qcow2' },
  raw: { dir: 'image', name: 'disk', extension: 'raw' },
  ami: { dir: 'image', name: 'disk', extension: 'raw' },
  vmdk: { dir: 'vmdk', name: 'disk', extension: 'vmdk' },
  vhd: { dir: 'vpc', name: 'disk', extension: 'vhd' },
  gce: { dir: 'gce', name: 'image', extension: 'tar.gz' },
  'anaconda-iso': { dir: 'bootiso', name: 'install', extension: 'iso' },
  iso: { dir: 'bootiso', name: 'install', extension: 'iso' },
  'bootc-installer': { dir: 'bootiso', name: 'install', extension: 'iso' },
};

export function artifactLayout(type: DiskImageType): Readonly<ArtifactLayout> {
  return LAYOUT[type];
}

export function artifactPath(type: DiskImageType): string {
  const { dir, name, extension } = LAYOUT[type];
  return `${dir}/${name}.${extension}`;
}

/** One artifact per requested type, in the request's order (raw and ami share `image/disk.raw`). */
export function artifactsFor(types: readonly DiskImageType[]): BuildArtifact[] {
  return types.map(type => ({ type, path: artifactPath(type) }));
}

/** The manifest bootc-image-builder saves beside the artifacts: `manifest-<types joined by ->.json`. */
export function bibManifestName(types: readonly DiskImageType[]): string {
  return `manifest-${types.join('-')}.json`;
}

/**
 * What a build creates directly under the output folder (folders and files), so that a cancelled or
 * failed build removes its own partial results and nothing else of the folder.
 */
export function outputEntriesFor(types: readonly DiskImageType[], withBibManifest: boolean): string[] {
  const entries = [...new Set(types.map(type => LAYOUT[type].dir))];
  if (withBibManifest) entries.push(bibManifestName(types));
  return entries;
}

/** `image-build-<id>.log`: each build's log is a file of its own, named by the build id. */
export function logFileName(buildId: string): string {
  return `image-build-${buildId}.log`;
}

interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** The identity of the file at `path` (size, mtime, inode, device), or undefined when there is none. */
export async function fileIdentity(path: string): Promise<FileIdentity | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev };
}

/**
 * Whether the file at the artifact's path is still the one its build wrote. A record written before
 * identities were kept has only a size: then any file there counts as its own.
 */
export function sameFile(artifact: DiskBuildArtifact, now: FileIdentity): boolean {
  if (artifact.size !== undefined && artifact.size !== now.size) return false;
  if (artifact.ino === undefined) return true;
  return artifact.ino === now.ino && artifact.dev === now.dev && artifact.mtimeMs === now.mtimeMs;
}

/** What is at an artifact's path now: its own file, nothing, or another file. */
export async function artifactState(artifact: DiskBuildArtifact): Promise<ArtifactState> {
  const now = await fileIdentity(artifact.path);
  if (!now) return 'missing';
  return sameFile(artifact, now) ? 'present' : 'replaced';
}

/** Whether a record's artifacts are files on this machine with an identity to compare. */
function checkable(record: DiskBuildRecord): boolean {
  return !record.remote && record.status === 'succeeded';
}

/**
 * Sets `state` (and `replacedBy`, naming the newer build whose file is there now) on the artifacts
 * of every finished build on this machine, and `logPresent`. `all` are the store's records, to find
 * who replaced a file.
 */
export async function annotateRecords(records: DiskBuildRecord[], all: readonly DiskBuildRecord[]): Promise<void> {
  await Promise.all(
    records.map(async record => {
      if (!FINISHED_STATUSES.includes(record.status)) return;
      record.logPresent = (await fileIdentity(record.logPath)) !== undefined;
      if (!checkable(record)) return;
      for (const artifact of record.artifacts) {
        const now = await fileIdentity(artifact.path);
        delete artifact.replacedBy;
        if (!now) artifact.state = 'missing';
        else if (sameFile(artifact, now)) artifact.state = 'present';
        else {
          artifact.state = 'replaced';
          const newer = all.find(
            other =>
              other.id !== record.id &&
              other.created >= record.created &&
              other.artifacts.some(
                mine =>
                  mine.path === artifact.path &&
                  (mine.ino === undefined ? !FINISHED_STATUSES.includes(other.status) : sameFile(mine, now)),
              ),
          );
          if (newer) artifact.replacedBy = newer.id;
        }
      }
    }),
  );
}

/** The date as `20261203-0712` (UTC), for a fresh subfolder's name. */
function stamp(time: number): string {
  const iso = new Date(time).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 16).replace(':', '')}`;
}

/** `quay.io/fedora/fedora-bootc:42` → `fedora-bootc`: the last path part, without tag or digest. */
export function imageFolderName(ref: string): string {
  const last = ref.split('@')[0].split('/').pop() ?? '';
  const name = last.split(':')[0].replace(/[^A-Za-z0-9._-]/g, '-');
  return name.replace(/^[.-]+/, '') || 'disk-image';
}

/**
 * What in `dir` a new build of `types` would overwrite or mix with: the present artifacts of the
 * store's builds in that folder, and any file at a path the builder writes. One source of truth
 * for the form (through the API) and the CLI.
 */
export async function checkOutputFolder(
  dir: string,
  image: string,
  types: readonly DiskImageType[],
  records: readonly DiskBuildRecord[],
  now: number,
): Promise<OutputFolderCheck> {
  const conflicts: OutputFolderConflict[] = [];
  const seen = new Set<string>();
  const add = (path: string, buildId?: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    conflicts.push({ path, ...(buildId ? { buildId } : {}) });
  };
  const local = records.filter(record => !record.remote && resolve(record.request.outputDir) === resolve(dir));
  for (const record of local) {
    if (!FINISHED_STATUSES.includes(record.status)) {
      for (const artifact of record.artifacts) add(artifact.path, record.id);
      continue;
    }
    if (!checkable(record)) continue;
    for (const artifact of record.artifacts) {
      const identity = await fileIdentity(artifact.path);
      if (identity && sameFile(artifact, identity)) add(artifact.path, record.id);
    }
  }
  for (const type of types) {
    const path = join(dir, ...artifactPath(type).split('/'));
    if (!seen.has(path) && (await fileIdentity(path))) add(path);
  }
  let suggestion = join(dir, `${imageFolderName(image)}-${stamp(now)}`);
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );
  for (let n = 2; await exists(suggestion); n++) {
    suggestion = join(dir, `${imageFolderName(image)}-${stamp(now)}-${n}`);
  }
  return { conflicts, suggestion };
}

/** Records each artifact's size and identity (so a delete later removes this file and not one written over it since); the paths that are missing. */
export async function measureArtifacts(artifacts: DiskBuildArtifact[]): Promise<string[]> {
  const missing: string[] = [];
  for (const artifact of artifacts) {
    try {
      const info = await stat(artifact.path);
      Object.assign(artifact, { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev });
    } catch {
      missing.push(artifact.path);
    }
  }
  return missing;
}

/** Gives a build's outputs to `owner` (`UID:GID`); what cannot be changed is noted, not fatal. */
export async function chownArtifacts(
  request: Pick<DiskBuildRequest, 'types' | 'outputDir'>,
  owner: string,
  note: (line: string) => void,
): Promise<void> {
  const [uid, gid] = owner.split(':').map(Number);
  for (const entry of outputEntriesFor(request.types, false)) {
    await chownTree(join(request.outputDir, entry), uid, gid).catch((error: unknown) =>
      note(`could not chown ${entry}: ${errorMessage(error)}`),
    );
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const info = await lstat(path);
  await chown(path, uid, gid);
  if (info.isDirectory()) {
    for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
  }
}
