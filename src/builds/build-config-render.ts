import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';

import { type BuildConfig, type BuildUser, hasControlCharacter, MASK } from '../api/disk-build';

import { isCryptHash, parseSize } from '../api/disk-build-fields';

import { maskKickstartSecrets } from './request-redaction';
import {
  clone,
  KNOWN,
  lookup,
  pruneEmpty,
  table,
  withoutKeys,
  type ConfigFormat,
  type Doc,
} from './build-config-document';
import { hashPassword, type CryptHash } from './password-hash';
import { maskSecrets } from './secret-masking';

/**
 * The build config as bootc-image-builder reads it (`/config.toml` or `/config.json`, a blueprint
 * subset), rendered from the form (build-config-parse.ts reads one back into it).
 *
 * - Passwords reach a file only as crypt hashes: the writers take a HashedBuildConfig, whose users carry
 *   a CryptHash, which only password-hash.ts makes.
 * - `minsize` is written in bytes: the builder reads an integer without any unit parsing of its own.
 * - The kickstart is written as a TOML multi-line literal string, exactly as typed (no escaping at all),
 *   unless it holds something a literal string cannot; JSON escapes it once, as JSON does.
 * - Fields the form does not know are kept from an imported file (in `extra`, at the level where they
 *   were found) and written back; they cannot override a field the form owns.
 */

export interface HashedBuildUser extends Omit<BuildUser, 'password'> {
  password?: CryptHash;
}

export interface HashedBuildConfig extends Omit<BuildConfig, 'users'> {
  users: HashedBuildUser[];
}

/** Hashes every plain password (hashes already given pass through); the only way to a HashedBuildConfig. */
export function hashConfigPasswords(
  config: BuildConfig,
  hash: (password: string) => CryptHash = hashPassword,
): HashedBuildConfig {
  return {
    ...config,
    users: config.users.map(({ password, ...user }) => ({
      ...user,
      ...(password ? { password: hash(password) } : {}),
    })),
  };
}

/** Nothing to configure: the builder runs without a config file. */
export function isBuildConfigEmpty(config: BuildConfig | HashedBuildConfig): boolean {
  return (
    config.users.length === 0 &&
    config.groups.length === 0 &&
    config.kernelArgs.length === 0 &&
    config.filesystems.length === 0 &&
    !config.installer?.kickstart &&
    (config.installer?.modulesEnable.length ?? 0) === 0 &&
    (config.installer?.modulesDisable.length ?? 0) === 0 &&
    !config.iso?.volumeId &&
    !config.iso?.applicationId &&
    !config.iso?.publisher &&
    config.fips === undefined &&
    Object.keys(config.extra ?? {}).length === 0
  );
}

/** The `config.toml` the builder reads. */
export function buildConfigToToml(config: HashedBuildConfig): string {
  return render(toDocument(config, hashedPassword), 'toml');
}

/** The same structure as `config.json`. */
export function buildConfigToJson(config: HashedBuildConfig): string {
  return render(toDocument(config, hashedPassword), 'json');
}

/** The types already rule out a plain password; this holds the line against a cast (without echoing it). */
function hashedPassword(user: HashedBuildUser): string | undefined {
  if (user.password === undefined) return undefined;
  if (!isCryptHash(user.password)) throw new Error(`the password of user "${user.name}" is not a crypt hash`);
  return user.password;
}

export function renderBuildConfig(config: HashedBuildConfig, format: ConfigFormat): string {
  return format === 'toml' ? buildConfigToToml(config) : buildConfigToJson(config);
}

/**
 * The exact file the build will get, with every password (plain or hashed) shown as `********` and
 * kickstart passwords masked: what the form's live preview shows. Needs no hashing.
 */
export function previewBuildConfig(config: BuildConfig | HashedBuildConfig, format: ConfigFormat = 'toml'): string {
  const doc = toDocument(config, user => (user.password ? MASK : undefined));
  const installer = (doc.customizations as Doc | undefined)?.installer as Doc | undefined;
  const kickstart = installer?.kickstart as Doc | undefined;
  if (kickstart && typeof kickstart.contents === 'string') {
    kickstart.contents = maskKickstartSecrets(kickstart.contents);
  }
  return maskedPreview(render(doc, format));
}

/**
 * Any config text (ours or a hand-written one) with secrets masked: every `password` value, anything
 * shaped like a crypt hash, and kickstart passwords. For showing a file, never for writing one.
 */
