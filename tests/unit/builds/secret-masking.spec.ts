import { describe, expect, test } from 'vitest';

import { hashPassword } from '../../../src/builds/password-hash';
import { createLogRedactor, maskSecrets } from '../../../src/builds/secret-masking';

const HASH = hashPassword('changeit', 'saltsaltsaltsalt');
const SHA256 = `$5$pepper$${'Q'.repeat(43)}`;
const BCRYPT = `$2b$12$${'z'.repeat(53)}`;

/** What a `--progress verbose` builder prints for the users stage (osbuild LogMonitor: stage options as JSON). */
const VERBOSE_USERS_STAGE = `org.osbuild.users: ${'ab'.repeat(32)} {
  "users": {
    "demo": {
      "groups": [
        "wheel"
      ],
      "password": "${HASH}",
      "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9sH5BmnBmmDsj0ZD3EVVyllhsUYYwPx6AyJ5gTrny7 demo@host"
    }
  }
}
⏱  Duration: 0s
`;

describe('maskSecrets', () => {
  test('crypt hashes anywhere, password values, kickstart passwords and private keys', () => {
    const text = [
      `demo:${HASH}:19000:0:99999:7:::`,
      `password = "${HASH}"`,
      `"password": "plain text"`,
      `{ name = "x", password = 'single' }`,
      `rootpw --iscrypted ${SHA256}`,
      `user --name=ops --password=${BCRYPT} --iscrypted`,
      'sshpw --username=root rescue-me',
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
      '-----END OPENSSH PRIVATE KEY-----',
      'an ordinary line with $HOME and a $6 bill',
    ].join('\n');
    const masked = maskSecrets(text);
    for (const secret of [
      HASH,
      SHA256,
      BCRYPT,
      'plain text',
      'single',
      'rescue-me',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
    ]) {
      expect(masked).not.toContain(secret);
    }
    expect(masked.split('\n')).toEqual([
      'demo:********:19000:0:99999:7:::',
      'password = "********"',
      '"password": "********"',
      `{ name = "x", password = "********" }`,
      'rootpw --iscrypted ********',
      'user --name=ops --password=******** --iscrypted',
      'sshpw --username=root ********',
      '********',
      'an ordinary line with $HOME and a $6 bill',
    ]);
  });
});

describe('the log redactor', () => {
  test('the users stage of a verbose build loses its hash, whatever the chunking', () => {
    for (const size of [1, 2, 5, 64, 4096]) {
      const redactor = createLogRedactor();
      let out = '';
      for (let i = 0; i < VERBOSE_USERS_STAGE.length; i += size)
        out += redactor.push(VERBOSE_USERS_STAGE.slice(i, i + size));
      out += redactor.end();
      expect(out).not.toContain(HASH);
      expect(out).not.toContain(HASH.slice(3, 19));
      expect(out).toBe(VERBOSE_USERS_STAGE.replace(HASH, '********'));
    }
  });

  test('complete lines come out at once, a partial one waits', () => {
    const redactor = createLogRedactor();
    expect(redactor.push('line one\nline t')).toBe('line one\n');
    expect(redactor.push('wo\n')).toBe('line two\n');
    expect(redactor.push(`tail ${HASH.slice(0, 10)}`)).toBe('');
    expect(redactor.end()).toBe('tail ********');
    expect(redactor.end()).toBe('');
  });

  test('a private key block is masked line by line', () => {
    const redactor = createLogRedactor();
    const out = redactor.push(
      'before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----\nafter\n',
    );
    expect(out).toBe('before\n********\n********\n********\n********\nafter\n');
  });

  test('a line that never ends is not held forever', () => {
    const redactor = createLogRedactor();
    const bar = '\r[####      ] 40%'.repeat(20_000);
    const out = redactor.push(bar);
    expect(out.length).toBeGreaterThan(0);
    expect(out + redactor.end()).toBe(bar);
  });
});
