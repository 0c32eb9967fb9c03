/**
 * Registry credentials for the CLI: `--creds USER:PASSWORD`, else podman's auth file (what
 * `podman login` writes), looked up the way podman does — REGISTRY_AUTH_FILE, else
 * `$XDG_RUNTIME_DIR/containers/auth.json`, else `~/.config/containers/auth.json`, else Docker's
 * `~/.docker/config.json` — with the most specific entry for the reference winning
 * (`registry/namespace/repo`, then `registry/namespace`, then `registry`). Messages never carry a
 * password.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { RegistryCredentials } from '../engine/container-engine';
import { registryOf, splitRepositoryTag } from '../engine/registry-auth';
import { UsageError } from './cli-context';

/** `USER:PASSWORD` (the password may contain `:`). Throws UsageError without echoing the value. */
export function parseCreds(value: string): RegistryCredentials {
  const colon = value.indexOf(':');
  const username = colon < 0 ? value : value.slice(0, colon);
  const password = colon < 0 ? '' : value.slice(colon + 1);
  if (username === '' || password === '') {
    throw new UsageError('--creds: expected USER:PASSWORD, with both a user name and a password');
  }
  return { username, password };
}

/** The auth files podman reads, in its order. */
export function authFileCandidates(env: NodeJS.ProcessEnv): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const candidates: string[] = [];
  if (env.XDG_RUNTIME_DIR) candidates.push(join(env.XDG_RUNTIME_DIR, 'containers/auth.json'));
  const home = env.HOME;
  if (home) {
    candidates.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers/auth.json'));
    candidates.push(join(home, '.docker/config.json'));
  }
  return candidates;
}

/** Credentials for `ref` from the first auth file that has an entry for it; undefined when none does. */
export function credentialsFromAuthFiles(
  ref: string,
  env: NodeJS.ProcessEnv,
  read: (path: string) => string | undefined = readIfExists,
): RegistryCredentials | undefined {
  const registry = registryOf(ref) ?? 'docker.io';
  const { repository } = splitRepositoryTag(ref);
  const path = registryOf(ref) ? repository.slice(registry.length + 1) : repository;
  // Most specific first: registry/ns/repo, registry/ns, registry.
  const keys: string[] = [];
  const parts = path.split('/');
  for (let i = parts.length; i > 0; i--) keys.push(`${registry}/${parts.slice(0, i).join('/')}`);
  keys.push(registry);
  for (const file of authFileCandidates(env)) {
    const text = read(file);
    if (text === undefined) continue;
    const auths = parseAuths(text);
    for (const key of keys) {
      const found = auths.get(key);
      if (found) return found;
    }
  }
  return undefined;
}

/** The `auths` of an auth file, keyed by `registry[/path]` (an `https://` prefix dropped). */
export function parseAuths(text: string): Map<string, RegistryCredentials> {
  const result = new Map<string, RegistryCredentials>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return result;
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (!auths || typeof auths !== 'object') return result;
  for (const [rawKey, entry] of Object.entries(auths as Record<string, unknown>)) {
    const auth = (entry as { auth?: unknown } | null)?.auth;
    if (typeof auth !== 'string' || auth === '') continue;
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0 || colon === decoded.length - 1) continue;
    const bare = rawKey
      .replace(/^https?:\/\//, '')
      .replace(/\/+$/, '')
      .replace(/\/v[12]$/, '');
    const key = bare === 'index.docker.io' ? 'docker.io' : bare;
    result.set(key, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
  }
  return result;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
