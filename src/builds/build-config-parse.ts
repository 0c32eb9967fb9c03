import { parse as parseToml } from 'smol-toml';

import { formatSize } from '../api/disk-build-fields';

import { type BuildConfig, type BuildFilesystem, type BuildGroup, type BuildUser } from '../api/disk-build';
import { type FieldError, prototypeKeyProblem } from '../api/validation';
import { isTable, KNOWN, type ConfigFormat, type Doc } from './build-config-document';

/**
 * Reading a build config (`config.toml` / `config.json`, as bootc-image-builder reads it) back into
 * the form: every field the form knows, the rest kept in `extra` at the level where it was found.
 */

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
  // Unknown keys are kept (in `extra`): never one that would become an object's prototype there.
  const hostile = prototypeKeyProblem(doc);
  if (hostile) return { ok: false, errors: [hostile] };
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
