/**
 * The cloud-init NoCloud seed: its two files (YAML written by the YAML library, so a value never
 * becomes structure), which tool makes it (an ISO maker first, else mkfs.vfat with mcopy, and a
 * message naming what to install when none is there), the commands it runs, and — with the real
 * xorriso and mtools of this machine — a seed whose label is `cidata`, whose files read back, 0600.
 */

import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { findExecutable } from '../../../src/platform/executables';
import { runProcess } from '../../../src/platform/process';
import {
  findSeedTool,
  makeSeed,
  seedArgvs,
  seedFiles,
  seedToolHint,
  type SeedIdentity,
} from '../../../src/vms/vm-cloud-init-seed';

const KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC7 bootc-studio-vm-0123456789ab';
const identity: SeedIdentity = {
  instanceId: 'bootc-studio-0123456789ab',
  hostname: 'my-os-1',
  user: 'root',
  publicKey: KEY,
};

describe('seedFiles', () => {
  test('meta-data: the instance id and the VM name as hostname', () => {
    const { metaData } = seedFiles(identity);
    expect(load(metaData)).toEqual({ 'instance-id': 'bootc-studio-0123456789ab', 'local-hostname': 'my-os-1' });
  });

  test("root: a #cloud-config that lets root in with the VM's key (disable_root false, root's keys at the top)", () => {
    const { userData } = seedFiles({ ...identity, publicKey: `${KEY}\n` });
    expect(userData.split('\n')[0]).toBe('#cloud-config');
    expect(load(userData)).toEqual({ disable_root: false, ssh_authorized_keys: [KEY] });
    // One line per key: a long key is never folded over lines.
    expect(userData).toContain(`- ${KEY}\n`);
  });

  test('another user gets the key on its own users entry, and no distribution default user is made', () => {
    const { userData } = seedFiles({ ...identity, user: 'core' });
    expect(load(userData)).toEqual({ users: [{ name: 'core', ssh_authorized_keys: [KEY] }] });
  });

  test('values that look like YAML stay values', () => {
    const tricky = 'ssh-ed25519 AAAAC3 me: {x: 1} # not a comment';
    const { userData, metaData } = seedFiles({ ...identity, hostname: 'a: b', publicKey: tricky });
    expect(load(userData)).toEqual({ disable_root: false, ssh_authorized_keys: [tricky] });
    expect((load(metaData) as Record<string, string>)['local-hostname']).toBe('a: b');
  });

  test('a key of several lines or a bad user name is refused', () => {
    expect(() => seedFiles({ ...identity, publicKey: `${KEY}\nssh-rsa OTHER` })).toThrow(/one line/);
    expect(() => seedFiles({ ...identity, user: 'Root\nx' })).toThrow(/not a valid user name/);
  });
});

