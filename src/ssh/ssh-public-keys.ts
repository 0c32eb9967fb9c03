/**
 * The user's SSH public keys (`~/.ssh/*.pub`) for "use my key": public keys only — a file is read
 * only when its name ends in `.pub` and its content is one valid public key line; private keys are
 * never opened.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { sshKeyProblem } from '../api/disk-build-fields';

/** A .pub file larger than this is not a public key. */
const MAX_PUBLIC_KEY_BYTES = 16 * 1024;

export async function listSshPublicKeys(home = homedir()): Promise<{ path: string; key: string }[]> {
  const dir = join(home, '.ssh');
  const names = await readdir(dir).catch(() => [] as string[]);
  const keys: { path: string; key: string }[] = [];
  for (const name of names.filter(name => name.endsWith('.pub')).sort()) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size > MAX_PUBLIC_KEY_BYTES) continue;
      const key = (await readFile(path, 'utf8')).trim();
      if (sshKeyProblem(key) === undefined) keys.push({ path, key });
    } catch {
      // unreadable: not offered
    }
  }
  return keys;
}
