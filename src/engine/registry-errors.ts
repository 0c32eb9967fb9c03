/**
 * A registry's refusal, as podman or Docker relay it (`trying to reuse blob sha256:… at
 * destination: checking whether a blob … exists in 127.0.0.1:5000/x: unauthorized: authentication
 * required`), turned into one message a user can act on, with the reason named. Pure; the raw text
 * never carries credentials (engines do not echo them), and the message is built from the reference,
 * the registry and the reason only.
 */

import type { RegistryFailure } from './container-engine';
import { EngineError, RegistryError } from './container-engine';
import { registryOf } from './registry-auth';

export interface RegistryErrorContext {
  operation: 'push' | 'pull';
  ref: string;
  /** Whether credentials were sent: then a 401 means they were refused, not missing. */
  credentialsGiven: boolean;
}

interface Rule {
  reason: RegistryFailure;
  test: RegExp;
}

// Order matters: a TLS failure mentions the registry it pinged, an auth failure may mention a blob.
const RULES: Rule[] = [
  { reason: 'tls', test: /server gave HTTP response to HTTPS client|x509:|certificate|tls: |TLS handshake/i },
  {
    reason: 'unreachable',
    test: /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|connection reset|dial tcp|EOF$/i,
  },
  // Podman Desktop's own wording for a 401: "access to image … is denied (401 error)".
  { reason: 'authentication-required', test: /\(401 error\)/ },
  { reason: 'authentication-denied', test: /denied|forbidden|\b403\b|incorrect username or password/i },
  {
    reason: 'authentication-required',
    test: /unauthorized|authentication required|\b401\b|invalid username\/password/i,
  },
  { reason: 'name-unknown', test: /name unknown|NAME_UNKNOWN|repository name not known|repository does not exist/i },
  {
    reason: 'manifest-unknown',
    test: /manifest unknown|MANIFEST_UNKNOWN|not found: manifest|reading manifest .* not found/i,
  },
];

/** The reason a registry error text gives. */
export function classifyRegistryError(raw: string): RegistryFailure {
  return RULES.find(rule => rule.test.test(raw))?.reason ?? 'other';
}

/** One clear RegistryError for a refusal of a push or pull. */
export function toRegistryError(raw: string, context: RegistryErrorContext): RegistryError {
  let reason = classifyRegistryError(raw);
  if (reason === 'authentication-required' && context.credentialsGiven) reason = 'authentication-denied';
  const registry = registryOf(context.ref) ?? 'the registry';
  const what = `${context.operation === 'push' ? 'Push' : 'Pull'} of ${context.ref} failed`;
  const detail = registryDetail(raw);
  switch (reason) {
    case 'authentication-required':
      return new RegistryError(
        `${what}: ${registry} requires authentication — give a user name and password ` +
          '(Podman Desktop: Settings > Registries; CLI: --creds or podman login)',
        reason,
      );
    case 'authentication-denied':
      return new RegistryError(
        context.credentialsGiven
          ? `${what}: ${registry} denied access with the credentials given — check the user name, the password and that the account may ${context.operation} ${context.ref}`
          : `${what}: ${registry} denied access — log in with an account that may ${context.operation} this repository`,
        reason,
      );
    case 'name-unknown':
      return new RegistryError(
        `${what}: ${registry} does not know the repository (name unknown) — check the name, or create the repository first`,
        reason,
      );
    case 'manifest-unknown':
      return new RegistryError(`${what}: ${registry} has no such image or tag (manifest unknown)`, reason);
    case 'tls':
      return new RegistryError(
        /HTTP response to HTTPS client/i.test(raw)
          ? `${what}: ${registry} speaks plain HTTP, not HTTPS — ${
              context.operation === 'push' ? 'push with TLS verification off (CLI: --tls-verify=false) or ' : ''
            }list it as insecure in the engine's registries.conf ([[registry]] location="${registry}" insecure=true)`
          : `${what}: TLS with ${registry} failed (${detail}) — trust its certificate, or turn TLS verification off for it`,
        reason,
      );
    case 'unreachable':
      return new RegistryError(`${what}: ${registry} is unreachable (${detail})`, reason);
    default:
      return new RegistryError(`${what}: ${detail}`, reason);
  }
}

/**
 * A push's or pull's failure as the engine worded it: a registry's refusal becomes its RegistryError;
 * anything else an EngineError that quotes the engine (naming it, with the HTTP status, where known).
 */
export function registryOrEngineError(
  raw: string,
  context: RegistryErrorContext,
  engine: { name?: string; statusCode?: number } = {},
): EngineError {
  const mapped = toRegistryError(raw, context);
  if (mapped.reason !== 'other') return mapped;
  const on = engine.name ? ` on ${engine.name}` : '';
  return new EngineError(
    `${context.operation === 'push' ? 'Push' : 'Pull'} of ${context.ref}${on} failed: ${raw}`,
    engine.statusCode,
  );
}

/**
 * The part of the engine's text worth showing: without the blob-reuse preamble podman puts before
 * the reason, the first line, at most 300 characters.
 */
export function registryDetail(raw: string): string {
  const line = raw.trim().split('\n')[0] ?? '';
  const cleaned = line
    .replace(/^pushing image "[^"]*": /, '')
    .replace(/trying to reuse blob sha256:[0-9a-f]+ at destination: /, '')
    .replace(/^initializing source docker:\/\/\S+: /, '');
  const dial = /dial tcp [^:]+(?::\d+)?: (?:connect: )?(.*)$/.exec(cleaned);
  const text = dial ? dial[1] : cleaned;
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}
