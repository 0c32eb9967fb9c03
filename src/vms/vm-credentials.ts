/**
 * A VM's own SSH key pair, and the systemd credential that gives its public half to the guest at
 * boot: a `tmpfiles.extra` credential (systemd 252 and later, so CentOS Stream 9 and newer) passed
 * as an SMBIOS OEM string, which creates the user's `~/.ssh/authorized_keys` before sshd starts.
 * Nothing is baked into the image, and no password exists.
 */

import { chmod, readFile, writeFile } from 'node:fs/promises';

import { isGuestUser } from '../api/vms';
import { loadSsh2 } from '../platform/lazy-packages';

export interface VmKeyPair {
  privateKeyPath: string;
  publicKey: string;
}

/**
 * Writes a new key pair at `path` (0600) and `path.pub`. RSA, as FIPS-mode guests refuse Ed25519.
 * The comment names the VM, so the key is recognised in the guest's authorized_keys.
 */
export async function createVmKeyPair(path: string, comment: string): Promise<VmKeyPair> {
  const pair = (await loadSsh2()).utils.generateKeyPairSync('rsa', { bits: 3072, comment });
  await writeFile(path, pair.private, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  await writeFile(`${path}.pub`, `${pair.public}\n`, { mode: 0o644, flag: 'wx' });
  return { privateKeyPath: path, publicKey: pair.public };
}

export async function readVmPublicKey(path: string): Promise<string> {
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

export function guestHome(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

/**
 * The OEM string `io.systemd.credential.binary:tmpfiles.extra=<base64>` whose tmpfiles lines make
 * `~user/.ssh` (0700) and write `authorized_keys` (0600, replacing what was there) from base64.
 */
export function sshKeyCredential(user: string, publicKey: string): string {
  if (!isGuestUser(user)) throw new Error(`the SSH user ${JSON.stringify(user)} is not a valid user name`);
  const home = guestHome(user);
  const key = Buffer.from(`${publicKey.trim()}\n`).toString('base64');
  const lines = [
    `d ${home}/.ssh 0700 ${user} ${user} -`,
    `f+~ ${home}/.ssh/authorized_keys 0600 ${user} ${user} - ${key}`,
  ].join('\n');
  return `io.systemd.credential.binary:tmpfiles.extra=${Buffer.from(`${lines}\n`).toString('base64')}`;
}
