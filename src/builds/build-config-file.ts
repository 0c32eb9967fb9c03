import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';

import {
  MASK,
  formatSize,
  hasControlCharacter,
  isCryptHash,
  maskKickstartSecrets,
  parseSize,
  type BuildConfig,
  type BuildFilesystem,
  type BuildGroup,
  type BuildUser,
} from '../api/disk-build';
import type { FieldError } from '../api/validation';
import { hashPassword, type CryptHash } from './password-hash';
import { maskSecrets } from './secret-masking';

/**
 * The build config as bootc-image-builder reads it (`/config.toml` or `/config.json`, a blueprint
 * subset), written from the form and read back into it.
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

export type ConfigFormat = 'toml' | 'json';

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

// ---------------------------------------------------------------------------------------------
// Writing

type Doc = Record<string, unknown>;

/** Fields of each part that the form owns; everything else is `extra`. */
const KNOWN = {
  user: ['name', 'password', 'key', 'groups'],
  group: ['name', 'gid'],
  filesystem: ['mountpoint', 'minsize'],
} as const;

function isTable(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function withoutKeys(extra: Doc | undefined, keys: readonly string[]): Doc {
  const copy = clone(extra ?? {});
  for (const key of keys) delete copy[key];
  return copy;
}

/** The table at `path` under `root`, created when missing (an extra non-table there is replaced). */
function table(root: Doc, ...path: string[]): Doc {
  let node = root;
  for (const key of path) {
    if (!isTable(node[key])) node[key] = {};
    node = node[key] as Doc;
  }
  return node;
}

function pruneEmpty(root: Doc, ...path: string[]) {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? root : (lookup(root, path.slice(0, depth - 1)) as Doc | undefined);
    const key = path[depth - 1];
    if (parent && isTable(parent[key]) && Object.keys(parent[key] as Doc).length === 0) delete parent[key];
  }
}

function lookup(root: Doc, path: string[]): unknown {
  let node: unknown = root;
  for (const key of path) node = isTable(node) ? node[key] : undefined;
  return node;
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

// ---------------------------------------------------------------------------------------------
// Reading

export type ConfigImport =
  | { ok: true; config: BuildConfig; format: ConfigFormat; unknownFields: string[] }
  | { ok: false; errors: FieldError[] };

/** The format of a file by its name, else by its first character. */
export function detectConfigFormat(text: string, fileName?: string): ConfigFormat {
  if (fileName?.toLowerCase().endsWith('.json')) return 'json';
  if (fileName?.toLowerCase().endsWith('.toml')) return 'toml';
  return text.trimStart().startsWith('{') ? 'json' : 'toml';
}

/**
 * Reads a `config.toml` / `config.json` into the form: every field the form knows, the rest kept in
 * `extra` and listed (dotted paths, `[i]` for array items) so the form can show what it does not edit.
 * Only the shape is checked here; the form's validation judges the values.
 */
export function importBuildConfig(text: string, format: ConfigFormat = detectConfigFormat(text)): ConfigImport {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    return { ok: false, errors: [{ field: 'file', message: parseErrorMessage(err, format) }] };
  }
  if (!isTable(doc)) return { ok: false, errors: [{ field: 'file', message: 'the file holds no settings table' }] };
  const reader = new ConfigReader();
  const config = reader.read(doc);
  if (reader.errors.length > 0) return { ok: false, errors: reader.errors };
  return { ok: true, config, format, unknownFields: reader.unknown };
}

function parseErrorMessage(err: unknown, format: ConfigFormat): string {
  const raw = err instanceof Error ? err.message : String(err);
  const first = raw.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
  const where = err as { line?: number; column?: number };
  const at = typeof where.line === 'number' ? ` (line ${where.line}, column ${where.column ?? 1})` : '';
  return `not valid ${format.toUpperCase()}: ${first}${at}`;
}

class ConfigReader {
  readonly errors: FieldError[] = [];
  readonly unknown: string[] = [];

  read(doc: Doc): BuildConfig {
    const config: BuildConfig = { users: [], groups: [], kernelArgs: [], filesystems: [] };
    const extra: Doc = {};
    for (const [key, value] of Object.entries(doc)) {
      if (key !== 'customizations') this.keep(extra, key, value, key);
    }
    const custom = doc.customizations;
    if (custom !== undefined && !this.expectTable(custom, 'customizations')) return config;
    const customExtra: Doc = {};
    for (const [key, value] of Object.entries((custom as Doc | undefined) ?? {})) {
      const path = `customizations.${key}`;
      switch (key) {
        case 'user':
          config.users = this.items(value, path, (item, itemPath) => this.user(item, itemPath));
          break;
        case 'group':
          config.groups = this.items(value, path, (item, itemPath) => this.group(item, itemPath));
          break;
        case 'filesystem':
          config.filesystems = this.items(value, path, (item, itemPath) => this.filesystem(item, itemPath));
          break;
        case 'kernel':
          config.kernelArgs = this.kernel(value, path, customExtra);
          break;
        case 'installer':
          config.installer = this.installer(value, path, customExtra);
          break;
        case 'iso':
          config.iso = this.iso(value, path, customExtra);
          break;
        case 'fips':
          if (typeof value === 'boolean') config.fips = value;
          else this.error(path, 'must be true or false');
          break;
        default:
          this.keep(customExtra, key, value, path);
      }
    }
    if (Object.keys(customExtra).length > 0) extra.customizations = customExtra;
    if (Object.keys(extra).length > 0) config.extra = extra;
    return config;
  }

