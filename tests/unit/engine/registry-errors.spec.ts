import { describe, expect, test } from 'vitest';

import { EngineError, RegistryError } from '../../../src/engine/container-engine';
import {
  classifyRegistryError,
  registryDetail,
  registryOrEngineError,
  toRegistryError,
} from '../../../src/engine/registry-errors';

const REF = '127.0.0.1:5002/bb:1';
const push = { operation: 'push' as const, ref: REF, credentialsGiven: false };
const BLOB = 'sha256:ceb9421f1bd61ca214719b9a5d3b2f1e7c2bf16b175329c282a6db0c5e4b6018';

// Texts as podman 4.3 and Podman Desktop put them, captured from real runs.
const AUTH = `trying to reuse blob ${BLOB} at destination: checking whether a blob ${BLOB} exists in 127.0.0.1:5002/bb: unauthorized: authentication required`;
const TLS = `trying to reuse blob ${BLOB} at destination: pinging container registry 127.0.0.1:5001: Get "https://127.0.0.1:5001/v2/": http: server gave HTTP response to HTTPS client`;
const REFUSED = `trying to reuse blob ${BLOB} at destination: pinging container registry 127.0.0.1:5009: Get "http://127.0.0.1:5009/v2/": dial tcp 127.0.0.1:5009: connect: connection refused`;
const MANIFEST =
  'initializing source docker://127.0.0.1:5001/nope:1: reading manifest 1 in 127.0.0.1:5001/nope: manifest unknown: manifest unknown';

describe('registry errors', () => {
  test.each([
    [AUTH, 'authentication-required'],
    ['denied: requested access to the resource is denied', 'authentication-denied'],
    [
      'access to image "x" is denied (401 error). Can also be that the registry requires authentication.',
      'authentication-required',
    ],
    ['name unknown: repository name not known to registry', 'name-unknown'],
    [MANIFEST, 'manifest-unknown'],
    [TLS, 'tls'],
    ['x509: certificate signed by unknown authority', 'tls'],
    [REFUSED, 'unreachable'],
    ['dial tcp: lookup registry.invalid: no such host', 'unreachable'],
    ['something else entirely', 'other'],
  ])('%s → %s', (raw, reason) => {
    expect(classifyRegistryError(raw)).toBe(reason);
  });

  test('one message per reason, naming the registry and what to do, without the blob preamble', () => {
    const required = toRegistryError(AUTH, push);
    expect(required).toBeInstanceOf(RegistryError);
    expect(required.reason).toBe('authentication-required');
    expect(required.message).toBe(
      `Push of ${REF} failed: 127.0.0.1:5002 requires authentication — give a user name and password (Podman Desktop: Settings > Registries; CLI: --creds or podman login)`,
    );
    expect(required.message).not.toContain('sha256');

    const denied = toRegistryError(AUTH, { ...push, credentialsGiven: true });
    expect(denied.reason).toBe('authentication-denied');
    expect(denied.message).toContain('denied access with the credentials given');

    const tls = toRegistryError(TLS, { ...push, ref: '127.0.0.1:5001/bb:1' });
    expect(tls.message).toContain('127.0.0.1:5001 speaks plain HTTP, not HTTPS');
    expect(tls.message).toContain('--tls-verify=false');
    // A pull has no such flag: only the registries.conf way is offered.
    const pullTls = toRegistryError(TLS, { operation: 'pull', ref: '127.0.0.1:5001/bb:1', credentialsGiven: false });
    expect(pullTls.message).not.toContain('--tls-verify');
    expect(pullTls.message).toContain('insecure = true'.replace(' = ', '='));

    expect(toRegistryError(REFUSED, { ...push, ref: '127.0.0.1:5009/bb:1' }).message).toBe(
      'Push of 127.0.0.1:5009/bb:1 failed: 127.0.0.1:5009 is unreachable (connection refused)',
    );
    expect(
      toRegistryError(MANIFEST, { operation: 'pull', ref: '127.0.0.1:5001/nope:1', credentialsGiven: false }).message,
    ).toBe('Pull of 127.0.0.1:5001/nope:1 failed: 127.0.0.1:5001 has no such image or tag (manifest unknown)');
    expect(toRegistryError('name unknown', push).message).toContain('does not know the repository');
    expect(toRegistryError('boom', push).message).toBe(`Push of ${REF} failed: boom`);
  });

  test("registryOrEngineError: a registry's refusal stays a RegistryError; the rest quotes the engine", () => {
    expect(registryOrEngineError(AUTH, push)).toMatchObject({ reason: 'authentication-required' });
    // Podman Desktop's adapter: the engine is not named, no status.
    const plain = registryOrEngineError('disk full', push);
    expect(plain).not.toBeInstanceOf(RegistryError);
    expect(plain).toBeInstanceOf(EngineError);
    expect(plain).toMatchObject({ message: `Push of ${REF} failed: disk full`, statusCode: undefined });
    // The podman-socket adapter names the engine and keeps podman's HTTP status.
    expect(registryOrEngineError('disk full', push, { name: 'podman (rootless)', statusCode: 500 })).toMatchObject({
      message: `Push of ${REF} on podman (rootless) failed: disk full`,
      statusCode: 500,
    });
  });

  test('registryDetail keeps the reason, first line, bounded', () => {
    expect(registryDetail(`pushing image "x": ${AUTH}\nsecond line`)).toBe(
      `checking whether a blob ${BLOB} exists in 127.0.0.1:5002/bb: unauthorized: authentication required`,
    );
    expect(registryDetail('x'.repeat(400))).toHaveLength(298);
  });
});
