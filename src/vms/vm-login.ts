/**
 * How Bootc Studio logs into a VM. With its own key when the hypervisor gave it to the guest at
 * boot (QEMU's SMBIOS credential). Otherwise (VMware Fusion, Hyper-V) as the user would: the private
 * keys in ~/.ssh whose public halves the build's config gave the VM's user, then the ssh-agent, then
 * the default keys, then — when the user typed one — the password. A password lives in this
 * process's memory only, for the VM until it stops: never in a record, a log or a message.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import type * as Ssh2 from 'ssh2';

import type { VmInfo } from '../api/vms';
import { loadSsh2 } from '../platform/lazy-packages';
import { DEFAULT_KEY_NAMES, parsePrivateKey } from '../ssh/ssh-auth';
import { ValidationError } from '../api/validation';
import { connectWithKey, LoginRefusedError } from '../ssh/ssh-session';
import type { KeySshConnection, KeySshTarget, SshLogin } from '../ssh/ssh-session';

type Env = Readonly<Record<string, string | undefined>>;

/** Whether the VM's own key reached the guest at its last start (records from before this was kept: QEMU's did). */
export function vmHasOwnKey(vm: Pick<VmInfo, 'keyAtBoot' | 'hypervisor'>): boolean {
  return vm.keyAtBoot ?? vm.hypervisor === 'qemu';
}

/** Passwords typed for VMs, by VM id, in this process only. */
export class VmPasswords {
  readonly #byVm = new Map<string, string>();

  get(vmId: string): string | undefined {
    return this.#byVm.get(vmId);
  }

  set(vmId: string, password: string): void {
    this.#byVm.set(vmId, password);
  }

  forget(vmId: string): void {
    this.#byVm.delete(vmId);
  }
}

/** The one store of this process: every way into a VM (terminal, day 2, Podman Desktop's shell) asks it. */
export const vmPasswords = new VmPasswords();

export interface VmLoginOptions {
  env?: Env;
  /** A password to try instead of the remembered one (checked before it is remembered). */
  password?: string;
  passwords?: VmPasswords;
}

/** Where and how to log into the running VM. */
export async function vmSshTarget(vm: VmInfo, options: VmLoginOptions = {}): Promise<KeySshTarget> {
  const target = {
    host: vm.sshHost ?? '127.0.0.1',
    port: vm.sshPort as number,
    user: vm.sshUser,
    hostKeyFingerprint: vm.hostKeyFingerprint,
  };
  if (vmHasOwnKey(vm)) return { ...target, privateKey: await readFile(vm.sshKeyPath) };
  const env = options.env ?? process.env;
  const password = options.password ?? (options.passwords ?? vmPasswords).get(vm.id);
  return { ...target, login: { ...(await userLogin(vm.authorizedKeys ?? [], env)), password } };
}

/**
 * The user's side of a login: the private keys of ~/.ssh that match `authorizedKeys` (the build's
 * keys for the VM's user), the agent, then the default keys not offered yet. Keys that cannot be
 * used (encrypted) are left out and named in `skipped`.
 */
export async function userLogin(
  authorizedKeys: readonly string[],
  env: Env,
): Promise<SshLogin & { skipped: string[] }> {
  // ssh2 loads on first use (platform/lazy-packages.ts).
  const { parseKey } = (await loadSsh2()).utils;
  const home = env.HOME || homedir();
  const sshDir = join(home, '.ssh');
  const wanted = new Set(
    authorizedKeys.map(line => publicBlob(line, parseKey)).filter((blob): blob is string => blob !== undefined),
  );
  const matched: string[] = [];
  if (wanted.size > 0) {
    let names: string[] = [];
    try {
      names = readdirSync(sshDir);
    } catch {
      // No ~/.ssh: nothing matches.
    }
    for (const name of names.filter(name => name.endsWith('.pub')).sort()) {
      let text = '';
      try {
        text = readFileSync(join(sshDir, name), 'utf8');
      } catch {
        continue;
      }
      const blob = publicBlob(text, parseKey);
      if (blob && wanted.has(blob)) matched.push(join(sshDir, name.slice(0, -'.pub'.length)));
    }
  }
  const defaults = DEFAULT_KEY_NAMES.map(name => join(sshDir, name)).filter(path => !matched.includes(path));
  const keys: SshLogin['keys'] = [];
  const skipped: string[] = [];
  const add = (path: string, why: string, quiet: boolean) => {
    const key = parsePrivateKey(path, file => readFileSync(file), parseKey);
    if (typeof key !== 'string') keys.push({ label: `the key ${path}${why}`, key: readFileSync(path) });
    else if (!quiet || key !== 'the file does not exist') skipped.push(`${path}: ${key}`);
  };
  for (const path of matched) add(path, ' (the build gave its public half to this user)', false);
  const agent = env.SSH_AUTH_SOCK || undefined;
  for (const path of defaults) add(path, '', true);
  return { keys, agent, skipped };
}

/**
 * A login to the running VM with `password` alone (a key let in first would prove nothing of it).
 * A refusal names the `password` field and never holds the password.
 */
export async function tryPassword(vm: VmInfo, password: string): Promise<KeySshConnection> {
  if (vm.state !== 'running' || !vm.sshPort) throw new Error(`VM ${vm.name} is ${vm.state}: start it first`);
  const refuse = (message: string) => new ValidationError([{ field: 'password', message }]);
  if (vmHasOwnKey(vm)) throw refuse(`VM ${vm.name} is reached with its own key: it needs no password`);
  if (!password) throw refuse(`type the password of ${vm.sshUser}`);
  const target = await vmSshTarget(vm);
  try {
    return await connectWithKey({ ...target, login: { keys: [], password } });
  } catch (error: unknown) {
    if (error instanceof LoginRefusedError) {
      throw refuse(`${target.user}@${target.host}:${target.port} did not take the password`);
    }
    throw error;
  }
}

/** The key blob (base64) of a public key line; undefined for anything else. */
function publicBlob(line: string, parseKey: typeof Ssh2.utils.parseKey): string | undefined {
  const parsed = parseKey(line.trim());
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.isPrivateKey()) return undefined;
  return key.getPublicSSH().toString('base64');
}