  private user(item: Doc, path: string): BuildUser {
    const user: BuildUser = { name: this.text(item.name, `${path}.name`, true) ?? '', groups: [] };
    const password = this.text(item.password, `${path}.password`);
    if (password !== undefined) user.password = password;
    const key = this.text(item.key, `${path}.key`);
    if (key !== undefined) user.sshKey = key;
    if (item.groups !== undefined) user.groups = this.texts(item.groups, `${path}.groups`);
    const extra = this.rest(item, KNOWN.user, path);
    if (extra) user.extra = extra;
    return user;
  }

  private group(item: Doc, path: string): BuildGroup {
    const group: BuildGroup = { name: this.text(item.name, `${path}.name`, true) ?? '' };
    if (item.gid !== undefined) {
      if (typeof item.gid === 'number' && Number.isInteger(item.gid)) group.gid = item.gid;
      else this.error(`${path}.gid`, 'must be a whole number');
    }
    const extra = this.rest(item, KNOWN.group, path);
    if (extra) group.extra = extra;
    return group;
  }

  private filesystem(item: Doc, path: string): BuildFilesystem {
    const fs: BuildFilesystem = {
      mountpoint: this.text(item.mountpoint, `${path}.mountpoint`, true) ?? '',
      minSize: '',
    };
    const size = item.minsize;
    if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) fs.minSize = formatSize(size);
    else if (typeof size === 'string') fs.minSize = /^\s*\d+\s*$/.test(size) ? formatSize(Number(size)) : size.trim();
    else this.error(`${path}.minsize`, 'must be a size in bytes or a text like "10 GiB"');
    const extra = this.rest(item, KNOWN.filesystem, path);
    if (extra) fs.extra = extra;
    return fs;
  }

  private kernel(value: unknown, path: string, customExtra: Doc): string[] {
    if (!this.expectTable(value, path)) return [];
    const rest = this.rest(value, ['append'], path);
    if (rest) customExtra.kernel = rest;
    const append = this.text(value.append, `${path}.append`);
    return append === undefined ? [] : splitKernelArguments(append);
  }

  private installer(value: unknown, path: string, customExtra: Doc): BuildConfig['installer'] {
    if (!this.expectTable(value, path)) return undefined;
    const installer = {
      modulesEnable: [] as string[],
      modulesDisable: [] as string[],
      kickstart: undefined as string | undefined,
    };
    const keep: Doc = {};
    for (const [key, item] of Object.entries(value)) {
      const itemPath = `${path}.${key}`;
      if (key === 'kickstart' && this.expectTable(item, itemPath)) {
        installer.kickstart = this.text(item.contents, `${itemPath}.contents`);
        const rest = this.rest(item, ['contents'], itemPath);
        if (rest) keep.kickstart = rest;
      } else if (key === 'modules' && this.expectTable(item, itemPath)) {
        if (item.enable !== undefined) installer.modulesEnable = this.texts(item.enable, `${itemPath}.enable`);
        if (item.disable !== undefined) installer.modulesDisable = this.texts(item.disable, `${itemPath}.disable`);
        const rest = this.rest(item, ['enable', 'disable'], itemPath);
        if (rest) keep.modules = rest;
      } else if (key !== 'kickstart' && key !== 'modules') {
        this.keep(keep, key, item, itemPath);
      }
    }
    if (Object.keys(keep).length > 0) customExtra.installer = keep;
    const { kickstart, ...modules } = installer;
    return kickstart === undefined ? modules : { kickstart, ...modules };
  }

  private iso(value: unknown, path: string, customExtra: Doc): BuildConfig['iso'] {
    if (!this.expectTable(value, path)) return undefined;
    const iso: NonNullable<BuildConfig['iso']> = {};
    const volumeId = this.text(value.volume_id, `${path}.volume_id`);
    const applicationId = this.text(value.application_id, `${path}.application_id`);
    const publisher = this.text(value.publisher, `${path}.publisher`);
    if (volumeId !== undefined) iso.volumeId = volumeId;
    if (applicationId !== undefined) iso.applicationId = applicationId;
    if (publisher !== undefined) iso.publisher = publisher;
    const rest = this.rest(value, ['volume_id', 'application_id', 'publisher'], path);
    if (rest) customExtra.iso = rest;
    return iso;
  }

  private items<T>(value: unknown, path: string, read: (item: Doc, path: string) => T): T[] {
    if (!Array.isArray(value)) {
      this.error(path, 'must be a list of tables ([[…]] in TOML)');
      return [];
    }
    const items: T[] = [];
    value.forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (this.expectTable(item, itemPath)) items.push(read(item, itemPath));
    });
    return items;
  }

  /** Unknown keys of a table the form partly owns, kept and reported. */
  private rest(item: Doc, known: readonly string[], path: string): Doc | undefined {
    const rest: Doc = {};
    for (const [key, value] of Object.entries(item)) {
      if (!known.includes(key)) this.keep(rest, key, value, `${path}.${key}`);
    }
    return Object.keys(rest).length > 0 ? rest : undefined;
  }

  private keep(into: Doc, key: string, value: unknown, path: string) {
    into[key] = value;
    this.unknown.push(path);
  }

  private text(value: unknown, path: string, required = false): string | undefined {
    if (value === undefined) {
      if (required) this.error(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.error(path, 'must be text');
      return undefined;
    }
    return value;
  }

  private texts(value: unknown, path: string): string[] {
    if (!Array.isArray(value) || value.some(item => typeof item !== 'string')) {
      this.error(path, 'must be a list of texts');
      return [];
    }
    return [...(value as string[])];
  }

  private expectTable(value: unknown, path: string): value is Doc {
    if (isTable(value)) return true;
    this.error(path, 'must be a table');
    return false;
  }

  private error(field: string, message: string) {
    this.errors.push({ field, message });
  }
}

/** `a b="c d" e` → `['a', 'b="c d"', 'e']`: whitespace splits outside double quotes, as the kernel reads it. */
export function splitKernelArguments(line: string): string[] {
  return line.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? [];
}
