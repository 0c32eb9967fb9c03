/**
 * The one way Bootc Studio runs a process: an argv array (never a shell string), its output
 * streamed line by line, a time limit and an AbortSignal that stop it, and its end as one exit
 * status. Stopping is SIGTERM, then SIGKILL after a grace period; a process ended by signal n
 * reports 128 + n, as a shell would. Its environment is this process's with `env` laid over it, or
 * — with `cleanEnv` — only what is passed (a secret in our environment reaches no child that does
 * not need it). What is captured of its output is bounded: a chatty child cannot fill the memory.
 */

import type { ChildProcess, StdioOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';

/** How long a stopped process has between SIGTERM and SIGKILL, unless told otherwise. */
export const DEFAULT_GRACE_MS = 5000;
/** How much of each output stream `capture: true` keeps (its end: errors and results come last). */
export const DEFAULT_CAPTURE_CHARS = 1024 * 1024;
/** A line that never ends (a progress bar redrawn with \r) is handed on in pieces of this size. */
export const MAX_LINE_CHARS = 64 * 1024;
/**
 * How long the output may go on after the process exited: a grandchild that inherited the pipes
 * (a daemon it started) would otherwise keep them open, and the result would never come.
 */
const DRAIN_MS = 1000;

export interface ProcessOptions {
  cwd?: string;
  /** Variables laid over this process's environment — or, with `cleanEnv`, the child's whole environment. */
  env?: NodeJS.ProcessEnv;
  /** The child gets only `env`, nothing of this process's environment. */
  cleanEnv?: boolean;
  /** Each line of stdout, without its line ending, as it comes. */
  onStdout?: (line: string) => void;
  /** Each line of stderr, without its line ending, as it comes. */
  onStderr?: (line: string) => void;
  /** Keep the output in the result: `true` for the last DEFAULT_CAPTURE_CHARS of each stream, or a limit. */
  capture?: boolean | number;
  /** Stop the process (SIGTERM, then SIGKILL) when it runs longer than this. */
  timeoutMs?: number;
  /** Stop the process (SIGTERM, then SIGKILL) when this aborts. */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL when stopping; 0 sends SIGKILL at once. */
  graceMs?: number;
  /** In its own session and process group, so that it can outlive this process (see `unref`). */
  detached?: boolean;
  /**
   * Stdout and stderr appended to this file (created 0600) instead of read here: what a detached
   * daemon writes after this process is gone is kept. `onStdout`, `onStderr` and `capture` are ignored.
   */
  outputFile?: string;
  /** The child uses this process's terminal (stdin, stdout, stderr): an interactive program, e.g. ssh. */
  interactive?: boolean;
  encoding?: BufferEncoding;
}

/** Why this side stopped the process, when it did. */
export type StopReason = 'timeout' | 'aborted' | 'stopped';

export interface ProcessResult {
  /** The exit code; 128 + n when the process was ended by signal n. */
  code: number;
  /** The signal that ended the process, if one did. */
  signal?: NodeJS.Signals;
  /** Captured output (when `capture` was asked for): the end of it, when there was more than the limit. */
  stdout?: string;
  stderr?: string;
  /** Some captured output was dropped (its beginning). */
  truncated?: boolean;
  stopped?: StopReason;
}

/** The program could not be started at all (not found, not executable, an argument Node refuses). */
export class ProcessStartError extends Error {
  /** The system's error code, e.g. ENOENT. */
  readonly errno: string | undefined;

  constructor(
    readonly program: string,
    override readonly cause: Error,
  ) {
    super(`could not run ${program}: ${cause.message}`);
    this.name = 'ProcessStartError';
    this.errno = (cause as NodeJS.ErrnoException).code;
  }
}

export interface RunningProcess {
  readonly pid: number | undefined;
  /** Resolves once the program runs; rejects with a ProcessStartError when it could not be started. */
  readonly started: Promise<void>;
  /** Settles once it has exited and its output is read; rejects only with a ProcessStartError. */
  readonly result: Promise<ProcessResult>;
  /** The exit status (128 + n for signal n) once it has exited, even before its output is all read. */
  readonly exitCode: number | undefined;
  /** SIGTERM, then SIGKILL after the grace period; resolves with the result (at once when it has ended). */
  stop(): Promise<ProcessResult>;
  /** This process may exit while the child runs (with `detached`, the child goes on). */
  unref(): void;
}

/** Whether a process of this pid exists (EPERM: it does, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the live (not zombie) process `pid`, read from /proc, has `argument` among its arguments. */
async function procHasArgument(pid: string, argument: string): Promise<boolean> {
  const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!argv.split('\0').includes(argument)) return false;
  // A zombie (ended, not yet reaped by its parent) runs nothing.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/\) Z /.test(stat);
}

