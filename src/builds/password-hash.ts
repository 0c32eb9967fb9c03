import { randomInt, timingSafeEqual } from 'node:crypto';

import { encrypt } from 'unixcrypt';

import { isCryptHash } from '../api/disk-build-fields';

/**
 * Passwords become SHA-512 crypt hashes (`$6$…`) before any file is written: the builder writes a
 * hash into /etc/shadow as is, so the plain password never leaves this process.
 */

declare const cryptHashBrand: unique symbol;
/** A string known to be a crypt hash. Only this module makes one, so a plain password cannot pose as it. */
export type CryptHash = string & { readonly [cryptHashBrand]: true };

const SALT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SALT_LENGTH = 16;

/** 16 characters of the crypt alphabet from the system's CSPRNG (96 bits). */
export function randomSalt(): string {
  let salt = '';
  for (let i = 0; i < SALT_LENGTH; i++) salt += SALT_ALPHABET[randomInt(SALT_ALPHABET.length)];
  return salt;
}

/**
 * A SHA-512 crypt hash of `password` with a random salt (or `salt`, for tests). A password that is
 * already a crypt hash (`$6$`, `$5$`, `$2b$`/`$2y$`) is returned unchanged, as the builder would take it.
 */
export function hashPassword(password: string, salt: string = randomSalt()): CryptHash {
  if (isCryptHash(password)) return password as CryptHash;
  if (password.length === 0) throw new Error('an empty password cannot be hashed');
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new Error('a crypt salt is 1–16 characters of [./0-9A-Za-z]');
  return encrypt(password, `$6$${salt}`) as CryptHash;
}

/** Accepts a string as a hash only when it is a well-formed one. */
export function asCryptHash(value: string): CryptHash | undefined {
  return isCryptHash(value) ? (value as CryptHash) : undefined;
}

/**
 * Whether `password` matches `hash` (SHA-512 and SHA-256 crypt). bcrypt hashes pass through to the
 * builder but cannot be checked here: that throws rather than answer a wrong "no".
 */
export function verifyPassword(password: string, hash: string): boolean {
  if (!isCryptHash(hash)) return false;
  if (!hash.startsWith('$6$') && !hash.startsWith('$5$')) {
    throw new Error('only SHA-512 ($6$) and SHA-256 ($5$) crypt hashes can be verified');
  }
  const settings = hash.slice(0, hash.lastIndexOf('$'));
  const computed = Buffer.from(encrypt(password, settings));
  const expected = Buffer.from(hash);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
