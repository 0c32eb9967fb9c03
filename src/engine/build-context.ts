/**
 * A build context as the engines' build endpoints take it (and as Podman Desktop sends it): the
 * context folder as an uncompressed tar stream (tar-fs, as dockerode and Podman Desktop use), every
 * entry owned by root (uid/gid 0) so files COPY'd into the image do not carry the builder's uid,
 * plus files from outside the context (a Containerfile kept elsewhere) appended at the end. Symlinks
 * are stored, never followed; sockets, FIFOs and devices are left out (a build cannot use them).
 */

import { lstatSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { loadTarFs } from '../platform/lazy-packages';

export interface ExtraContextFile {
  /** Path inside the archive, relative, `/`-separated. */
  name: string;
  content: Buffer;
  mode?: number;
}

/** A tar stream of `dir` (its contents, not the folder itself) followed by `extraFiles`. */
export async function packBuildContext(
  dir: string,
  extraFiles: readonly ExtraContextFile[] = [],
  signal?: AbortSignal,
): Promise<Readable> {
  const root = await lstat(dir);
  if (!root.isDirectory()) throw new Error(`${dir} is not a folder`);
  signal?.throwIfAborted();
  const { pack } = await loadTarFs();
  const stream = pack(dir, {
    ignore: name => {
      const stats = lstatSync(name, { throwIfNoEntry: false });
      return !stats || !(stats.isFile() || stats.isDirectory() || stats.isSymbolicLink());
    },
    map: header => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root' }),
    finalize: false,
    finish: archive => {
      for (const file of extraFiles) {
        archive.entry({ name: file.name, mode: file.mode ?? 0o644, uid: 0, gid: 0, mtime: new Date() }, file.content);
      }
      archive.finalize();
    },
  });
  signal?.addEventListener('abort', () => stream.destroy(signal.reason), { once: true });
  return stream;
}