/** `ps` lines of pid and command; its command column joins the arguments with spaces. */
async function psCommands(pidArgs: string[]): Promise<Array<{ pid: number; command: string }>> {
  const listed = await runProcess(['ps', '-ww', ...pidArgs, '-o', 'pid=,command='], {
    capture: true,
    timeoutMs: 10_000,
  });
  return (listed.stdout ?? '')
    .split('\n')
    .map(line => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, pid, command]) => ({ pid: Number(pid), command: command as string }));
}

/** With `ps`, a match is an argument followed by a space or the end. */
const commandHas = (command: string, argument: string) => ` ${command} `.includes(` ${argument} `);

/**
 * The pids of the live processes one of whose arguments is exactly `argument` (a path only one
 * process uses: a VM's QMP socket), for a process started by someone who died before recording it.
 * Linux reads /proc; elsewhere `ps`.
 */
export async function processesWithArgument(argument: string): Promise<number[]> {
  if (process.platform === 'linux') {
    const pids: number[] = [];
    for (const entry of await readdir('/proc').catch(() => [] as string[])) {
      if (/^\d+$/.test(entry) && (await procHasArgument(entry, argument))) pids.push(Number(entry));
    }
    return pids;
  }
  return (await psCommands(['-ax'])).filter(({ command }) => commandHas(command, argument)).map(({ pid }) => pid);
}

/**
 * Whether the process `pid` runs with `argument` among its arguments: a recorded pid is still the
 * process it was (not a reused pid), asked of the system alone — never of the process, which a
 * loaded host may keep from answering.
 */
export async function processHasArgument(pid: number, argument: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (process.platform === 'linux') return procHasArgument(String(pid), argument);
  return (await psCommands(['-p', String(pid)])).some(
    listed => listed.pid === pid && commandHas(listed.command, argument),
  );
}

/** The exit status a shell reports for a process ended by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Cuts a stream of text into lines: `\n` or `\r\n` ends one (also across chunks), and a line
 * longer than `maxChars` is handed on in pieces rather than held.
 */
export class LineSplitter {
  #pending = '';

  constructor(readonly maxChars = MAX_LINE_CHARS) {}

