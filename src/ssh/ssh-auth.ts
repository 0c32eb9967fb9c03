/**
 * Which keys an SSH connection to a podman host offers, in podman's order: the identity file of
 * CONTAINER_SSHKEY alone when it is set (the user chose it); otherwise the ssh-agent at
 * SSH_AUTH_SOCK, then the default keys (~/.ssh/id_ed25519, id_ecdsa, id_rsa) that exist — the
 * agent may hold none of the keys the host accepts. chooseSshAuth is pure; loadSshAuth reads and
 * parses the key files.
 */

import { join } from 'node:path';

import type * as Ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

import { loadSsh2 } from '../platform/lazy-packages';
import type { SshEndpoint } from './ssh-endpoint';
import { identityFailure } from './ssh-errors';

export const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const;

export type SshAuthSource =
  { kind: 'identity'; path: string } | { kind: 'agent'; socket: string } | { kind: 'default-key'; path: string };

export interface SshAuthInput {
  /** CONTAINER_SSHKEY (or the endpoint's identity file); `~/` is the home directory. */
  identityFile?: string;
  /** SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** The home directory whose ~/.ssh holds the default keys. */
  home: string;
  exists(path: string): boolean;
}

export function chooseSshAuth(input: SshAuthInput): SshAuthSource[] {
  if (input.identityFile) return [{ kind: 'identity', path: expandHome(input.identityFile, input.home) }];
  const sources: SshAuthSource[] = [];
  if (input.agentSocket) sources.push({ kind: 'agent', socket: input.agentSocket });
  for (const name of DEFAULT_KEY_NAMES) {
    const path = join(input.home, '.ssh', name);
    if (input.exists(path)) sources.push({ kind: 'default-key', path });
  }
  return sources;
}

/** `~/x` → `<home>/x`; other paths as they are. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** The source as a message names it. */
export function describeAuthSource(source: SshAuthSource): string {
  switch (source.kind) {
    case 'identity':
      return `the key ${source.path} (CONTAINER_SSHKEY)`;
    case 'agent':
      return `the ssh-agent at ${source.socket}`;
    case 'default-key':
      return `the key ${source.path}`;
  }
}

export type LoadedAuth =
  | { source: SshAuthSource; type: 'publickey'; key: ParsedKey }
  | { source: SshAuthSource; type: 'agent'; agent: string };

export interface LoadedAuthSet {
  methods: LoadedAuth[];
  /** Default keys that could not be used, with why (`~/.ssh/id_rsa: encrypted`), for messages. */
  skipped: string[];
}

/**
 * Reads and parses the keys. A CONTAINER_SSHKEY that cannot be used is an error at once (an
 * SshConnectionError of kind 'identity'); a default key that cannot be used (encrypted, say) is
 * skipped and named in `skipped`.
 */
export async function loadSshAuth(
  endpoint: SshEndpoint,
  sources: readonly SshAuthSource[],
  readFile: (path: string) => Buffer,
): Promise<LoadedAuthSet> {
  const { utils } = await loadSsh2();
  const methods: LoadedAuth[] = [];
  const skipped: string[] = [];
  for (const source of sources) {
    if (source.kind === 'agent') {
      methods.push({ source, type: 'agent', agent: source.socket });
      continue;
    }
    const loaded = parsePrivateKey(source.path, readFile, utils.parseKey);
    if (typeof loaded !== 'string') {
      methods.push({ source, type: 'publickey', key: loaded });
    } else if (source.kind === 'identity') {
      const hint = loaded === ENCRYPTED ? '; unset CONTAINER_SSHKEY once the agent holds it' : '';
      throw identityFailure(endpoint, source.path, loaded + hint);
    } else {
      skipped.push(`${source.path} (${loaded})`);
    }
  }
  return { methods, skipped };
}

const ENCRYPTED =
  'it is encrypted with a passphrase, which cannot be asked for here; load it into an ssh-agent with `ssh-add`';

/**
 * The parsed private key, or why it cannot be used (a sentence for a message). `parseKey` is ssh2's
 * (`(await loadSsh2()).utils.parseKey`): ssh2 loads on first use.
 */
export function parsePrivateKey(
  path: string,
  readFile: (path: string) => Buffer,
  parseKey: typeof Ssh2.utils.parseKey,
): ParsedKey | string {
  let data: Buffer;
  try {
    data = readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return 'the file does not exist';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EISDIR') return 'it is a directory';
    return `cannot read it (${String(code ?? error)})`;
  }
  const parsed = parseKey(data);
  if (parsed instanceof Error) {
    return /passphrase|encrypted/i.test(parsed.message)
      ? ENCRYPTED
      : 'it is not a private key in OpenSSH or PEM format';
  }
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
  if (!key) return 'it holds no key';
  if (!key.isPrivateKey()) return 'it is a public key; give the private key file';
  return key;
}
