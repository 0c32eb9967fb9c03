import type { RegistryCredentials } from './container-engine';

/**
 * The X-Registry-Auth header podman and Docker read: base64url of the credentials' JSON, with its
 * `=` padding (podman refuses it unpadded). The header is the only place credentials travel.
 */
export function registryAuthHeader(credentials: RegistryCredentials, serveraddress: string): string {
  const json = JSON.stringify({ username: credentials.username, password: credentials.password, serveraddress });
  return Buffer.from(json, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The registry host (`host[:port]`) of an image reference, or undefined for a short name that
 * podman resolves through its search registries. Docker's rule: the first component names a
 * registry when it has a dot or a port, or is `localhost`.
 */
export function registryOf(reference: string): string | undefined {
  const slash = reference.indexOf('/');
  if (slash < 0) return undefined;
  const first = reference.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) return first;
  return undefined;
}

/** Splits `registry:5000/ns/name:tag` into repository and tag (`latest` when none); a port is not a tag. */
export function splitRepositoryTag(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf('@');
  const withoutDigest = at >= 0 ? reference.slice(0, at) : reference;
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > withoutDigest.lastIndexOf('/')) {
    return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  }
  return { repository: withoutDigest, tag: 'latest' };
}
