/**
 * SSH sessions into a machine reached with one known key (a VM's own): connect, run a command,
 * open an interactive shell, wait until the server lets us in. The host key is checked against a
 * pinned one when given (a VM's key is pinned at its first login after boot), and reported so the
 * caller can pin it.
 */

import { setTimeout as sleep } from 'node:timers/promises';

import type { AuthenticationType, Client, ClientChannel, NextAuthHandler } from 'ssh2';

import { loadSsh2 } from '../platform/lazy-packages';
import { blobKeyType, keyFingerprint, knownHostsName } from './ssh-known-hosts';

export interface KeySshTarget {
  host: string;
  port: number;
  user: string;
  /** The one key to log in with (a VM's own); or `login` for a choice of keys, an agent and a password. */
  privateKey?: string | Buffer;
  login?: SshLogin;
  /** `SHA256:…` fingerprint the server's host key must have; undefined accepts any (and reports it). */
  hostKeyFingerprint?: string;
  readyTimeoutMs?: number;
}

export interface KeySshConnection {
  client: Client;
  /** The server's host key (the public key blob) and its fingerprint (`SHA256:…`). */
  hostKey: Buffer;
  hostKeyFingerprint: string;
}

/** What to offer, in this order, when no single key is known to be the one: keys, an ssh-agent, a password. */
export interface SshLogin {
  /** Private keys, each with how a message names it (`the key ~/.ssh/id_ed25519`). */
  keys: { label: string; key: string | Buffer }[];
  /** An ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  /** Offered as a password and to keyboard-interactive prompts; never logged. */
  password?: string;
  /** Keys that could not be offered, with why (`~/.ssh/id_rsa: it is encrypted…`), for the refusal. */
  skipped?: string[];
}

/** The server let none of what `login` offered in; `passwordWouldHelp` when it takes a password and none was given. */
export class LoginRefusedError extends Error {
  constructor(
    target: Pick<KeySshTarget, 'host' | 'port' | 'user'>,
    readonly tried: string[],
    readonly passwordWouldHelp: boolean,
    skipped: string[] = [],
    /** The methods the server said it takes. */
    takes: string[] = [],
  ) {
    const offered =
      tried.length > 0
        ? `tried ${tried.join('; ')}`
        : takes.length > 0 && !takes.includes('publickey')
          ? `it takes no keys, only: ${takes.join(', ')}`
          : 'no key of yours to offer, and no ssh-agent runs';
    super(
      `${target.user}@${target.host}:${target.port} refused the login (${offered})` +
        (skipped.length > 0 ? `; not offered: ${skipped.join('; ')}` : '') +
        (passwordWouldHelp ? `; it takes the password of ${target.user}` : ''),
    );
    this.name = 'LoginRefusedError';
  }
}

/**
 * ssh2's authHandler for `login`: each key, then the agent, then the password (as `password` and as
 * the answer to keyboard-interactive prompts); `tried` names what was offered, for the refusal.
 */
function loginHandler(user: string, login: SshLogin, tried: string[], offers: Set<AuthenticationType>) {
  const queue: { label: string; method: Parameters<NextAuthHandler>[0] }[] = [
    ...login.keys.map(({ label, key }) => ({ label, method: { type: 'publickey' as const, username: user, key } })),
    ...(login.agent
      ? [
          {
            label: `the ssh-agent at ${login.agent}`,
            method: { type: 'agent' as const, username: user, agent: login.agent },
          },
        ]
      : []),
  ];
  const password = login.password;
  if (password !== undefined) {
    queue.push({ label: 'the password', method: { type: 'password', username: user, password } });
    queue.push({
      label: 'the password (keyboard-interactive)',
      method: {
        type: 'keyboard-interactive',
        username: user,
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
      },
    });
  }
  let asked = false;
  return (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler) => {
    // First `none`, as OpenSSH does: the server's answer says which methods it takes (a password?),
    // even when there is no key to offer.
    if (!asked) {
      asked = true;
      return next({ type: 'none', username: user });
    }
    for (const method of methodsLeft ?? []) offers.add(method);
    for (;;) {
      const entry = queue.shift();
      if (!entry) return next(false as unknown as AuthenticationType);
      const type = entry.method as { type: AuthenticationType };
      // A server that said which methods it takes is not offered the others.
      if (methodsLeft && !methodsLeft.includes(type.type === 'agent' ? 'publickey' : type.type)) continue;
      if (!entry.label.endsWith('(keyboard-interactive)')) tried.push(entry.label);
      return next(entry.method);
    }
  };
}

export class HostKeyChangedError extends Error {
  constructor(target: KeySshTarget, seen: string) {
    super(
      `the host key of ${target.host}:${target.port} is ${seen}, not ${target.hostKeyFingerprint} as at its first login since boot`,
    );
    this.name = 'HostKeyChangedError';
  }
}

