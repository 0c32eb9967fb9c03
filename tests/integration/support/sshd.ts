/**
 * A private OpenSSH server for SSH tests: Debian's `sshd` (package openssh-server) in the
 * foreground (`-D -e`) on a free 127.0.0.1 port, with its own config, host key, client key and
 * pid file in a fresh 0700 temp dir. It lets in one key (AuthorizedKeysFile → the client key's
 * .pub), for the user running the tests, and forwards connections to unix sockets
 * (AllowStreamLocalForwarding, which OpenSSH honours only with AllowTcpForwarding `local` or
 * `yes`), which is how podman's remote client reaches a podman socket.
 *
 *   let sshd: SshServer;
 *   beforeAll(async () => { sshd = await startSshServer(); });
 *   afterAll(() => sshd?.stop());
 *
 * Run as root, sshd needs its privilege-separation directory /run/sshd (systemd's unit creates
 * it at boot; a container or CI machine may lack it): it is created (empty, 0755) when missing and
 * left in place, as other sshd instances use the same path.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { freePort } from '../../../src/platform/free-port';
import { findExecutable, requireExecutable, runProcess, terminate } from './run-process';

export const SSHD_APT_PACKAGES = 'openssh-server openssh-client';

export interface SshServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The private temp dir holding config, keys, pid file and log; removed by stop(). */
  readonly dir: string;
  /** The user the server lets in: the one running the tests. */
  readonly user: string;
  /** The private key (0600) the server accepts; `${clientKey}.pub` is its public half. */
  readonly clientKey: string;
  /** The server's public host key, `ssh-ed25519 AAAA…` (no comment). */
  readonly hostPublicKey: string;
  /** A known_hosts line for this server: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  knownHostsLine(): string;
  /** The host key's fingerprint as ssh-keygen -l prints it: `SHA256:…`. */
  hostKeyFingerprint(): Promise<string>;
  /** How many logins the server has accepted so far (its "Accepted publickey" log lines). */
  acceptedLogins(): number;
  /** Kills the per-connection sshd processes: every SSH connection drops; the server stays up. */
  dropConnections(): Promise<void>;
  /** What sshd has logged, for failure messages. */
  log(): string;
  /** Stops sshd and its connection processes and deletes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SshServerOptions {
  /** Where the temp dir is created. Default: the OS temp dir. */
  parentDir?: string;
  /** How long to wait for sshd to listen. Default 15 s. */
  readyTimeoutMs?: number;
  /** More sshd_config lines, e.g. `AllowStreamLocalForwarding no`. Earlier lines win in sshd_config. */
  extraConfig?: string[];
}

/** Starts sshd on a free loopback port and resolves once it listens. */
export async function startSshServer(options: SshServerOptions = {}): Promise<SshServer> {
  const sshd = requireExecutable('sshd', SSHD_APT_PACKAGES);
  const keygen = requireExecutable('ssh-keygen', SSHD_APT_PACKAGES);
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'bootc-studio-sshd-'));
  const logPath = join(dir, 'sshd.log');
  const readLog = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  let child: ChildProcess | undefined;
  let stopped = false;
  const kill = (): void => {
    if (child?.pid !== undefined) for (const pid of descendants(child.pid)) signal(pid, 'SIGKILL');
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', kill);
    const running = child;
    if (running?.pid !== undefined) {
      // Connection processes outlive the listener: end them first, then the listener.
      for (const pid of descendants(running.pid)) signal(pid, 'SIGKILL');
      await terminate(running);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const hostKey = join(dir, 'host_ed25519_key');
    const clientKey = join(dir, 'client_ed25519_key');
    await runProcess(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'bootc-studio-test-host', '-f', hostKey]);
    await runProcess(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'bootc-studio-test-client', '-f', clientKey]);
    const hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const user = userInfo().username;
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });

    // The port is chosen free, then handed to sshd; another process could take it in between,
    // which shows as sshd exiting with "Address already in use" — retried.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'sshd_config');
      await writeFile(
        config,
        [
          ...(options.extraConfig ?? []),
          'ListenAddress 127.0.0.1',
          `Port ${port}`,
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${clientKey}.pub`,
          `AllowUsers ${user}`,
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          'AllowStreamLocalForwarding yes',
          // OpenSSH grants unix-socket forwarding only together with local TCP forwarding.
          'AllowTcpForwarding local',
          'X11Forwarding no',
          'PermitTTY no',
          'StrictModes no',
          'UsePAM no',
          'PrintMotd no',
          'LogLevel VERBOSE',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const logFd = openSync(logPath, 'a');
      try {
        const setpriv = findExecutable('setpriv');
        // -D: stay in the foreground; -e: log to stderr (the log file) rather than syslog.
        const argv = [sshd, '-D', '-e', '-f', config];
        // If the test process is killed outright (SIGKILL), the kernel kills the listener too.
        const [command, ...args] = setpriv ? [setpriv, '--pdeathsig', 'SIGKILL', '--', ...argv] : argv;
        child = spawn(command, args, { stdio: ['ignore', logFd, logFd] });
      } finally {
        closeSync(logFd);
      }
      const started = child;
      const exited = new Promise<string>(resolve => {
        started.once('error', error => resolve(`could not start: ${error.message}`));
        started.once('exit', (code, sig) => resolve(sig ? `killed by ${sig}` : `exited with code ${code}`));
      });
      const ready = await waitForBanner(port, exited, options.readyTimeoutMs ?? 15_000);
      if (ready === true) {
        const mainPid = started.pid as number;
        return {
          host: '127.0.0.1',
          port,
          dir,
          user,
          clientKey,
          hostPublicKey,
          knownHostsLine: () => `[127.0.0.1]:${port} ${hostPublicKey}`,
          hostKeyFingerprint: async () => {
            const { stdout } = await runProcess(keygen, ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
            return stdout.split(/\s+/)[1];
          },
          acceptedLogins: () => readLog().match(/^Accepted publickey for /gm)?.length ?? 0,
          dropConnections: async () => {
            const pids = descendants(mainPid);
            for (const pid of pids) signal(pid, 'SIGKILL');
            const deadline = Date.now() + 5_000;
            while (pids.some(isRunning) && Date.now() < deadline) await delay(20);
          },
          log: readLog,
          stop,
        };
      }
      if (attempt < 3 && /Address already in use/i.test(readLog())) continue;
      throw new Error(`sshd ${ready} on 127.0.0.1:${port}:\n${readLog().trim().split('\n').slice(-20).join('\n')}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Adds `lines` to a known_hosts file of a test home, hashing names when `hashed` (ssh-keygen -H). */
export async function writeKnownHosts(path: string, lines: string[], hashed = false): Promise<void> {
  await writeFile(path, lines.map(line => `${line}\n`).join(''), { mode: 0o600 });
  if (hashed) {
    const keygen = requireExecutable('ssh-keygen', SSHD_APT_PACKAGES);
    await runProcess(keygen, ['-H', '-f', path]);
    rmSync(`${path}.old`, { force: true });
  }
}

/** Resolves true once the port answers with an SSH banner, or with why sshd did not start. */
async function waitForBanner(port: number, exited: Promise<string>, timeoutMs: number): Promise<true | string> {
  let exitReason: string | undefined;
  void exited.then(reason => (exitReason = reason));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitReason !== undefined) return exitReason;
    if (await answersSsh(port)) return true;
    if (Date.now() > deadline) return `did not listen within ${timeoutMs} ms`;
    await delay(50);
  }
}

function answersSsh(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('SSH-')));
  });
}

/** The processes below `pid` (sshd's per-connection processes), deepest last. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number): void => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
