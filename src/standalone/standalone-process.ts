import { adminArgv } from '../platform/admin';
import { ProcessStartError, runProcess } from '../platform/process';
import type { CancellationToken } from './pd-primitives';

/** How much of each output `exec` keeps (its end); Podman Desktop keeps all of it. */
const CAPTURE_CHARS = 16 * 1024 * 1024;

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  isAdmin?: boolean;
  token?: CancellationToken;
  logger?: { log(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };
  encoding?: BufferEncoding;
}

export interface ExecResult {
  command: string;
  stdout: string;
  stderr: string;
}

/** What `process.exec` rejects with, as Podman Desktop's RunError: the exit code and both outputs. */
export class RunError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly command: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly cancelled: boolean,
    readonly killed: boolean,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/**
 * `process.exec` of the API: argv, never a shell; stdout/stderr trimmed; a non-zero exit rejects
 * with RunError; a cancelled token stops the process (SIGTERM, then SIGKILL). `isAdmin` runs the command as root: directly
 * when already root, else through `pkexec` when a graphical session can answer its prompt, else
 * `sudo -n` (which only works without a password prompt) — otherwise it fails and says so.
 */
export async function exec(
  command: string,
  args: string[] = [],
  options: ExecOptions = {},
  env = process.env,
): Promise<ExecResult> {
  const [file, argv] = options.isAdmin ? adminArgv(command, args, env) : [command, args];
  const printable = [file, ...argv].join(' ');
  const controller = new AbortController();
  const subscription = options.token?.onCancellationRequested(() => controller.abort());
  if (options.token?.isCancellationRequested) controller.abort();
  // Podman Desktop's logger gets the output as it comes, line ends included.
  const logger = options.logger;
  try {
    const result = await runProcess([file, ...argv], {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      cleanEnv: true,
      capture: CAPTURE_CHARS,
      signal: controller.signal,
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(logger ? { onStdout: line => logger.log(`${line}\n`), onStderr: line => logger.warn(`${line}\n`) } : {}),
    }).catch((error: unknown) => {
      if (!(error instanceof ProcessStartError)) throw error;
      throw new RunError(`Failed to run ${file}: ${error.cause.message}`, -1, printable, '', '', false, false);
    });
    const stdout = (result.stdout ?? '').trim();
    const stderr = (result.stderr ?? '').trim();
    if (result.code === 0) return { command: printable, stdout, stderr };
    const cancelled = result.stopped === 'aborted';
    const reason = cancelled
      ? 'was cancelled'
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.code}`;
    // A process ended by a signal has no exit code of its own: -1, as before.
    const exitCode = result.signal ? -1 : result.code;
    throw new RunError(`Command ${file} ${reason}`, exitCode, printable, stdout, stderr, cancelled, !!result.signal);
  } finally {
    subscription?.dispose();
  }
}
