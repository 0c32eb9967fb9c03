/**
 * Logging into a VM whose own key could not reach it at boot: the user's keys that match the
 * build's keys for the VM's user, the default keys, then a typed password — against an in-process
 * SSH server (ssh2's Server) that takes one key, or one password, as a guest's sshd would.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AuthContext, Connection } from 'ssh2';
import { Server, utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { VmInfo } from '../../../src/api/vms';
import { connectWithKey, LoginRefusedError } from '../../../src/ssh/ssh-session';
import { userLogin, vmHasOwnKey, VmPasswords, vmSshTarget } from '../../../src/vms/vm-login';
import { ed25519KeyPair } from '../support/ssh-keys';

const PASSWORD = `pa"ss 'w0rd`;

describe('logging into a VM with the user’s keys or a password', () => {
  let dir: string;
  let home: string;
  let port: number;
  let sshd: Server;
  const connections: Connection[] = [];
  const offered: string[] = [];
  // What the guest accepts: the user's key (the build gave it), a password, or both.
  let accepts: { key: boolean; password: boolean } = { key: true, password: true };
  const userKey = ed25519KeyPair({ comment: 'me@laptop' });
  const otherKey = ed25519KeyPair();
  type PublicKey = { getPublicSSH(): Buffer; verify(data: Buffer, signature: Buffer, hash?: string): boolean | Error };
  // The key the guest's authorized_keys holds.
  let allowed = utils.parseKey(userKey.public) as unknown as PublicKey;

  const vm = (fields: Partial<VmInfo> = {}): VmInfo =>
    ({
      id: 'a1b2c3d4e5f6',
      name: 'mac-1',
      hypervisor: 'fusion',
      keyAtBoot: false,
      sshUser: 'core',
      sshPort: port,
      sshKeyPath: join(dir, 'vm-key-that-must-not-be-read'),
      authorizedKeys: [userKey.public],
      state: 'running',
      ...fields,
    }) as VmInfo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vm-login-'));
    home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    // The user's key under a name that is not a default one: only the build's key finds it.
    writeFileSync(join(home, '.ssh', 'work_laptop'), userKey.private, { mode: 0o600 });
    writeFileSync(join(home, '.ssh', 'work_laptop.pub'), `${userKey.public}\n`);
    writeFileSync(join(home, '.ssh', 'id_ed25519'), otherKey.private, { mode: 0o600 });
    writeFileSync(join(home, '.ssh', 'id_ed25519.pub'), `${otherKey.public}\n`);
    const hostKey = ed25519KeyPair();
    sshd = new Server({ hostKeys: [hostKey.private] }, client => {
      connections.push(client);
      client.on('error', () => undefined);
      client.on('authentication', (ctx: AuthContext) => {
        const methods = [
          ...(accepts.key ? ['publickey' as const] : []),
          ...(accepts.password ? ['password' as const] : []),
        ];
        offered.push(ctx.method);
        if (ctx.username !== 'core') return ctx.reject(methods);
        if (accepts.password && ctx.method === 'password' && ctx.password === PASSWORD) return ctx.accept();
        if (
          accepts.key &&
          ctx.method === 'publickey' &&
          ctx.key.data.equals(allowed.getPublicSSH()) &&
          (!ctx.signature || allowed.verify(ctx.blob as Buffer, ctx.signature, ctx.hashAlgo) === true)
        ) {
          return ctx.accept();
        }
        ctx.reject(methods);
      });
      client.on('ready', () => client.end());
    });
    await new Promise<void>(resolve => sshd.listen(0, '127.0.0.1', resolve));
    port = (sshd.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const connection of connections) connection.end();
    await new Promise(resolve => sshd.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a QEMU VM, and any VM whose own key reached it, logs in with that key alone', async () => {
    writeFileSync(join(dir, 'own'), userKey.private, { mode: 0o600 });
    const target = await vmSshTarget(vm({ hypervisor: 'qemu', keyAtBoot: undefined, sshKeyPath: join(dir, 'own') }));
    expect(target.login).toBeUndefined();
    expect(target.privateKey?.toString()).toBe(userKey.private);
    expect(vmHasOwnKey({ hypervisor: 'fusion', keyAtBoot: undefined })).toBe(false);
    expect(vmHasOwnKey({ hypervisor: 'qemu', keyAtBoot: false })).toBe(false);
  });

  test('the private key whose public half the build gave the user comes first, then the default keys', async () => {
    const login = await userLogin([userKey.public], { HOME: home, SSH_AUTH_SOCK: '/run/agent.sock' });
    expect(login.keys.map(key => key.label)).toEqual([
      `the key ${join(home, '.ssh', 'work_laptop')} (the build gave its public half to this user)`,
      `the key ${join(home, '.ssh', 'id_ed25519')}`,
    ]);
    expect(login.agent).toBe('/run/agent.sock');
    // Without the build's keys, only the default keys and the agent.
    expect((await userLogin([], { HOME: home })).keys.map(key => key.label)).toEqual([
      `the key ${join(home, '.ssh', 'id_ed25519')}`,
    ]);
  });

  test('an encrypted key is left out and named, not fatal', async () => {
    const locked = ed25519KeyPair({ passphrase: 'secret', cipher: 'aes256-ctr', rounds: 16 });
    const lockedHome = join(dir, 'locked');
    mkdirSync(join(lockedHome, '.ssh'), { recursive: true });
    writeFileSync(join(lockedHome, '.ssh', 'id_ed25519'), locked.private, { mode: 0o600 });
    writeFileSync(join(lockedHome, '.ssh', 'id_ed25519.pub'), `${locked.public}\n`);
    const login = await userLogin([locked.public], { HOME: lockedHome });
    expect(login.keys).toEqual([]);
    expect(login.skipped.join('\n')).toMatch(/id_ed25519: it is encrypted .*ssh-add/);
  });

  test('the matching key gets in; the VM’s own key file is never read', async () => {
    accepts = { key: true, password: false };
    const connection = await connectWithKey(await vmSshTarget(vm(), { env: { HOME: home } }));
    connection.client.end();
    expect(connection.hostKeyFingerprint).toMatch(/^SHA256:/);
  });

  test('when no key gets in and the guest takes a password, the refusal says so and names what was tried', async () => {
    accepts = { key: true, password: true };
    allowed = utils.parseKey(ed25519KeyPair().public) as unknown as PublicKey;
    const error = await connectWithKey(
      await vmSshTarget(vm(), { env: { HOME: home }, passwords: new VmPasswords() }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect((error as LoginRefusedError).passwordWouldHelp).toBe(true);
    expect((error as Error).message).toMatch(/work_laptop \(the build gave its public half to this user\)/);
    expect((error as Error).message).toMatch(/it takes the password of core/);
    allowed = utils.parseKey(userKey.public) as unknown as PublicKey;
  });

  test('a user with no key at all still learns that a password would get in', async () => {
    accepts = { key: true, password: true };
    const empty = join(dir, 'empty-home');
    mkdirSync(empty, { recursive: true });
    const error = (await connectWithKey(
      await vmSshTarget(vm({ authorizedKeys: undefined }), { env: { HOME: empty }, passwords: new VmPasswords() }),
    ).catch((e: unknown) => e)) as LoginRefusedError;
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error.passwordWouldHelp).toBe(true);
    expect(error.message).toMatch(/no key of yours to offer.*it takes the password of core/);

    // A guest that takes passwords only is not offered the keys, and the refusal says why.
    accepts = { key: false, password: true };
    const keysUnwanted = (await connectWithKey(
      await vmSshTarget(vm(), { env: { HOME: home }, passwords: new VmPasswords() }),
    ).catch((e: unknown) => e)) as LoginRefusedError;
    expect(keysUnwanted.message).toMatch(/it takes no keys, only: password.*it takes the password of core/);
  });

  test('a remembered password gets in; a wrong one is refused without being repeated', async () => {
    accepts = { key: false, password: true };
    const passwords = new VmPasswords();
    passwords.set('a1b2c3d4e5f6', PASSWORD);
    const connection = await connectWithKey(await vmSshTarget(vm(), { env: { HOME: home }, passwords }));
    connection.client.end();

    passwords.set('a1b2c3d4e5f6', 'wrong');
    const error = (await connectWithKey(await vmSshTarget(vm(), { env: { HOME: home }, passwords })).catch(
      (e: unknown) => e,
    )) as LoginRefusedError;
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error.passwordWouldHelp).toBe(false);
    expect(error.message).not.toContain('wrong');
    expect(error.message).toContain('the password');
    passwords.forget('a1b2c3d4e5f6');
    expect(passwords.get('a1b2c3d4e5f6')).toBeUndefined();
  });

  test('a guest that takes keys only is not offered the password', async () => {
    accepts = { key: false, password: false };
    offered.length = 0;
    const passwords = new VmPasswords();
    passwords.set('a1b2c3d4e5f6', PASSWORD);
    const error = (await connectWithKey(await vmSshTarget(vm(), { env: { HOME: home }, passwords })).catch(
      (e: unknown) => e,
    )) as LoginRefusedError;
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error.passwordWouldHelp).toBe(false);
    expect(offered).not.toContain('password');
  });
});
