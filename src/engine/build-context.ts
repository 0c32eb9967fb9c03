/**
 * A build context as the engines' build endpoints take it: the context folder as an uncompressed tar
 * stream (tar-fs, as dockerode and Podman Desktop use), every entry owned by root so files COPY'd
 * into the image do not carry the user's uid. Symlinks are stored, never followed; sockets, FIFOs
 * and devices are left out (a build cannot use them).
 */

import { lstatSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { pack } from 'tar-fs';

export async function packContext(dir: string, signal?: AbortSignal): Promise<Readable> {
  const root = await lstat(dir);
  if (!root.isDirectory()) throw new Error(`${dir} is not a folder`);
  signal?.throwIfAborted();
  const stream = pack(dir, {
    ignore: name => {
      const stats = lstatSync(name, { throwIfNoEntry: false });
      return !stats || !(stats.isFile() || stats.isDirectory() || stats.isSymbolicLink());
    },
    map: header => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root' }),
  });
  signal?.addEventListener('abort', () => stream.destroy(), { once: true });
  return stream;
}
