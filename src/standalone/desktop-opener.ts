import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

import { errorMessage } from '../api/errors';

/**
 * What Podman Desktop does for `env.openExternal(Uri.file(path))` (Electron's shell), done in
 * standalone mode with the desktop's own opener: the file manager shows a folder.
 */

/** The program that opens a path the way the desktop would. */
export function desktopOpener(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'open';
  if (platform === 'win32') return 'explorer';
  return 'xdg-open';
}

/**
 * How long an opener has to fail before it is taken to have worked. Most hand the path to the
 * file manager and exit at once; some run the file manager in the foreground until it closes.
 */
export const OPENER_GRACE_MS = 1500;

export type OpenResult = { opened: true } | { opened: false; reason: string };

export interface LaunchOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  graceMs?: number;
}

/**
 * Starts `program path` (argv, no shell), detached so that it outlives standalone mode, and
 * answers once it has exited or run for the grace period: opened, or why not.
 */
export function launchDetached(program: string, path: string, options: LaunchOptions = {}): Promise<OpenResult> {
  const platform = options.platform ?? process.platform;
  return new Promise(resolve => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let child: ChildProcess;
    try {
      child = spawn(program, [path], { detached: true, stdio: 'ignore', shell: false, env: options.env });
    } catch (error: unknown) {
      // A path Node refuses to pass (a NUL byte, say) never reaches the program.
      resolve({ opened: false, reason: `${program} did not start: ${errorMessage(error)}` });
      return;
    }
    const settle = (result: OpenResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.unref();
      resolve(result);
    };
    // Kept after settling: an 'error' event without a listener would throw.
    child.on('error', (error: NodeJS.ErrnoException) =>
      settle({
        opened: false,
        reason: error.code === 'ENOENT' ? `${program} is not installed` : `${program} did not start: ${error.message}`,
      }),
    );
    child.once('spawn', () => {
      timer = setTimeout(() => settle({ opened: true }), options.graceMs ?? OPENER_GRACE_MS);
    });
    child.once('exit', (code, signal) => {
      // explorer.exe exits with 1 even when it opened the folder.
      if (code === 0 || (platform === 'win32' && signal === null)) settle({ opened: true });
      else
        settle({
          opened: false,
          reason: `${program} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`,
        });
    });
  });
}

/**
 * Opens a folder (or file) for the user with the desktop's opener. When it cannot, the user is
 * told why and which path to open themselves, and the answer is false.
 */
export async function openOnDesktop(
  path: string,
  tell: (message: string) => void,
  options: LaunchOptions = {},
): Promise<boolean> {
  const program = desktopOpener(options.platform ?? process.platform);
  const result = await launchDetached(program, path, options);
  if (!result.opened) tell(`Could not open ${path}: ${result.reason}. Open it yourself in a file manager.`);
  return result.opened;
}
