/**
 * Importing a `config.toml` / `config.json` into the form and exporting the form as `config.toml`:
 * the file I/O around build-config-parse.ts and build-config-render.ts. An imported file is read only when it is small (a
 * config is a few kB); an exported one is written 0600 with every password hashed.
 */

import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

import { buildConfigSchema } from '../api/disk-build-schema';

import { type BuildConfig } from '../api/disk-build';
import type { ImportedBuildConfig } from '../api/disk-builds';
import { errorMessage } from '../api/errors';
import { describeErrors, parseOrThrow, ValidationError } from '../api/validation';
import { detectConfigFormat, importBuildConfig } from './build-config-parse';
import { buildConfigToToml, hashConfigPasswords } from './build-config-render';

export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads a config file; any refusal names the field `file` (the page shows it by the import button). */
export async function importBuildConfigFile(path: string): Promise<ImportedBuildConfig> {
  const refuse = (message: string) => new ValidationError([{ field: 'file', message }]);
  const info = await stat(path).catch((error: unknown) => {
    throw refuse(`cannot read ${basename(path)}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  });
  if (!info.isFile()) throw refuse(`${basename(path)} is not a file`);
  if (info.size > MAX_CONFIG_BYTES) throw refuse(`${basename(path)} is too large for a build config (over 1 MB)`);
  const text = await readFile(path, 'utf8');
  const result = importBuildConfig(text, detectConfigFormat(text, path));
  if (!result.ok) throw refuse(`${basename(path)}: ${describeErrors(result.errors)}`);
  return { config: result.config, unknownFields: result.unknownFields };
}

/** Writes `config` as config.toml at `path` (0600), passwords as SHA-512 crypt hashes. */
export async function exportBuildConfigFile(config: unknown, path: string): Promise<void> {
  const checked: BuildConfig = parseOrThrow(buildConfigSchema(), config);
  await writeFile(path, buildConfigToToml(hashConfigPasswords(checked)), { mode: 0o600 });
  // An existing file keeps its mode on writeFile: hashes are not for other users either.
  await chmod(path, 0o600);
}
