import { createHmac } from 'node:crypto';

import { describe, expect, test } from 'vitest';

import {
  blobKeyType,
  DEFAULT_HOST_KEY_ALGORITHMS,
  hostFieldMatches,
  keyFingerprint,
  knownHostsName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../../src/ssh/ssh-known-hosts';

// Real keys; the hashed lines and the fingerprint are what OpenSSH 9.2's ssh-keygen -H / -l wrote.
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIFBKuAj2WUXiLSiuCHIzwQLRDuGb/Kv+u0ClT77F0ETu';
const ED25519_FINGERPRINT = 'SHA256:A6vNUnB1A3YW2IXQMTgxi0A0gUsPe3E979DeQnaAjlU';
const OTHER_ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const ECDSA =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKMCiqnej9NPllyiYrSMTrnzXmgeEQSNT+KZs/FrikV0xGGw3kt8P90E8FT1JXAJRrnBSa8yKZI3JJAtDi5IHkw=';
/** `[vm.example]:2222`, `build.example` (both the ed25519 key), `[vm.example]:2222` (the ecdsa key). */
const HASHED = [
  `|1|6mm84ob8wf/MNK6joaE3YTeVsZk=|gayLpfb4Hj2KaY52x5IlRTVomQM= ssh-ed25519 ${ED25519}`,
  `|1|KUnhjCN6JFbLOjKXEDx8xQH/MNw=|VNGoP4LQ4j//LM6SI/5fCuCfL08= ssh-ed25519 ${ED25519}`,
  `|1|tD4gvLgLfcV5HHIMC6NeX2/R1/0=|Ze6tueLVUX1ioRA+gwY/8AnSv6Q= ecdsa-sha2-nistp256 ${ECDSA}`,
].join('\n');

const key = (base64: string): Buffer => Buffer.from(base64, 'base64');

describe('parseKnownHosts', () => {
  test('reads host, type and key; skips comments, blank, unknown markers and corrupt lines', () => {
    const entries = parseKnownHosts(
      [
        '# a comment',
        '',
        `vm.example,10.0.0.5 ssh-ed25519 ${ED25519} me@laptop`,
        `@revoked * ssh-ed25519 ${OTHER_ED25519}`,
        `@cert-authority *.example ssh-ed25519 ${OTHER_ED25519}`,
        `@weird vm.example ssh-ed25519 ${ED25519}`,
        'vm.example ssh-ed25519',
        `vm.example ssh-ed25519 not*base64`,
        `vm.example ssh-rsa ${ED25519}`,
        `  \t[vm.example]:2222   ecdsa-sha2-nistp256 ${ECDSA}\r`,
      ].join('\n'),
    );
    expect(entries.map(entry => [entry.line, entry.marker, entry.hosts, entry.keyType])).toEqual([
      [3, undefined, 'vm.example,10.0.0.5', 'ssh-ed25519'],
      [4, 'revoked', '*', 'ssh-ed25519'],
      [5, 'cert-authority', '*.example', 'ssh-ed25519'],
      [10, undefined, '[vm.example]:2222', 'ecdsa-sha2-nistp256'],
    ]);
    expect(entries[0].key.equals(key(ED25519))).toBe(true);
  });
});

describe('knownHostsName', () => {
  test('port 22 is the bare name, any other port is [host]:port; names are lower-cased', () => {
    expect(knownHostsName('VM.example', 22)).toBe('vm.example');
    expect(knownHostsName('vm.example', 2222)).toBe('[vm.example]:2222');
    expect(knownHostsName('::1', 22)).toBe('::1');
    expect(knownHostsName('::1', 2222)).toBe('[::1]:2222');
  });
});

describe('hostFieldMatches', () => {
  test('plain names and comma lists, case-insensitively', () => {
    expect(hostFieldMatches('vm.example', 'vm.example')).toBe(true);
    expect(hostFieldMatches('other,VM.Example', 'vm.example')).toBe(true);
    expect(hostFieldMatches('vm.example', '[vm.example]:2222')).toBe(false);
    expect(hostFieldMatches('[vm.example]:2222', '[vm.example]:2222')).toBe(true);
    expect(hostFieldMatches('vm', 'vm.example')).toBe(false);
  });

  test('wildcards and negations', () => {
    expect(hostFieldMatches('*.example', 'vm.example')).toBe(true);
    expect(hostFieldMatches('vm?.example', 'vm1.example')).toBe(true);
    expect(hostFieldMatches('vm?.example', 'vm12.example')).toBe(false);
    expect(hostFieldMatches('*.example,!build.example', 'build.example')).toBe(false);
    expect(hostFieldMatches('!build.example,*.example', 'vm.example')).toBe(true);
    expect(hostFieldMatches('!build.example', 'vm.example')).toBe(false);
    expect(hostFieldMatches('[*.example]:2222', '[vm.example]:2222')).toBe(true);
    expect(hostFieldMatches('a.b', 'axb')).toBe(false);
  });

  test('hashed names written by ssh-keygen -H', () => {
    const [portLine, plainLine] = HASHED.split('\n').map(line => line.split(' ')[0]);
    expect(hostFieldMatches(portLine, '[vm.example]:2222')).toBe(true);
    expect(hostFieldMatches(portLine, 'vm.example')).toBe(false);
    expect(hostFieldMatches(plainLine, 'build.example')).toBe(true);
    expect(hostFieldMatches(plainLine, 'build.example2')).toBe(false);
  });

  test('hashed names made here: HMAC-SHA1 keyed with the salt', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const hash = createHmac('sha1', salt).update('[10.1.2.3]:22022').digest('base64');
    expect(hostFieldMatches(`|1|${salt.toString('base64')}|${hash}`, '[10.1.2.3]:22022')).toBe(true);
    expect(hostFieldMatches(`|1|${salt.toString('base64')}|${hash}`, '[10.1.2.3]:22')).toBe(false);
    expect(hostFieldMatches(`|2|${salt.toString('base64')}|${hash}`, '[10.1.2.3]:22022')).toBe(false);
    expect(hostFieldMatches('|1||', '[10.1.2.3]:22022')).toBe(false);
  });
});

