/**
 * Key pairs for tests that stand in for the user's keys. ssh2's generateKeyPairSync('ed25519')
 * drops a leading zero byte about once in 256 keys and writes a key its own parseKey refuses
 * ("Malformed OpenSSH public key"); a test must not fail on that draw, so such a pair is drawn again.
 */

import { utils } from 'ssh2';

type Ed25519Options = Parameters<typeof utils.generateKeyPairSync>[1];

export function ed25519KeyPair(options?: Ed25519Options): { private: string; public: string } {
  for (;;) {
    const pair = options ? utils.generateKeyPairSync('ed25519', options) : utils.generateKeyPairSync('ed25519');
    const parsed = utils.parseKey(pair.public);
    if (parsed && !(parsed instanceof Error)) return pair;
  }
}
