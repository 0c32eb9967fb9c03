/**
 * The VM's key pair (private half 0600, never overwritten) and the tmpfiles credential that gives
 * the public half to the guest user at boot, in the form systemd's tmpfiles reads.
 */

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { utils } from 'ssh2';
import { afterEach, beforeEach, expect, test } from 'vitest';

import { createVmKeyPair, readVmPublicKey, sshKeyCredential } from '../../../src/vms/vm-credentials';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vm-key-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('a key pair: the private key 0600 and parseable, the public one beside it; an existing key is never replaced', async () => {
  const path = join(dir, 'id_rsa');
  const pair = await createVmKeyPair(path, 'bootc-studio-vm-abc');
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  const parsed = utils.parseKey(await readFile(path));
  expect(parsed).not.toBeInstanceOf(Error);
  expect(pair.publicKey).toMatch(/^ssh-rsa AAAA\S+ bootc-studio-vm-abc$/);
  expect(await readVmPublicKey(path)).toBe(pair.publicKey);
  await expect(createVmKeyPair(path, 'again')).rejects.toThrow(/EEXIST/);
});

test('the credential makes ~/.ssh 0700 and writes authorized_keys 0600 from base64, for root and other users', () => {
  const key = 'ssh-rsa AAAAB3Nza demo';
  const decode = (credential: string) => {
    const [name, value] = credential.split('=', 2);
    expect(name).toBe('io.systemd.credential.binary:tmpfiles.extra');
    return Buffer.from(credential.slice(name.length + 1), 'base64').toString('utf8') || value;
  };
  const root = decode(sshKeyCredential('root', key)).trim().split('\n');
  expect(root[0]).toBe('d /root/.ssh 0700 root root -');
  const fields = root[1].split(' ');
  expect(fields.slice(0, 6)).toEqual(['f+~', '/root/.ssh/authorized_keys', '0600', 'root', 'root', '-']);
  expect(Buffer.from(fields[6], 'base64').toString('utf8')).toBe(`${key}\n`);
  expect(decode(sshKeyCredential('core', key))).toContain('d /home/core/.ssh 0700 core core -');
});

test('a user name a tmpfiles line could be split on is refused', () => {
  expect(() => sshKeyCredential('root x', 'ssh-rsa A')).toThrow(/not a valid user name/);
  expect(() => sshKeyCredential('../etc', 'ssh-rsa A')).toThrow(/not a valid user name/);
});
