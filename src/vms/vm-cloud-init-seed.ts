/**
 * The cloud-init NoCloud seed of a VM: a small disk labelled `cidata` holding `meta-data` (the
 * instance id and the VM's name as hostname) and `user-data` (`#cloud-config` giving the VM's
 * public key to its SSH user). A guest whose cloud-init reads it lets the VM's key in even where
 * it ignores the SMBIOS credential. Made with a tool the user already has — an ISO with xorriso,
 * genisoimage or mkisofs, else a FAT image with mkfs.vfat and mcopy (mtools) — found on PATH and in
 * Homebrew's prefixes as QEMU is, run with argv arrays.
 */

import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { dump } from 'js-yaml';

import { isGuestUser } from '../api/vms';
import { findExecutable } from '../platform/executables';
import { runProcess, type ProcessResult } from '../platform/process';
import { QEMU_PREFIXES } from './qemu/qemu-discovery';

export interface SeedIdentity {
  /** cloud-init runs its once-per-instance steps again when this changes. */
  instanceId: string;
  hostname: string;
  user: string;
  publicKey: string;
}

export interface SeedFiles {
  metaData: string;
  userData: string;
}

const YAML_OPTIONS = { lineWidth: -1, noRefs: true, quotingType: '"' } as const;

/** The seed's two files; every value goes through the YAML writer, nothing is pasted into text. */
export function seedFiles(identity: SeedIdentity): SeedFiles {
  const { user, publicKey } = identity;
  if (!isGuestUser(user)) throw new Error(`the SSH user ${JSON.stringify(user)} is not a valid user name`);
  const key = publicKey.trim();
  if (!key || /[\r\n]/.test(key)) throw new Error('the VM public key must be one line');
  const metaData = dump({ 'instance-id': identity.instanceId, 'local-hostname': identity.hostname }, YAML_OPTIONS);
  // root: cloud-init gives root the top-level keys, and refuses them unless disable_root is false.
  // Another user gets the key on its own entry (cloud-init makes the user when the image lacks it);
  // no `default` entry, so no distribution default user is made besides.
  const config =
    user === 'root'
      ? { disable_root: false, ssh_authorized_keys: [key] }
      : { users: [{ name: user, ssh_authorized_keys: [key] }] };
  const userData = `#cloud-config\n${dump(config, YAML_OPTIONS)}`;
  return { metaData, userData };
}

/** A program that makes the seed: an ISO 9660 maker, or mkfs.vfat with mcopy. */
export type SeedTool =
  | { kind: 'iso'; name: 'xorriso' | 'genisoimage' | 'mkisofs'; program: string }
  | { kind: 'vfat'; name: 'mkfs.vfat'; program: string; mcopy: string };

const ISO_TOOLS = ['xorriso', 'genisoimage', 'mkisofs'] as const;

/** The first seed tool found: an ISO maker first (the form cloud-init documents), else mkfs.vfat + mcopy. */
export function findSeedTool(
  path = process.env.PATH ?? '',
  extraDirs = QEMU_PREFIXES.map(prefix => join(prefix, 'bin')),
): SeedTool | undefined {
  for (const name of ISO_TOOLS) {
    const program = findExecutable(name, path, extraDirs);
    if (program) return { kind: 'iso', name, program };
  }
  // mkfs.vfat lives in sbin, often not on a user's PATH.
  const vfatDirs = [...extraDirs, '/usr/sbin', '/sbin', ...QEMU_PREFIXES.map(prefix => join(prefix, 'sbin'))];
  const mkfs = findExecutable('mkfs.vfat', path, vfatDirs);
  const mcopy = findExecutable('mcopy', path, extraDirs);
  if (mkfs && mcopy) return { kind: 'vfat', name: 'mkfs.vfat', program: mkfs, mcopy };
  return undefined;
}

/** What to install when no seed tool is found. */
export function seedToolHint(platform: NodeJS.Platform = process.platform): string {
  const how =
    platform === 'darwin'
      ? 'brew install xorriso'
      : 'apt install xorriso (Debian, Ubuntu), dnf install xorriso (Fedora), or mtools with dosfstools';
  return `the cloud-init seed cannot be made: none of xorriso, genisoimage, mkisofs, or mkfs.vfat with mcopy was found. Install one: ${how}`;
}

/** The commands that make the seed `out` from `dir` (holding user-data and meta-data). */
export function seedArgvs(tool: SeedTool, dir: string, out: string): string[][] {
  const isoArgs = ['-quiet', '-output', out, '-volid', 'cidata', '-joliet', '-rock', dir];
  if (tool.kind === 'iso') {
    return tool.name === 'xorriso' ? [[tool.program, '-as', 'mkisofs', ...isoArgs]] : [[tool.program, ...isoArgs]];
  }
  // 1 MiB of FAT; cloud-init matches the label without regard to case (FAT labels are upper case).
  return [
    [tool.program, '-n', 'CIDATA', '-C', out, '1024'],
    [tool.mcopy, '-i', out, join(dir, 'user-data'), join(dir, 'meta-data'), '::'],
  ];
}

export type SeedRunner = (argv: readonly string[]) => Promise<ProcessResult>;

const runSeedCommand: SeedRunner = argv => runProcess(argv, { capture: 4096, timeoutMs: 60_000 });

/**
 * Writes the seed at `out` (0600), replacing one made before. Its files are written first into a
 * private folder beside it (0700, files 0600; the whole folder is the seed's content), removed afterwards.
 */
export async function makeSeed(
  tool: SeedTool,
  identity: SeedIdentity,
  out: string,
  run: SeedRunner = runSeedCommand,
): Promise<void> {
  const files = seedFiles(identity);
  const dir = await mkdtemp(join(dirname(out), '.seed-'));
  const made = `${out}.new`;
  try {
    await chmod(dir, 0o700);
    await writeFile(join(dir, 'meta-data'), files.metaData, { mode: 0o600 });
    await writeFile(join(dir, 'user-data'), files.userData, { mode: 0o600 });
    await rm(made, { force: true });
    for (const argv of seedArgvs(tool, dir, made)) {
      const result = await run(argv);
      if (result.code !== 0) {
        const said = (result.stderr || result.stdout || '').trim().split('\n').slice(-3).join(' ');
        throw new Error(
          `${tool.name} could not make the cloud-init seed (exit ${result.code})${said ? `: ${said}` : ''}`,
        );
      }
    }
    await chmod(made, 0o600);
    await rename(made, out);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(made, { force: true });
  }
}
