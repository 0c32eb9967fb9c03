/**
 * Running the real tools the integration tests need (podman, tar, busybox…): argv arrays only,
 * never a shell string, and failures that say what ran and what it printed.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

import { findExecutable as findOnPath } from '../../../src/platform/executables';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed. Without it stdin is empty. */
  input?: string | Buffer;
  /** Kill the process (SIGKILL) after this many ms and reject. Default 5 minutes. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A process that could not start, exited non-zero, was killed or timed out. */
export class ProcessError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

/** Runs `command` with `args` (no shell) and resolves with its output when it exits 0. */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // the process may exit without reading its input
    child.stdin.end(options.input);

    const shown = describeCommand(command, args);
    child.on('error', error => {
      clearTimeout(timer);
      reject(new ProcessError(`Could not run ${shown}: ${error.message}`, command, args, null, '', ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (code === 0) {
        resolve({ stdout: out, stderr: err });
        return;
      }
      const why = timedOut
        ? `timed out after ${timeoutMs} ms`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code}`;
      const detail = tail(err) || tail(out);
      reject(new ProcessError(`${shown} ${why}${detail ? `:\n${detail}` : ''}`, command, args, code, out, err));
    });
  });
}

/** The absolute path of an executable on PATH (or in /usr/sbin, /sbin), or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  return findOnPath(name, path, ['/usr/sbin', '/sbin']);
}

/**
 * The path of a tool the tests cannot do without. A missing tool is a failure, not a skip: on the
 * machines that run these tests the tool can be installed, and a skip would hide that it was not.
 */
export function requireExecutable(name: string, aptPackages: string): string {
  const found = findExecutable(name);
  if (!found) {
    throw new Error(
      `${name} is not installed (not found on PATH). The integration tests need it: ` +
        `apt-get install -y --no-install-recommends ${aptPackages} (see .ci/run).`,
    );
  }
  return found;
}

function describeCommand(command: string, args: readonly string[]): string {
  const shown = [command, ...args].map(arg => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
  return shown.length > 400 ? `${shown.slice(0, 400)}…` : shown;
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Ends a child the test started: SIGTERM, then SIGKILL when it is still there after `graceMs`.
 * Resolves once it has exited; at once when it already had.
 */
export async function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  child.kill('SIGTERM');
  const gone = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited;
  }
}
