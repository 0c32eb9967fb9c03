/**
 * Running a command as root, asking for the rights at most once: directly when already root, else
 * through `sudo` on a terminal (its prompt reads /dev/tty), `pkexec` when a graphical session can
 * answer its prompt, or `sudo -n` (which works only without a password prompt) — otherwise it says
 * what is missing. Linux only: macOS and Windows prompt through Podman Desktop.
 */

import { findExecutable } from './executables';
import { runProcess } from './process';

/** Runs a command as root, asking for the rights at most once; its output (stdout and stderr) as it comes. */
export interface AdminRunner {
  /**
   * Resolves with the exit code; rejects only when the command could not be run at all. `purpose` is
   * what the user is told before any prompt: what the rights are for.
   */
  run(argv: string[], onOutput: (text: string) => void, purpose?: string): Promise<number>;
}

export interface AdminHost {
  uid?: number;
  platform: NodeJS.Platform;
  /** A terminal can answer sudo's prompt. */
  interactive?: boolean;
}

/** The program and arguments that run `command args…` as root. */
export function adminArgv(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  which: (name: string, path?: string) => string | undefined = findExecutable,
  host: AdminHost = { uid: process.getuid?.(), platform: process.platform },
): [string, string[]] {
  if (host.uid === 0) return [command, args];
  if (host.platform !== 'linux') {
    throw new Error(
      `Bootc Studio cannot ask for administrator rights on ${host.platform}; run ${command} as an administrator.`,
    );
  }
  const sudo = which('sudo', env.PATH);
  if (sudo && host.interactive) return [sudo, [command, ...args]];
  const graphical = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  const pkexec = which('pkexec', env.PATH);
  if (pkexec && graphical) return [pkexec, [command, ...args]];
  if (sudo) return [sudo, ['-n', command, ...args]];
  throw new Error(
    `${command} needs administrator rights, and neither pkexec (with a graphical session) nor sudo is available. Run Bootc Studio as root or install sudo.`,
  );
}

/**
 * An AdminRunner over child processes (the CLI): `purpose` is printed through `tell` before any
 * prompt can appear; the command's stdout and stderr go to onOutput line by line as they come.
 */
export function processAdminRunner(
  tell: (message: string) => void,
  host: AdminHost = { uid: process.getuid?.(), platform: process.platform, interactive: process.stdin.isTTY === true },
  env: NodeJS.ProcessEnv = process.env,
): AdminRunner {
  return {
    run(argv, onOutput, purpose) {
      const [file, args] = adminArgv(argv[0], argv.slice(1), env, findExecutable, host);
      if (purpose && host.uid !== 0) tell(purpose);
      // The environment is the one given, whole.
      return runProcess([file, ...args], {
        env,
        cleanEnv: true,
        onStdout: line => onOutput(`${line}\n`),
        onStderr: line => onOutput(`${line}\n`),
      }).then(result => result.code);
    },
  };
}
