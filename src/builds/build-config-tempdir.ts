/**
 * The config file a build hands to the builder: written only when there is something to configure,
 * with every password as a SHA-512 crypt hash, mode 0600, alone in a private temp dir (0700) — and
 * removed with that dir when the build ends, whatever the ending.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { BuildConfig } from '../api/disk-build';
import { buildConfigToToml, hashConfigPasswords, isBuildConfigEmpty } from './build-config-render';

export const CONFIG_DIR_PREFIX = 'bootc-studio-config-';

export interface WrittenConfig {
  /** The private temp dir; remove it with removeConfigDir. */
  dir: string;
  /** `<dir>/config.toml`. */
  path: string;
}

/**
 * Writes `config` as config.toml in a new private temp dir under `parentDir` (default the OS temp
 * dir, which podman machines share with the host); undefined when the config is empty. `remember`
 * is told the dir before anything is written into it, so that whoever cleans up after a crash knows it.
 */
export async function writeBuildConfig(
  config: BuildConfig,
  parentDir = tmpdir(),
  remember: (dir: string) => Promise<void> = async () => undefined,
): Promise<WrittenConfig | undefined> {
  if (isBuildConfigEmpty(config)) return undefined;
  const toml = buildConfigToToml(hashConfigPasswords(config));
  const dir = await makeConfigDir(parentDir, remember);
  const path = join(dir, 'config.toml');
  try {
    await writeFile(path, toml, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    await removeConfigDir(dir);
    throw error;
  }
  return { dir, path };
}

/** A new private (0700) dir of the kind removeConfigDir removes, `remember`ed before it is used. */
export async function makeConfigDir(
  parentDir = tmpdir(),
  remember: (dir: string) => Promise<void> = async () => undefined,
): Promise<string> {
  const dir = await mkdtemp(join(parentDir, CONFIG_DIR_PREFIX));
  try {
    await remember(dir);
  } catch (error) {
    await removeConfigDir(dir);
    throw error;
  }
  return dir;
}

/** Removes a config dir made by writeBuildConfig; only such a dir (its name says so), and a missing one is fine. */
export async function removeConfigDir(dir: string | undefined): Promise<void> {
  if (!dir || !dir.split(/[\\/]/).pop()?.startsWith(CONFIG_DIR_PREFIX)) return;
  await rm(dir, { recursive: true, force: true });
}
