import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { buildShellScript, shellCommand, shellQuote } from '../../../src/platform/shell-quote';

const HOSTILE = [
  '',
  ' ',
  'plain',
  'two words',
  "it's",
  "''",
  "'\\''",
  '"double"',
  '$(id)',
  '`id`',
  '${HOME}',
  '$HOME',
  '$1 $@ $* $$ $? $!',
  'line1\nline2',
  '\n',
  'trailing newline\n',
  'tab\there',
  'carriage\rreturn',
  '*',
  '?',
  '[a-z]*',
  '~',
  '~root/x',
  '=cmd',
  'a;b',
  'a|b',
  'a&b',
  'a&&b||c',
  '>out',
  '<in',
  '2>&1',
  '(sub)',
  '{a,b}',
  '!event',
  '#comment',
  '\\backslash\\',
  '-n',
  '--',
  'ünïcödé ✓ 日本語 🚀',
  '\u0001\u001b[31mred\u007f',
  'mixed \'single\' "double" $(cmd) `tick` ; | & * ? ~ \n end',
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'builds-shell-quote-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the script as `sh <file>` (how the admin step runs it) and returns stdout as bytes. */
function runScript(script: string): Buffer {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script, { mode: 0o700 });
  return execFileSync('sh', [file]);
}

describe('shellQuote', () => {
  test('plain words stay readable; everything else is single-quoted', () => {
    expect(shellQuote('podman')).toBe('podman');
    expect(shellQuote('/var/lib/containers/storage:/var/lib/containers/storage:ro')).toBe(
      '/var/lib/containers/storage:/var/lib/containers/storage:ro',
    );
    expect(shellQuote('label=type:unconfined_t')).toBe('label=type:unconfined_t');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('=cmd')).toBe("'=cmd'");
    expect(shellQuote('~')).toBe("'~'");
  });

  test('a NUL cannot be passed at all', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  test('every hostile argument comes back byte-identical through sh', () => {
    // printf '%s\0' keeps newlines inside arguments intact; NUL separates them.
    const script = buildShellScript([['printf', '%s\\0', ...HOSTILE]]);
    const out = runScript(script);
    const words = out.toString('utf8').split('\0').slice(0, -1);
    expect(words).toEqual(HOSTILE);
  });

  test.each(HOSTILE.map(arg => [JSON.stringify(arg), arg]))('%s alone, with printf %%s\\n', (_name, arg) => {
    const out = runScript(buildShellScript([['printf', '%s\\n', arg]]));
    expect(out.equals(Buffer.from(`${arg}\n`, 'utf8'))).toBe(true);
  });

  test('nothing in the arguments is executed or expanded', () => {
    const marker = join(dir, 'pwned');
    const attacks = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      `' ; touch ${marker} ; '`,
      `\n touch ${marker}`,
    ];
    runScript(buildShellScript([['printf', '%s\\n', ...attacks]]));
    expect(existsSync(marker)).toBe(false);
  });

  test('shellCommand joins quoted words', () => {
    expect(shellCommand(['podman', 'load', '--input', '/tmp/a b.tar'])).toBe("podman load --input '/tmp/a b.tar'");
    expect(() => shellCommand([])).toThrow();
  });
});

describe('buildShellScript', () => {
  test('stops at the first failure with its exit status (set -eu)', () => {
    const script = buildShellScript([
      ['printf', 'one\\n'],
      ['sh', '-c', 'exit 3'],
      ['printf', 'never\\n'],
    ]);
    expect(script.split('\n').slice(0, 2)).toEqual(['#!/bin/sh', 'set -eu']);
    const file = join(dir, 'fails.sh');
    writeFileSync(file, script, { mode: 0o700 });
    const result = spawnSync('sh', [file], { encoding: 'utf8' });
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('one\n');
  });

  test('redirects output to files, quoted too', () => {
    const log = join(dir, "build log 'x'.txt");
    const script = buildShellScript([
      { argv: ['printf', '%s\\n', 'first'], stdout: { path: log } },
      { argv: ['sh', '-c', 'echo out; echo err >&2'], stdout: { path: log, append: true }, stderr: 'stdout' },
    ]);
    runScript(script);
    expect(execFileSync('cat', [log], { encoding: 'utf8' })).toBe('first\nout\nerr\n');
  });

  test('the exit trap runs on success and on failure, and keeps the failure status', () => {
    const leftover = join(dir, 'image archive $(x).tar');
    const onExit = [
      ['rm', '-f', leftover],
      ['sh', '-c', 'exit 1'],
      ['printf', 'cleaned\\n'],
    ];
    for (const failing of [false, true]) {
      writeFileSync(leftover, 'x');
      const commands = [['printf', 'work\\n'], ...(failing ? [['sh', '-c', 'exit 7']] : [])];
      const file = join(dir, 'trap.sh');
      writeFileSync(file, buildShellScript(commands, { onExit }), { mode: 0o700 });
      const result = spawnSync('sh', [file], { encoding: 'utf8' });
      expect(existsSync(leftover)).toBe(false);
      expect(result.stdout).toBe('work\ncleaned\n');
      expect(result.status).toBe(failing ? 7 : 0);
    }
  });

  test('the exit trap also runs when the script is terminated', async () => {
    const leftover = join(dir, 'terminated.tar');
    writeFileSync(leftover, 'x');
    const file = join(dir, 'terminated.sh');
    writeFileSync(
      file,
      buildShellScript(
        [
          ['sleep', '1'],
          ['printf', 'never\\n'],
        ],
        { onExit: [['rm', '-f', leftover]] },
      ),
      {
        mode: 0o700,
      },
    );
    const child = spawn('sh', [file], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    await new Promise(resolve => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(143);
    expect(stdout).toBe('');
    expect(existsSync(leftover)).toBe(false);
  });
});
