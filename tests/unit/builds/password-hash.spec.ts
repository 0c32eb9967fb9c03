import { execFileSync } from 'node:child_process';

import { describe, expect, test } from 'vitest';

import { isCryptHash } from '../../../src/api/disk-build-fields';
import { asCryptHash, hashPassword, randomSalt, verifyPassword } from '../../../src/builds/password-hash';

/** The reference: OpenSSL's SHA-512 crypt (`openssl passwd -6`), run with argv, no shell. */
function openssl6(password: string, salt: string): string {
  return execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], {
    input: password,
    encoding: 'utf8',
  }).trim();
}

describe('SHA-512 crypt', () => {
  const vectors: [string, string][] = [
    ['changeit', 'saltsaltsaltsalt'],
    ['hunter2', 'abc'],
    ['a much longer passphrase with spaces, punctuation! and 1234567890', 'ZyX./09azAZ'],
    ['quotes \' " and $dollars $(cmd) `ticks`', 'q'],
    ['pâsswörd ✓', 'unicode16charsXX'],
    ['x', '................'],
  ];

  test.each(vectors)('matches openssl passwd -6 for %j with salt %j', (password, salt) => {
    const expected = openssl6(password, salt);
    expect(expected).toMatch(/^\$6\$/);
    expect(hashPassword(password, salt)).toBe(expected);
    expect(verifyPassword(password, expected)).toBe(true);
  });

  test('a random salt is 16 characters of the crypt alphabet, different every time', () => {
    const salts = new Set(Array.from({ length: 50 }, () => randomSalt()));
    expect(salts.size).toBe(50);
    for (const salt of salts) expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/);
    const hash = hashPassword('changeit');
    expect(hash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(isCryptHash(hash)).toBe(true);
    expect(hashPassword('changeit')).not.toBe(hash);
    // openssl agrees with a hash made with a random salt, too.
    expect(openssl6('changeit', hash.split('$')[2])).toBe(hash);
  });

  test('verification refuses the wrong password and malformed hashes', () => {
    const hash = hashPassword('changeit');
    expect(verifyPassword('changeit', hash)).toBe(true);
    expect(verifyPassword('changeiT', hash)).toBe(false);
    expect(verifyPassword('', hash)).toBe(false);
    expect(verifyPassword('changeit', '$6$short')).toBe(false);
    expect(verifyPassword('changeit', 'changeit')).toBe(false);
  });

  test('SHA-256 crypt hashes verify too', () => {
    const sha256 = execFileSync('openssl', ['passwd', '-5', '-salt', 'pepper', '-stdin'], {
      input: 'changeit',
      encoding: 'utf8',
    }).trim();
    expect(verifyPassword('changeit', sha256)).toBe(true);
    expect(verifyPassword('nope', sha256)).toBe(false);
  });

  test('hashes already crypted pass through unchanged', () => {
    const sha512 = openssl6('changeit', 'saltsalt');
    const sha256 = `$5$saltsalt$${'A'.repeat(43)}`;
    const bcrypt = `$2b$12$${'a'.repeat(53)}`;
    const bcryptY = `$2y$10$${'b'.repeat(53)}`;
    for (const hash of [sha512, sha256, bcrypt, bcryptY]) {
      expect(hashPassword(hash)).toBe(hash);
      expect(asCryptHash(hash)).toBe(hash);
    }
    expect(() => verifyPassword('x', bcrypt)).toThrow(/only SHA-512/);
  });

  test('a plain password is never taken for a hash', () => {
    expect(asCryptHash('changeit')).toBeUndefined();
    expect(asCryptHash('$6$notahash')).toBeUndefined();
    // A password that merely starts like a hash is hashed like any other.
    expect(hashPassword('$6$notahash', 'salt')).toBe(openssl6('$6$notahash', 'salt'));
  });

  test('empty passwords and bad salts are refused', () => {
    expect(() => hashPassword('')).toThrow(/empty/);
    expect(() => hashPassword('x', 'bad salt')).toThrow(/salt/);
    expect(() => hashPassword('x', 'a'.repeat(17))).toThrow(/salt/);
  });
});
