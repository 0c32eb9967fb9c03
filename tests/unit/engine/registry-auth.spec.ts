/**
 * Registry references and credentials as the podman-socket adapter and the standalone engine send
 * them: the registry part of a reference, and the X-Registry-Auth header.
 */

import { describe, expect, test } from 'vitest';

import { registryAuthHeader, registryOf } from '../../../src/engine/registry-auth';

describe('registry references and credentials', () => {
  test('registryOf finds the registry part the way Docker does', () => {
    expect(registryOf('quay.io/me/app:1')).toBe('quay.io');
    expect(registryOf('localhost/app')).toBe('localhost');
    expect(registryOf('127.0.0.1:5000/app:1')).toBe('127.0.0.1:5000');
    expect(registryOf('[::1]:5000/app')).toBe('[::1]:5000');
    expect(registryOf('me/app:1')).toBeUndefined();
    expect(registryOf('fedora:40')).toBeUndefined();
  });

  test('registryAuthHeader keeps the email only when given', () => {
    const decoded = (header: string) => JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    expect(decoded(registryAuthHeader({ username: 'u', password: 'p', serveraddress: 's' }))).toEqual({
      username: 'u',
      password: 'p',
      serveraddress: 's',
    });
    expect(decoded(registryAuthHeader({ username: 'u', password: 'p', serveraddress: 's', email: 'e' })).email).toBe(
      'e',
    );
  });
});
