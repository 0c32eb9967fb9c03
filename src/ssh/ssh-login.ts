/**
 * Who logs in where, for an SSH connection: the user, the home directory whose ~/.ssh holds the
 * default keys and known_hosts, the keys to offer (ssh-auth.ts) and what became of each.
 */

import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

import type { AnyAuthMethod, AuthenticationType } from 'ssh2';

import type { LoadedAuth, SshAuthSource } from './ssh-auth';
import { chooseSshAuth, describeAuthSource } from './ssh-auth';
import type { SshEndpoint } from './ssh-endpoint';

type Env = Readonly<Record<string, string | undefined>>;

/** Where an SSH connection for `endpoint` looks for its settings, from `env`. */
export interface SshSettings {
  user: string;
  home: string;
  knownHostsPath: string;
  auth: SshAuthSource[];
}

export function sshSettings(endpoint: SshEndpoint, env: Env): SshSettings {
  const home = env.HOME || homedir();
  return {
    user: endpoint.user ?? userInfo().username,
    home,
    knownHostsPath: join(home, '.ssh', 'known_hosts'),
    auth: chooseSshAuth({
      identityFile: endpoint.identityFile ?? (env.CONTAINER_SSHKEY || undefined),
      agentSocket: env.SSH_AUTH_SOCK || undefined,
      home,
      exists: existsSync,
    }),
  };
}

/** The keys to offer, one after the other, and what became of each for the failure message. */
export class AuthAttempts {
  private readonly queue: LoadedAuth[];
  private readonly tried: string[] = [];
  private current?: LoadedAuth;
  private refusedAll?: AuthenticationType[];

  constructor(
    methods: readonly LoadedAuth[],
    private readonly user: string,
  ) {
    this.queue = [...methods];
  }

  /** The next method, or false when none is left (ssh2 then fails authentication). */
  next(methodsLeft: AuthenticationType[] | null): AnyAuthMethod | false {
    if (methodsLeft && !methodsLeft.includes('publickey')) {
      this.refusedAll = methodsLeft;
      return false;
    }
    const method = this.queue.shift();
    this.current = method;
    if (!method) return false;
    this.tried.push(describeAuthSource(method.source));
    return method.type === 'agent'
      ? { type: 'agent', username: this.user, agent: method.agent }
      : { type: 'publickey', username: this.user, key: method.key };
  }

  noteAgentProblem(problem: string): void {
    if (this.current?.type === 'agent' && this.tried.length > 0) {
      this.tried[this.tried.length - 1] += ` (unusable: ${problem})`;
    }
  }

  describeTried(): string[] {
    const tried = [...this.tried];
    if (this.refusedAll) tried.push(`the server accepts no keys, only: ${this.refusedAll.join(', ') || 'nothing'}`);
    return tried;
  }
}

export function readKnownHosts(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // No file (or an unreadable one): every host is unknown, and the message says how to add it.
    return '';
  }
}