export function maskedPreview(configText: string): string {
  return maskSecrets(configText);
}

function toDocument<U extends BuildUser | HashedBuildUser>(
  config: Omit<BuildConfig, 'users'> & { users: U[] },
  passwordOf: (user: U) => string | undefined,
): Doc {
  const doc: Doc = clone(config.extra ?? {});
  const custom = table(doc, 'customizations');
  for (const key of ['user', 'group', 'filesystem', 'fips']) delete custom[key];

  if (config.users.length > 0) {
    custom.user = config.users.map(user => {
      const password = passwordOf(user);
      return {
        name: user.name,
        ...(password ? { password } : {}),
        ...(user.sshKey ? { key: user.sshKey.trim() } : {}),
        ...(user.groups.length > 0 ? { groups: [...user.groups] } : {}),
        ...withoutKeys(user.extra, KNOWN.user),
      };
    });
  }
  if (config.groups.length > 0) {
    custom.group = config.groups.map(group => ({
      name: group.name,
      ...(group.gid !== undefined ? { gid: group.gid } : {}),
      ...withoutKeys(group.extra, KNOWN.group),
    }));
  }

  const kernel = table(custom, 'kernel');
  delete kernel.append;
  if (config.kernelArgs.length > 0) kernel.append = config.kernelArgs.join(' ');
  pruneEmpty(custom, 'kernel');

  if (config.filesystems.length > 0) {
    custom.filesystem = config.filesystems.map(fs => ({
      mountpoint: fs.mountpoint,
      minsize: parseSize(fs.minSize) ?? fs.minSize,
      ...withoutKeys(fs.extra, KNOWN.filesystem),
    }));
  }

  const installer = config.installer;
  const kickstart = table(custom, 'installer', 'kickstart');
  delete kickstart.contents;
  if (installer?.kickstart) kickstart.contents = installer.kickstart;
  const modules = table(custom, 'installer', 'modules');
  delete modules.enable;
  delete modules.disable;
  // Both lists, and beside the kickstart, never instead of it.
  if (installer && installer.modulesEnable.length > 0) modules.enable = [...installer.modulesEnable];
  if (installer && installer.modulesDisable.length > 0) modules.disable = [...installer.modulesDisable];
  pruneEmpty(custom, 'installer', 'kickstart');
  pruneEmpty(custom, 'installer', 'modules');

  const iso = table(custom, 'iso');
  for (const key of ['volume_id', 'application_id', 'publisher']) delete iso[key];
  if (config.iso?.volumeId) iso.volume_id = config.iso.volumeId;
  if (config.iso?.applicationId) iso.application_id = config.iso.applicationId;
  if (config.iso?.publisher) iso.publisher = config.iso.publisher;
  pruneEmpty(custom, 'iso');

  if (config.fips !== undefined) custom.fips = config.fips;
  pruneEmpty(doc, 'customizations');
  return doc;
}

// A stand-in the kickstart replaces after stringify; checked to be absent from everything else.
const KICKSTART_SLOT = '@@bootc-studio-kickstart-contents@@';

function render(doc: Doc, format: ConfigFormat): string {
  if (format === 'toml' && Object.keys(doc).length === 0) return '';
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  const kickstart = lookup(doc, ['customizations', 'installer', 'kickstart']) as Doc | undefined;
  const contents = kickstart?.contents;
  if (typeof contents !== 'string' || !contents.includes('\n')) return stringifyToml(doc);
  kickstart!.contents = KICKSTART_SLOT;
  const text = stringifyToml(doc);
  kickstart!.contents = contents;
  const slot = `"${KICKSTART_SLOT}"`;
  const literal = `'''\n${contents}'''`;
  if (text.split(slot).length === 2 && canBeMultilineLiteral(contents)) {
    const candidate = text.replace(slot, () => literal);
    // Whatever TOML's rules on quotes and newlines, keep only what reads back byte for byte.
    if (readsBack(candidate, contents)) return candidate;
  }
  return stringifyToml(doc);
}

function canBeMultilineLiteral(text: string): boolean {
  return !text.includes("'''") && !text.endsWith("'") && !hasControlCharacter(text, '\t\n');
}

function readsBack(toml: string, contents: string): boolean {
  try {
    return lookup(parseToml(toml) as Doc, ['customizations', 'installer', 'kickstart', 'contents']) === contents;
  } catch {
    return false;
  }
}
