/**
 * The one place where arguments become shell text: the admin script of the Linux hand-off (run by
 * pkexec as `sh <file>`) and the `podman run …` line the preview shows for pasting. POSIX sh rules.
 */

/**
 * Words that need no quotes in sh, bash or zsh: no `~`, globs, `!` or expansions, and no `=` first
 * (zsh expands `=cmd`); `key=value` stays readable.
 */
const PLAIN = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+:,./=-]*$/;

/**
 * `arg` as one sh word that expands to exactly `arg`: inside single quotes nothing is special, and a
 * single quote is written as `'\''` (close, escaped quote, reopen). A NUL cannot be in an argument at all.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain a NUL character');
  if (PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line of quoted words. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a command needs at least the program');
  return argv.map(shellQuote).join(' ');
}

export interface Redirect {
  path: string;
  /** `>>` instead of `>`. */
  append?: boolean;
}

/** A command of a script: argv, optionally with its output sent to a file. */
export type ScriptCommand =
  | readonly string[]
  | {
      argv: readonly string[];
      stdout?: Redirect;
      /** `'stdout'`: `2>&1` (after the stdout redirect), or a file of its own. */
      stderr?: 'stdout' | Redirect;
    };

function redirect(fd: '' | '2', target: Redirect): string {
  return `${fd}${target.append ? '>>' : '>'} ${shellQuote(target.path)}`;
}

export function scriptLine(command: ScriptCommand): string {
  if (Array.isArray(command)) return shellCommand(command);
  const { argv, stdout, stderr } = command as Exclude<ScriptCommand, readonly string[]>;
  const parts = [shellCommand(argv)];
  if (stdout) parts.push(redirect('', stdout));
  if (stderr === 'stdout') parts.push('2>&1');
  else if (stderr) parts.push(redirect('2', stderr));
  return parts.join(' ');
}

export interface ShellScriptOptions {
  /** Run when the script ends, however it ends (success, failure, HUP/INT/TERM): e.g. removing a temporary archive. */
  onExit?: readonly ScriptCommand[];
}

/**
 * A POSIX sh script running `commands` in order and stopping at the first failure (`set -eu`), its
 * exit status the failing command's. Every argument goes through shellQuote; nothing else is interpolated.
 */
export function buildShellScript(commands: readonly ScriptCommand[], options: ShellScriptOptions = {}): string {
  const lines = ['#!/bin/sh', 'set -eu'];
  if (options.onExit && options.onExit.length > 0) {
    // The trap body is itself one quoted word; `|| :` keeps one failed cleanup from skipping the rest.
    const body = options.onExit.map(command => `${scriptLine(command)} || :`).join('; ');
    lines.push(`trap ${shellQuote(body)} EXIT`);
    // A signal would end sh without the EXIT trap: exit explicitly (with the shell's usual status) so it runs.
    lines.push("trap 'exit 129' HUP", "trap 'exit 130' INT", "trap 'exit 143' TERM");
  }
  lines.push(...commands.map(scriptLine));
  return `${lines.join('\n')}\n`;
}

const VARIABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** `name='value'`: a shell variable holding exactly `value`. Names are lower-case identifiers only. */
export function shellAssign(name: string, value: string): string {
  if (!VARIABLE_NAME.test(name)) throw new Error(`not a shell variable name: ${name}`);
  return `${name}=${shellQuote(value)}`;
}
