/**
 * The secrets audit's scanner: the byte patterns a secret can take once written (as is, escaped in
 * JSON or TOML, a private key's base64 lines), every file below a set of roots (no symlink
 * followed), and a byte search of each file and each message for each pattern.
 */

import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export interface Secret {
  /** What it is, for the failure message ("password 1", "VM private key"). */
  name: string;
  needles: Buffer[];
  /** Files where it may be (its own 0600 file): never reported there. */
  allowedIn?: readonly string[];
}

export interface Finding {
  secret: string;
  /** A file path, or "message N (where)". */
  where: string;
}

export interface ScanResult {
  files: number;
  bytes: number;
  findings: Finding[];
}

/** A password or hash as it is, and as JSON (and TOML's basic strings, the same escapes) write it. */
export function textNeedles(value: string): Buffer[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
  return [...forms].map(form => Buffer.from(form, 'utf8'));
}

/** A private key: the whole PEM, and each line of its base64 body (a key copied in any wrapping still shares them). */
export function privateKeyNeedles(pem: string): Buffer[] {
  const body = pem
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('-----'));
  const lines = body.filter(line => line.length >= 40);
  if (lines.length === 0) throw new Error('not a PEM private key: no base64 body');
  return [pem.trim(), body.join(''), ...lines].map(form => Buffer.from(form, 'utf8'));
}

export interface FileEntry {
  path: string;
  stats: Stats;
}

/** Every entry below `root` (itself included), symlinks not followed; `skip` prunes a path and what is below it. */
export function walk(root: string, skip: (path: string) => boolean = () => false): FileEntry[] {
  const out: FileEntry[] = [];
  const visit = (path: string) => {
    if (skip(path)) return;
    let stats: Stats;
    try {
      stats = lstatSync(path);
    } catch {
      return; // gone in between (a temp file of a running process)
    }
    out.push({ path, stats });
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return out;
}

function findIn(data: Buffer, secrets: readonly Secret[], where: string, path?: string): Finding[] {
  const findings: Finding[] = [];
  for (const secret of secrets) {
    if (path && secret.allowedIn?.includes(path)) continue;
    if (secret.needles.some(needle => data.includes(needle))) findings.push({ secret: secret.name, where });
  }
  return findings;
}

/** Reads each regular file and searches it for every secret. */
export function scanFiles(entries: readonly FileEntry[], secrets: readonly Secret[]): ScanResult {
  const result: ScanResult = { files: 0, bytes: 0, findings: [] };
  for (const { path, stats } of entries) {
    if (!stats.isFile()) continue;
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch {
      continue;
    }
    result.files++;
    result.bytes += data.length;
    result.findings.push(...findIn(data, secrets, path, path));
  }
  return result;
}

/** Searches each message (as the JSON that crosses the bridge) for every secret. */
export function scanMessages(messages: readonly unknown[], secrets: readonly Secret[], label: string): ScanResult {
  const result: ScanResult = { files: 0, bytes: 0, findings: [] };
  messages.forEach((message, index) => {
    const data = Buffer.from(typeof message === 'string' ? message : (JSON.stringify(message) ?? ''), 'utf8');
    result.bytes += data.length;
    result.findings.push(...findIn(data, secrets, `${label} #${index}`));
  });
  return result;
}

/** The permission bits of a file, as 0o644 and so on. */
export function modeOf(stats: Stats): number {
  return stats.mode & 0o777;
}

export function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
