/**
 * Registry references and credentials as podman and Docker take them: the registry part of a
 * reference, repository and tag, and the X-Registry-Auth header.
 */

/** What the X-Registry-Auth header carries: Podman Desktop's ContainerAuthInfo, Docker's AuthConfig. */
export interface RegistryAuth {
  username: string;
  password: string;
  /** The registry (`host[:port]`) the credentials are for. */
  serveraddress: string;
  /** Sent only when given. */
  email?: string;
}

/**
 * The X-Registry-Auth header podman and Docker read: base64url of the credentials' JSON, with its
 * `=` padding (podman refuses it unpadded). The header is the only place credentials travel.
 */
export function registryAuthHeader(auth: RegistryAuth): string {
  const json = JSON.stringify({
    username: auth.username,
    password: auth.password,
    serveraddress: auth.serveraddress,
    ...(auth.email ? { email: auth.email } : {}),
  });
  return Buffer.from(json, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The registry host (`host[:port]`) of an image reference, or undefined when the reference has
 * none (a short name such as `fedora:40`, resolved by podman's search registries). Docker's rule:
 * the first component names a registry when it has a dot or a port, or is `localhost`.
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
