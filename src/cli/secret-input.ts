/**
 * Secrets the CLI reads instead of taking them in argv (where every local user can read them in
 * /proc/<pid>/cmdline): typed on the terminal without echo, or one per line on standard input.
 */

import type { BuildUser } from '../api/disk-build';
import type { CliIo } from './cli-context';
import { UsageError } from './cli-context';

/** The password `--user NAME:-` gives: ask for it rather than take it from the command line. */
export const ASK_PASSWORD = '-';

export type SecretInput = NodeJS.ReadableStream & { setRawMode?(raw: boolean): unknown };

/**
 * A line typed on the terminal without echo: Enter ends it, Backspace takes a character back, Ctrl-C
 * and Ctrl-D give up (an error). The terminal is back in its mode after.
 */
export function readSecret(
  stdin: SecretInput,
  prompt: { write(text: string): unknown },
  question: string,
): Promise<string> {
  prompt.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      prompt.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003' || char === '\u0004') return done(new Error('no password typed'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ') typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * Fills in the password of every user whose password is ASK_PASSWORD (`--user NAME:-`): on a
 * terminal it is typed twice without echo; otherwise standard input gives one line per such user, in
 * the order of the flags (`printf '%s\n' "$PW" | bootc-studio disk build … --user demo:-`).
 */
export async function askBuildPasswords(users: BuildUser[], io: CliIo): Promise<void> {
  const asking = users.filter(user => user.password === ASK_PASSWORD);
  if (asking.length === 0) return;
  const stdin = io.stdin;
  if (!stdin) throw new UsageError(`--user ${asking[0].name}:-: there is no standard input to read the password from`);
  if (stdin.isTTY && stdin.setRawMode) {
    for (const user of asking) {
      const first = await readSecret(stdin, io.stderr, `Password for user ${user.name}: `);
      const again = await readSecret(stdin, io.stderr, `The same password again: `);
      if (first !== again) throw new UsageError(`--user ${user.name}:-: the two passwords typed differ`);
      user.password = first;
    }
    return;
  }
  const lines = (await readAll(stdin)).split('\n');
  asking.forEach((user, index) => {
    const line = lines[index]?.replace(/\r$/, '');
    if (!line) {
      throw new UsageError(
        `--user ${user.name}:-: standard input has no password for this user (one line per --user NAME:-, in order)`,
      );
    }
    user.password = line;
  });
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