export async function connectWithKey(target: KeySshTarget): Promise<KeySshConnection> {
  const { Client } = await loadSsh2();
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen = '';
    let hostKey: Buffer = Buffer.alloc(0);
    let refused: Error | undefined;
    let ready = false;
    const tried: string[] = [];
    const offers = new Set<AuthenticationType>();
    const login = target.login;
    client.once('ready', () => {
      ready = true;
      resolve({ client, hostKey, hostKeyFingerprint: seen });
    });
    // On for good: ssh2 may report more than one error, and one after the login (a lost connection)
    // must not go unhandled; the caller listens too when it cares.
    client.on('error', (error: Error & { level?: string }) => {
      client.end();
      if (!refused && login && error.level === 'client-authentication') {
        const takesPassword = offers.has('password') || offers.has('keyboard-interactive');
        refused = new LoginRefusedError(target, tried, takesPassword && login.password === undefined, login.skipped, [
          ...offers,
        ]);
      }
      reject(refused ?? error);
    });
    // A server may close the connection during the handshake without an error being raised.
    client.once('close', () => {
      if (!ready) reject(refused ?? new Error(`${target.host}:${target.port} closed the connection before the login`));
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      ...(login ? { authHandler: loginHandler(target.user, login, tried, offers) } : { privateKey: target.privateKey }),
      readyTimeout: target.readyTimeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => {
        hostKey = key;
        seen = keyFingerprint(key);
        if (target.hostKeyFingerprint && seen !== target.hostKeyFingerprint) {
          refused = new HostKeyChangedError(target, seen);
          return false;
        }
        return true;
      },
    });
  });
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command ended without an exit status: the connection or the machine went away. */
  dropped?: boolean;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** Each chunk of output as it comes (stdout and stderr alike), for a live log. */
  onOutput?: (text: string) => void;
  /** Each chunk of standard output, and of standard error, apart (a terminal's two streams). */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/**
 * Runs `command` (a command line for the remote shell) and collects its output. A connection that
 * drops before the command ends (the machine rebooted), or had dropped before it began, ends it
 * with code 255 and `dropped`.
 */
export function execOverSsh(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    // A connection that closed before the command could start (ssh2 throws "Not connected") is
    // dropped as well.
    const start = (callback: Parameters<Client['exec']>[1]) => {
      try {
        client.exec(command, callback);
      } catch (error: unknown) {
        if ((error as Error).message !== 'Not connected') throw error;
        resolve({ code: 255, stdout: '', stderr: '', dropped: true });
      }
    };
    start((error, channel) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      const onAbort = () => channel.close();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        stdout += text;
        options.onOutput?.(text);
        options.onStdout?.(text);
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        stderr += text;
        options.onOutput?.(text);
        options.onStderr?.(text);
      });
      channel.on('close', (code: number | null) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve({
          code: code ?? 255,
          stdout,
          stderr,
          ...(code === null || code === undefined ? { dropped: true } : {}),
        });
      });
    });
  });
}

/** An interactive shell with a terminal of `rows`×`cols`. */
export function openShell(client: Client, rows = 24, cols = 80): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.shell({ term: 'xterm-256color', rows, cols }, (error, channel) =>
      error ? reject(error) : resolve(channel),
    );
  });
}

export interface WaitForSshOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Whether to go on waiting (false when the machine is gone). */
  stillWorthIt?: () => boolean | Promise<boolean>;
}

/**
 * Logs in as soon as the server lets us (a forwarded port answers before the guest's sshd runs, so
 * only a login proves it); undefined when the time runs out. The last failure is in `lastError`.
 */
export async function waitForSsh(
  target: KeySshTarget,
  options: WaitForSshOptions,
): Promise<{ connection?: KeySshConnection; lastError?: Error }> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: Error | undefined;
  while (Date.now() < deadline && !options.signal?.aborted) {
    if (options.stillWorthIt && !(await options.stillWorthIt())) break;
    try {
      const connection = await connectWithKey({
        ...target,
        readyTimeoutMs: Math.min(target.readyTimeoutMs ?? 10_000, deadline - Date.now()),
      });
      return { connection };
    } catch (error: unknown) {
      lastError = error instanceof Error ? error : new Error(String(error));
      // Neither changes by waiting: another machine answers, or none of the user's keys is in the image.
      if (error instanceof HostKeyChangedError || error instanceof LoginRefusedError) break;
    }
    await sleep(options.intervalMs ?? 1000);
  }
  return { lastError };
}

/** The known_hosts line that pins `hostKey` for `host:port`, as OpenSSH writes it. */
export function knownHostsLine(host: string, port: number, hostKey: Buffer): string {
  return `${knownHostsName(host, port)} ${blobKeyType(hostKey)} ${hostKey.toString('base64')}`;
}