describe('verifyHostKey', () => {
  test('trusted when a line for the host lists the key, plain or hashed', () => {
    const plain = parseKnownHosts(`[vm.example]:2222 ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(plain, 'vm.example', 2222, key(ED25519))).toMatchObject({ status: 'trusted' });
    const hashed = parseKnownHosts(HASHED);
    expect(verifyHostKey(hashed, 'vm.example', 2222, key(ED25519))).toMatchObject({ status: 'trusted' });
    expect(verifyHostKey(hashed, 'vm.example', 2222, key(ECDSA))).toMatchObject({ status: 'trusted' });
    expect(verifyHostKey(hashed, 'build.example', 22, key(ED25519))).toMatchObject({ status: 'trusted' });
  });

  test('the port matters: a key known for port 22 does not vouch for port 2222', () => {
    const entries = parseKnownHosts(`vm.example ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(entries, 'vm.example', 2222, key(ED25519))).toEqual({ status: 'unknown', knownTypes: [] });
  });

  test('unknown, naming the types that are known for the host', () => {
    const entries = parseKnownHosts(`[vm.example]:2222 ecdsa-sha2-nistp256 ${ECDSA}\nelse ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(entries, 'vm.example', 2222, key(ED25519))).toEqual({
      status: 'unknown',
      knownTypes: ['ecdsa-sha2-nistp256'],
    });
    expect(verifyHostKey([], 'vm.example', 22, key(ED25519))).toEqual({ status: 'unknown', knownTypes: [] });
  });

  test('mismatch: another key of the same type, with its line', () => {
    const entries = parseKnownHosts(`# first\n[vm.example]:2222 ssh-ed25519 ${OTHER_ED25519}\n`);
    const verdict = verifyHostKey(entries, 'vm.example', 2222, key(ED25519));
    expect(verdict.status).toBe('mismatch');
    expect(verdict.status === 'mismatch' && verdict.entry.line).toBe(2);
  });

  test('a matching line wins over a stale one of the same type', () => {
    const entries = parseKnownHosts(`vm.example ssh-ed25519 ${OTHER_ED25519}\nvm.example ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(entries, 'vm.example', 22, key(ED25519)).status).toBe('trusted');
  });

  test('@revoked wins over a line that lists the key; @cert-authority lines never vouch', () => {
    const revoked = parseKnownHosts(`vm.example ssh-ed25519 ${ED25519}\n@revoked * ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(revoked, 'vm.example', 22, key(ED25519)).status).toBe('revoked');
    const ca = parseKnownHosts(`@cert-authority vm.example ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(ca, 'vm.example', 22, key(ED25519)).status).toBe('unknown');
  });

  test('a negated pattern excludes the host', () => {
    const entries = parseKnownHosts(`*.example,!vm.example ssh-ed25519 ${ED25519}\n`);
    expect(verifyHostKey(entries, 'vm.example', 22, key(ED25519)).status).toBe('unknown');
    expect(verifyHostKey(entries, 'db.example', 22, key(ED25519)).status).toBe('trusted');
  });
});

describe('preferredHostKeyAlgorithms', () => {
  test('the types known for the host first, then the defaults, without repeats', () => {
    const entries = parseKnownHosts(HASHED);
    const order = preferredHostKeyAlgorithms(entries, 'vm.example', 2222);
    expect(order.slice(0, 2)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(new Set(order)).toEqual(new Set(DEFAULT_HOST_KEY_ALGORITHMS));
    expect(order).toHaveLength(DEFAULT_HOST_KEY_ALGORITHMS.length);
  });

  test('an RSA host key brings its SHA-2 signature algorithms forward', () => {
    const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(8)]);
    const entries = parseKnownHosts(`vm.example ssh-rsa ${rsaBlob.toString('base64')}\n`);
    expect(preferredHostKeyAlgorithms(entries, 'vm.example', 22).slice(0, 3)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(preferredHostKeyAlgorithms([], 'vm.example', 22)).toEqual([...DEFAULT_HOST_KEY_ALGORITHMS]);
  });
});

describe('key facts', () => {
  test('the type named in a blob, and OpenSSH fingerprints', () => {
    expect(blobKeyType(key(ED25519))).toBe('ssh-ed25519');
    expect(blobKeyType(key(ECDSA))).toBe('ecdsa-sha2-nistp256');
    expect(blobKeyType(Buffer.from([0, 0]))).toBe('');
    expect(blobKeyType(Buffer.from([0, 0, 1, 0, 65]))).toBe('');
    expect(keyFingerprint(key(ED25519))).toBe(ED25519_FINGERPRINT);
  });
});
