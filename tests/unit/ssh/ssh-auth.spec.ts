import { describe, expect, test } from 'vitest';

import { parseEndpointUrl } from '../../../src/engine/engine-endpoint';
import type { SshAuthSource } from '../../../src/ssh/ssh-auth';
import { chooseSshAuth, describeAuthSource, expandHome, loadSshAuth } from '../../../src/ssh/ssh-auth';
import type { SshEndpoint } from '../../../src/ssh/ssh-endpoint';
import { SshConnectionError } from '../../../src/ssh/ssh-errors';
import { ed25519KeyPair } from '../support/ssh-keys';

const HOME = '/home/me';
const endpoint = parseEndpointUrl('ssh://core@vm.example:2222/run/user/1000/podman/podman.sock') as SshEndpoint;

function exists(...paths: string[]): (path: string) => boolean {
  const set = new Set(paths);
  return path => set.has(path);
}

describe('chooseSshAuth', () => {
  test('CONTAINER_SSHKEY alone when set, even with an agent and default keys around', () => {
    expect(
      chooseSshAuth({
        identityFile: '/keys/podman',
        agentSocket: '/tmp/agent.sock',
        home: HOME,
        exists: exists(`${HOME}/.ssh/id_ed25519`),
      }),
    ).toEqual([{ kind: 'identity', path: '/keys/podman' }]);
  });

  test('~/ in CONTAINER_SSHKEY is the home directory', () => {
    expect(chooseSshAuth({ identityFile: '~/.ssh/vm', home: HOME, exists: exists() })).toEqual([
      { kind: 'identity', path: `${HOME}/.ssh/vm` },
    ]);
  });

  test('otherwise the agent, then the default keys that exist, ed25519 first', () => {
    expect(
      chooseSshAuth({
        agentSocket: '/tmp/agent.sock',
        home: HOME,
        exists: exists(`${HOME}/.ssh/id_rsa`, `${HOME}/.ssh/id_ed25519`),
      }),
    ).toEqual([
      { kind: 'agent', socket: '/tmp/agent.sock' },
      { kind: 'default-key', path: `${HOME}/.ssh/id_ed25519` },
      { kind: 'default-key', path: `${HOME}/.ssh/id_rsa` },
    ]);
  });

  test('no agent: the default keys; nothing at all: no sources', () => {
    expect(chooseSshAuth({ home: HOME, exists: exists(`${HOME}/.ssh/id_ecdsa`) })).toEqual([
      { kind: 'default-key', path: `${HOME}/.ssh/id_ecdsa` },
    ]);
    expect(chooseSshAuth({ agentSocket: '', identityFile: '', home: HOME, exists: exists() })).toEqual([]);
  });
});

describe('expandHome and describeAuthSource', () => {
  test('expandHome', () => {
    expect(expandHome('~', HOME)).toBe(HOME);
    expect(expandHome('~/k', HOME)).toBe(`${HOME}/k`);
    expect(expandHome('~other/k', HOME)).toBe('~other/k');
    expect(expandHome('/abs/k', HOME)).toBe('/abs/k');
  });

  test('messages name each source', () => {
    expect(describeAuthSource({ kind: 'identity', path: '/k' })).toBe('the key /k (CONTAINER_SSHKEY)');
    expect(describeAuthSource({ kind: 'agent', socket: '/a.sock' })).toBe('the ssh-agent at /a.sock');
    expect(describeAuthSource({ kind: 'default-key', path: '/k' })).toBe('the key /k');
  });
});

describe('loadSshAuth', () => {
  const plain = Buffer.from(ed25519KeyPair().private);
  const pair = ed25519KeyPair();
  const encrypted = Buffer.from(ed25519KeyPair({ passphrase: 'secret', cipher: 'aes256-ctr', rounds: 4 }).private);
  const files: Record<string, Buffer> = {
    '/k/plain': plain,
    '/k/encrypted': encrypted,
    '/k/public.pub': Buffer.from(pair.public),
    '/k/junk': Buffer.from('not a key'),
  };
  const read = (path: string): Buffer => {
    const file = files[path];
    if (!file) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return file;
  };

  async function identityError(path: string): Promise<SshConnectionError> {
    try {
      await loadSshAuth(endpoint, [{ kind: 'identity', path }], read);
    } catch (error) {
      expect(error).toBeInstanceOf(SshConnectionError);
      return error as SshConnectionError;
    }
    throw new Error('expected a failure');
  }

  test('parses keys and passes the agent through, in order', async () => {
    const sources: SshAuthSource[] = [
      { kind: 'agent', socket: '/a.sock' },
      { kind: 'default-key', path: '/k/plain' },
    ];
    const { methods, skipped } = await loadSshAuth(endpoint, sources, read);
    expect(skipped).toEqual([]);
    expect(methods.map(method => method.type)).toEqual(['agent', 'publickey']);
    const key = methods[1].type === 'publickey' ? methods[1].key : undefined;
    expect(key?.type).toBe('ssh-ed25519');
    expect(key?.isPrivateKey()).toBe(true);
  });

  test('default keys that cannot be used are skipped, saying why', async () => {
    const { methods, skipped } = await loadSshAuth(
      endpoint,
      [
        { kind: 'default-key', path: '/k/encrypted' },
        { kind: 'default-key', path: '/k/missing' },
        { kind: 'default-key', path: '/k/plain' },
      ],
      read,
    );
    expect(methods).toHaveLength(1);
    expect(skipped[0]).toMatch(/^\/k\/encrypted \(it is encrypted with a passphrase.*ssh-add/);
    expect(skipped[1]).toBe('/k/missing (the file does not exist)');
  });

  test('a CONTAINER_SSHKEY that cannot be used fails at once, naming the key and the endpoint', async () => {
    const missing = await identityError('/k/missing');
    expect(missing.failure).toBe('identity');
    expect(missing.message).toBe(
      `Cannot use the SSH key /k/missing (CONTAINER_SSHKEY) for ${endpoint.url}: the file does not exist.`,
    );
    expect((await identityError('/k/encrypted')).message).toMatch(
      /encrypted with a passphrase.*`ssh-add`; unset CONTAINER_SSHKEY once the agent holds it\.$/,
    );
    expect((await identityError('/k/public.pub')).message).toContain('it is a public key; give the private key file');
    expect((await identityError('/k/junk')).message).toContain('it is not a private key in OpenSSH or PEM format');
  });
});