  push(chunk: string): string[] {
    const parts = (this.#pending + chunk).split('\n');
    this.#pending = parts.pop() ?? '';
    const lines = parts.map(line => (line.endsWith('\r') ? line.slice(0, -1) : line));
    while (this.#pending.length > this.maxChars) {
      lines.push(this.#pending.slice(0, this.maxChars));
      this.#pending = this.#pending.slice(this.maxChars);
    }
    return lines;
  }

  /** The last line, when the text did not end with a line ending. */
  end(): string[] {
    const rest = this.#pending.endsWith('\r') ? this.#pending.slice(0, -1) : this.#pending;
    this.#pending = '';
    return rest.length > 0 ? [rest] : [];
  }
}

/** The end of a stream's text, at most `limit` characters of it. */
class Capture {
  #text = '';
  truncated = false;

  constructor(readonly limit: number) {}

  add(chunk: string): void {
    this.#text += chunk;
    // Trimmed only once it is twice the limit, so that a stream of small chunks is not copied each time.
    if (this.#text.length > 2 * this.limit) this.#trim();
  }

  text(): string {
    this.#trim();
    return this.#text;
  }

  #trim(): void {
    if (this.#text.length <= this.limit) return;
    this.#text = this.#text.slice(this.#text.length - this.limit);
    this.truncated = true;
  }
}

function captureLimit(capture: ProcessOptions['capture']): number | undefined {
  if (capture === true) return DEFAULT_CAPTURE_CHARS;
  return typeof capture === 'number' ? capture : undefined;
}

/** Reads one output stream: lines to `onLine`, text to the capture. */
function follow(
  stream: Readable | null,
  encoding: BufferEncoding,
  onLine: ((line: string) => void) | undefined,
  capture: Capture | undefined,
): void {
  if (!stream) return;
  const splitter = onLine ? new LineSplitter() : undefined;
  stream.setEncoding(encoding);
  stream.on('data', (chunk: string) => {
    capture?.add(chunk);
    if (splitter && onLine) for (const line of splitter.push(chunk)) onLine(line);
  });
  stream.on('end', () => {
    if (splitter && onLine) for (const line of splitter.end()) onLine(line);
  });
}

/** Starts `argv[0]` with the arguments `argv[1…]`, no shell in between. */
export function startProcess(argv: readonly string[], options: ProcessOptions = {}): RunningProcess {
  if (argv.length === 0) throw new Error('a process needs at least the program');
  const [program, ...args] = argv;
  const toFile = options.outputFile !== undefined;
  const limit = toFile ? undefined : captureLimit(options.capture);
  const captures = limit === undefined ? undefined : { stdout: new Capture(limit), stderr: new Capture(limit) };
  const pipe = (wanted: boolean) => (wanted ? 'pipe' : 'ignore');
  let outputFd: number | undefined;
  const env = options.cleanEnv ? { ...options.env } : { ...process.env, ...options.env };
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;

  let child: ChildProcess | undefined;
  let exitCode: number | undefined;
  let stopped: StopReason | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let timeLimit: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let markStarted!: () => void;
  let failStart!: (error: ProcessStartError) => void;
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve;
    failStart = reject;
  });
  let settle!: (result: ProcessResult) => void;
  let fail!: (error: ProcessStartError) => void;
  const result = new Promise<ProcessResult>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // Whoever does not look at one of them has not forgotten an error: both reject with the same one.
  started.catch(() => undefined);
  result.catch(() => undefined);

  const cleanUp = () => {
    clearTimeout(killTimer);
    clearTimeout(timeLimit);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  };
  const cannotStart = (error: Error) => {
    cleanUp();
    const startError = new ProcessStartError(program, error);
    failStart(startError);
    fail(startError);
  };
  const stop = (reason: StopReason) => {
    if (!child || exitCode !== undefined || stopped) return;
    stopped = reason;
    if (graceMs <= 0) {
      child.kill('SIGKILL');
      return;
    }
    child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      if (exitCode === undefined) child?.kill('SIGKILL');
    }, graceMs);
  };

  try {
    // An output file that cannot be opened is a start error, like a program that cannot be run.
    if (options.outputFile !== undefined) outputFd = openSync(options.outputFile, 'a', 0o600);
    const stdio: StdioOptions = options.interactive
      ? 'inherit'
      : outputFd !== undefined
        ? ['ignore', outputFd, outputFd]
        : ['ignore', pipe(Boolean(options.onStdout || captures)), pipe(Boolean(options.onStderr || captures))];
    child = spawn(program, args, { cwd: options.cwd, env, stdio, shell: false, detached: options.detached });
  } catch (error: unknown) {
    if (outputFd !== undefined) closeSync(outputFd);
    // An argument Node refuses to pass (a NUL byte, say): nothing was started.
    cannotStart(error instanceof Error ? error : new Error(String(error)));
    return {
      pid: undefined,
      started,
      result,
      exitCode: undefined,
      stop: () => result,
      unref: () => undefined,
    };
  }

  // The child has its own copy of the file's descriptor.
  if (outputFd !== undefined) closeSync(outputFd);
  const encoding = options.encoding ?? 'utf8';
  follow(child.stdout, encoding, options.onStdout, captures?.stdout);
  follow(child.stderr, encoding, options.onStderr, captures?.stderr);
  let spawned = false;
  child.once('spawn', () => {
    spawned = true;
    markStarted();
  });
  // After 'spawn', an 'error' is a failed kill: the process runs on and its end still comes.
  child.on('error', error => {
    if (!spawned) cannotStart(error);
  });
  child.once('exit', (code, signal) => {
    exitCode = signal ? signalExitCode(signal) : (code ?? 1);
    cleanUp();
    const drain = setTimeout(() => {
      child?.stdout?.destroy();
      child?.stderr?.destroy();
    }, DRAIN_MS);
    child?.once('close', () => {
      clearTimeout(drain);
      settle({
        code: exitCode ?? 1,
        ...(signal ? { signal } : {}),
        ...(captures
          ? {
              stdout: captures.stdout.text(),
              stderr: captures.stderr.text(),
              ...(captures.stdout.truncated || captures.stderr.truncated ? { truncated: true } : {}),
            }
          : {}),
        ...(stopped ? { stopped } : {}),
      });
    });
  });

  if (options.timeoutMs !== undefined) timeLimit = setTimeout(() => stop('timeout'), options.timeoutMs);
  if (options.signal) {
    onAbort = () => stop('aborted');
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  }

  const running = child;
  return {
    get pid() {
      return running.pid;
    },
    started,
    result,
    get exitCode() {
      return exitCode;
    },
    stop() {
      stop('stopped');
      return result;
    },
    unref() {
      running.unref();
    },
  };
}

/** Runs a process to its end: the result, or a ProcessStartError when it could not be started. */
export function runProcess(argv: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return startProcess(argv, options).result;
}