describe('findSeedTool', () => {
  let dir: string;
  const bin = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seed-tools-'));
    for (const sub of ['iso', 'geniso', 'vfat', 'mtools', 'empty']) await mkdir(join(dir, sub));
    for (const path of ['iso/xorriso', 'iso/mkisofs', 'geniso/genisoimage', 'vfat/mkfs.vfat', 'mtools/mcopy']) {
      await writeFile(bin(path), '#!/bin/sh\n');
      await chmod(bin(path), 0o755);
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('an ISO maker first, xorriso before genisoimage before mkisofs', () => {
    expect(findSeedTool(`${bin('geniso')}:${bin('iso')}`, [])).toEqual({
      kind: 'iso',
      name: 'xorriso',
      program: bin('iso/xorriso'),
    });
    expect(findSeedTool(bin('geniso'), [])).toMatchObject({ name: 'genisoimage', program: bin('geniso/genisoimage') });
  });

  test('else mkfs.vfat, only with mcopy beside it', () => {
    const vfat = findSeedTool(`${bin('vfat')}:${bin('mtools')}`, []);
    expect(vfat).toEqual({
      kind: 'vfat',
      name: 'mkfs.vfat',
      program: bin('vfat/mkfs.vfat'),
      mcopy: bin('mtools/mcopy'),
    });
  });

  test('none: undefined, and the message names every tool and what to install', () => {
    // mkfs.vfat may be in this machine's /usr/sbin, but mcopy is nowhere on this PATH.
    expect(findSeedTool(bin('empty'), [bin('empty')])).toBeUndefined();
    expect(findSeedTool(bin('vfat'), [bin('empty')])).toBeUndefined();
    const hint = seedToolHint('linux');
    for (const word of ['xorriso', 'genisoimage', 'mkisofs', 'mkfs.vfat', 'mcopy', 'apt install xorriso']) {
      expect(hint).toContain(word);
    }
    expect(seedToolHint('darwin')).toContain('brew install xorriso');
  });
});

describe('seedArgvs', () => {
  test('an ISO labelled cidata, with Joliet and Rock Ridge names; xorriso in its mkisofs mode', () => {
    expect(seedArgvs({ kind: 'iso', name: 'xorriso', program: '/x/xorriso' }, '/d', '/o.img')).toEqual([
      ['/x/xorriso', '-as', 'mkisofs', '-quiet', '-output', '/o.img', '-volid', 'cidata', '-joliet', '-rock', '/d'],
    ]);
    expect(seedArgvs({ kind: 'iso', name: 'genisoimage', program: '/g' }, '/d', '/o.img')[0].slice(0, 2)).toEqual([
      '/g',
      '-quiet',
    ]);
  });

  test('FAT: a 1 MiB image labelled CIDATA, then both files copied in', () => {
    expect(
      seedArgvs({ kind: 'vfat', name: 'mkfs.vfat', program: '/s/mkfs.vfat', mcopy: '/b/mcopy' }, '/d', '/o.img'),
    ).toEqual([
      ['/s/mkfs.vfat', '-n', 'CIDATA', '-C', '/o.img', '1024'],
      ['/b/mcopy', '-i', '/o.img', '/d/user-data', '/d/meta-data', '::'],
    ]);
  });
});

describe('makeSeed with the real tools', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seed-make-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const xorriso = findExecutable('xorriso');
  const mkfs = findExecutable('mkfs.vfat', process.env.PATH, ['/usr/sbin', '/sbin']);
  const mcopy = findExecutable('mcopy');

  test.skipIf(!xorriso)(
    'xorriso: an ISO 9660 volume cidata with both files, 0600, nothing left beside it',
    async () => {
      const out = join(dir, 'iso', 'cidata.img');
      await mkdir(join(dir, 'iso'));
      await makeSeed({ kind: 'iso', name: 'xorriso', program: xorriso as string }, identity, out);
      const image = await readFile(out);
      // The primary volume descriptor's volume id, at 32 KiB + 40.
      expect(image.subarray(0x8028, 0x8028 + 6).toString('latin1')).toBe('cidata');
      expect((await stat(out)).mode & 0o777).toBe(0o600);
      expect(await readdir(join(dir, 'iso'))).toEqual(['cidata.img']);
      const extracted = join(dir, 'iso-out');
      await runProcess([xorriso as string, '-osirrox', 'on', '-indev', out, '-extract', '/', extracted], {
        capture: true,
      });
      expect(load(await readFile(join(extracted, 'user-data'), 'utf8'))).toEqual({
        disable_root: false,
        ssh_authorized_keys: [KEY],
      });
      expect(await readFile(join(extracted, 'meta-data'), 'utf8')).toBe(seedFiles(identity).metaData);
    },
  );

  test.skipIf(!mkfs || !mcopy)('mkfs.vfat + mcopy: a FAT volume CIDATA whose files read back', async () => {
    const out = join(dir, 'cidata-fat.img');
    await makeSeed({ kind: 'vfat', name: 'mkfs.vfat', program: mkfs as string, mcopy: mcopy as string }, identity, out);
    expect((await readFile(out)).subarray(43, 49).toString('latin1')).toBe('CIDATA');
    const read = await runProcess([findExecutable('mtype') as string, '-i', out, '::user-data'], { capture: true });
    expect(read.stdout).toBe(seedFiles(identity).userData);
  });

  test('a tool that fails: its words in the error, no seed and no leftovers', async () => {
    const out = join(dir, 'fails', 'cidata.img');
    await mkdir(join(dir, 'fails'));
    const failing = makeSeed({ kind: 'iso', name: 'mkisofs', program: '/bin/false' }, identity, out, async () => ({
      code: 2,
      stderr: 'mkisofs: Permission denied\n',
    }));
    await expect(failing).rejects.toThrow(
      'mkisofs could not make the cloud-init seed (exit 2): mkisofs: Permission denied',
    );
    expect(await readdir(join(dir, 'fails'))).toEqual([]);
  });
});
