import { spawn } from 'node:child_process';

import { adminArgv } from '../platform/admin';
import type { CancellationToken } from './pd-primitives';

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
 * with RunError; a cancelled token kills the process. `isAdmin` runs the command as root: directly
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
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    let stdout = '';
    let stderr = '';
    let cancelled = false;
    child.stdout.setEncoding(options.encoding ?? 'utf8');
    child.stderr.setEncoding(options.encoding ?? 'utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      options.logger?.log(chunk);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      options.logger?.warn(chunk);
    });
    const subscription = options.token?.onCancellationRequested(() => {
      cancelled = true;
      child.kill('SIGTERM');
    });
    child.on('error', err => {
      subscription?.dispose();
      reject(
        new RunError(
          `Failed to run ${file}: ${err.message}`,
          -1,
          printable,
          stdout.trim(),
          stderr.trim(),
          cancelled,
          false,
        ),
      );
    });
    child.on('close', (code, signal) => {
      subscription?.dispose();
      if (code === 0) return resolve({ command: printable, stdout: stdout.trim(), stderr: stderr.trim() });
      const reason = cancelled ? 'was cancelled' : signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(
        new RunError(
          `Command ${file} ${reason}`,
          code ?? -1,
          printable,
          stdout.trim(),
          stderr.trim(),
          cancelled,
          signal !== null,
        ),
      );
    });
  });
}
