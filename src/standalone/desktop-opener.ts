import { ProcessStartError, startProcess } from '../platform/process';

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
export async function launchDetached(program: string, path: string, options: LaunchOptions = {}): Promise<OpenResult> {
  const platform = options.platform ?? process.platform;
  const opener = startProcess([program, path], {
    detached: true,
    ...(options.env ? { env: options.env, cleanEnv: true } : {}),
  });
  try {
    await opener.started;
  } catch (error: unknown) {
    // Not installed, or a path Node refuses to pass (a NUL byte, say): it never reached the program.
    const reason = error instanceof ProcessStartError ? error.cause.message : String(error);
    const notInstalled = error instanceof ProcessStartError && error.errno === 'ENOENT';
    return {
      opened: false,
      reason: notInstalled ? `${program} is not installed` : `${program} did not start: ${reason}`,
    };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<undefined>(
    resolve => (timer = setTimeout(() => resolve(undefined), options.graceMs ?? OPENER_GRACE_MS)),
  );
  const result = await Promise.race([opener.result, grace]);
  clearTimeout(timer);
  // Whatever it does next, standalone mode does not wait for it.
  opener.unref();
  if (!result) return { opened: true };
  // explorer.exe exits with 1 even when it opened the folder.
  if (result.code === 0 || (platform === 'win32' && !result.signal)) return { opened: true };
  const reason = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  return { opened: false, reason: `${program} ${reason}` };
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
