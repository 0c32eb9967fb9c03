/**
 * Host key checking against an OpenSSH `known_hosts` file, the way podman's remote client does it
 * (it reads `~/.ssh/known_hosts` and refuses an unknown or changed key). Pure: the file's text and
 * the presented key are parameters, so every rule is unit-tested.
 *
 * Supported: plain host names and comma lists, `*` / `?` wildcards, `!` negations, hashed names
 * (`|1|salt|hmac`, HMAC-SHA1 as `HashKnownHosts yes` writes them), `[host]:port` for ports other
 * than 22, and `@revoked`. `@cert-authority` lines are skipped: host certificates are not checked,
 * so a host known only through a CA counts as unknown (refused, never accepted).
 */

import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages. */
  line: number;
  marker?: 'cert-authority' | 'revoked';
  /** The host-name field as written: a comma list of patterns, or one hashed `|1|…|…` name. */
  hosts: string;
  /** The key type written on the line, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The public key blob (SSH wire format), decoded from the line's base64. */
  key: Buffer;
}

export type HostKeyVerdict =
  /** A line for this host lists exactly this key. */
  | { status: 'trusted'; entry: KnownHostEntry }
  /** No line for this host has a key of this type; `knownTypes` are the types it does have. */
  | { status: 'unknown'; knownTypes: string[] }
  /** A line for this host has another key of the same type: changed host, or a man in the middle. */
  | { status: 'mismatch'; entry: KnownHostEntry }
  /** The key is listed as `@revoked` for this host. */
  | { status: 'revoked'; entry: KnownHostEntry };

/** The lines of a known_hosts file that can be used; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const fields = lines[index].trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name === '@cert-authority') marker = 'cert-authority';
      else if (name === '@revoked') marker = 'revoked';
      else continue;
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) continue;
    const key = Buffer.from(base64, 'base64');
    // The blob names its own type first; a line whose two disagree is corrupt.
    if (blobKeyType(key) !== keyType) continue;
    entries.push({ line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  }
  return entries;
}

/** The name known_hosts files use for a host and port: `host` on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/**
 * Whether a line's host field matches `name` (from knownHostsName): a hashed name by its HMAC, or a
 * comma list of patterns where one must match and no negated (`!`) one may.
 */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedNameMatches(hosts, name);
  let matched = false;
  for (const raw of hosts.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '' || !wildcardMatches(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as ssh-keygen -H and HashKnownHosts write. */
function hashedNameMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = createHmac('sha1', salt).update(name).digest();
  return actual.length === expected.length && actual.equals(expected);
}

/** OpenSSH's `*` (any run) and `?` (one character) patterns. */
function wildcardMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === name;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(name);
}

/** What the known_hosts `entries` say about `key` presented by `host`:`port`. */
export function verifyHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const forHost = entries.filter(entry => entry.marker !== 'cert-authority' && hostFieldMatches(entry.hosts, name));
  const revoked = forHost.find(entry => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const listed = forHost.filter(entry => entry.marker === undefined);
  const trusted = listed.find(entry => entry.key.equals(key));
  if (trusted) return { status: 'trusted', entry: trusted };
  const type = blobKeyType(key);
  const other = listed.find(entry => entry.keyType === type);
  if (other) return { status: 'mismatch', entry: other };
  return { status: 'unknown', knownTypes: [...new Set(listed.map(entry => entry.keyType))] };
}

const ALGORITHMS_BY_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** The host key algorithms every SSH client here offers, in the default order. */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = Object.values(ALGORITHMS_BY_KEY_TYPE).flat();

/**
 * The host key algorithms to offer, those of the keys known for `host`:`port` first (as OpenSSH
 * orders them): otherwise a server with several host keys may present one of a type the file does
 * not list, and a known host would look unknown.
 */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const known = entries
    .filter(entry => entry.marker === undefined && hostFieldMatches(entry.hosts, name))
    .flatMap(entry => ALGORITHMS_BY_KEY_TYPE[entry.keyType] ?? []);
  return [...new Set([...known, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** The key type a public key blob names (its first SSH string), or '' when it is not one. */
export function blobKeyType(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > key.length) return '';
  return key.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function keyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}
