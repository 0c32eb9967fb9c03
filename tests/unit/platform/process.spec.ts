/**
 * platform/process.ts, the one way processes are run: with real short processes (node -e, sleep, sh)
 * — lines streamed across chunk boundaries, the time limit's SIGTERM then SIGKILL, abort, exit
 * statuses from signals, a clean environment, and argv that no shell ever interprets.
 */

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import {
  LineSplitter,
  ProcessStartError,
  processesWithArgument,
  processHasArgument,
  runProcess,
  signalExitCode,
  startProcess,
} from '../../../src/platform/process';

const node = process.execPath;
/** `node -e script`: a child that runs `script`. */
const nodeScript = (script: string, ...args: string[]) => [node, '-e', script, ...args];

/** A child that ignores SIGTERM and says so once its handler is in place. */
const TRAPS_SIGTERM = nodeScript(
  "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready'); setInterval(() => {}, 1000);",
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'platform-process-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LineSplitter', () => {
  test('a line split across chunks comes whole; \\n and \\r\\n end lines, also split between chunks', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('one\ntw')).toEqual(['one']);
    expect(splitter.push('o')).toEqual([]);
    expect(splitter.push('\r')).toEqual([]);
    expect(splitter.push('\nthree\r\n\nfour')).toEqual(['two', 'three', '']);
    expect(splitter.end()).toEqual(['four']);
    expect(splitter.end()).toEqual([]);
  });

  test('a line that never ends is handed on in pieces', () => {
    const splitter = new LineSplitter(4);
    expect(splitter.push('abcdefghij')).toEqual(['abcd', 'efgh']);
    expect(splitter.push('\n')).toEqual(['ij']);
  });
});

describe('runProcess', () => {
  test('streams stdout and stderr by line, even when a line is written in several pieces', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const result = await runProcess(
      nodeScript(`
        const out = (text) => new Promise(resolve => process.stdout.write(text, resolve));
        const pause = () => new Promise(resolve => setTimeout(resolve, 30));
        (async () => {
          await out('first li'); await pause();
          await out('ne\\nsecond\\r\\nthi'); await pause();
          await out('rd without a line end');
          process.stderr.write('an error\\n');
        })();
      `),
      { onStdout: line => stdout.push(line), onStderr: line => stderr.push(line) },
    );
    expect(result).toEqual({ code: 0 });
    expect(stdout).toEqual(['first line', 'second', 'third without a line end']);
    expect(stderr).toEqual(['an error']);
  });

  test('argv with spaces, quotes and shell syntax reaches the program as it is, never through a shell', async () => {
    const words = ['a b', `it's "quoted"`, '$(touch pwned)', '`id`', '; rm -rf /', '*', '~', '$HOME', ''];
    const result = await runProcess(nodeScript('console.log(JSON.stringify(process.argv.slice(1)))', ...words), {
      cwd: dir,
      capture: true,
    });
    expect(JSON.parse(result.stdout ?? '')).toEqual(words);
    expect(result.code).toBe(0);
    const listing = await runProcess(['ls', '-A', dir], { capture: true });
    expect(listing.stdout).toBe('');
  });

  test('a non-zero exit is the result, with both outputs captured', async () => {
    const result = await runProcess(['sh', '-c', 'echo out; echo err >&2; exit 3'], { capture: true });
    expect(result).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  test('the capture keeps the end of a long output, and says some was dropped', async () => {
    const result = await runProcess(nodeScript("process.stdout.write('x'.repeat(10000) + 'the end')"), {
      capture: 100,
    });
    expect(result.stdout).toHaveLength(100);
    expect(result.stdout?.endsWith('the end')).toBe(true);
    expect(result.truncated).toBe(true);
  });

  test('a clean environment holds only what is passed; otherwise env is laid over this one', async () => {
    const printEnv = nodeScript('console.log(JSON.stringify(process.env))');
    const clean = await runProcess(printEnv, { env: { ONLY: 'this' }, cleanEnv: true, capture: true });
    expect(JSON.parse(clean.stdout ?? '')).toEqual({ ONLY: 'this' });

    const inherited = await runProcess(printEnv, { env: { ALSO: 'that' }, capture: true });
    const env = JSON.parse(inherited.stdout ?? '') as Record<string, string>;
    expect(env.ALSO).toBe('that');
    expect(env.PATH).toBe(process.env.PATH);
  });

  test('a signal is reported as the shell would: 128 + its number', async () => {
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGKILL')).toBe(137);
    expect(signalExitCode('SIGINT')).toBe(130);
    const result = await runProcess(['sh', '-c', 'kill -INT $$; sleep 5']);
    expect(result).toEqual({ code: 130, signal: 'SIGINT' });
  });

  test('the time limit stops the process: SIGTERM first', async () => {
    const started = Date.now();
    const result = await runProcess(['sleep', '30'], { timeoutMs: 100 });
    expect(result).toEqual({ code: 143, signal: 'SIGTERM', stopped: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a child that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    // The time limit leaves the child time to install its handler; its line proves SIGTERM came first.
    const lines: string[] = [];
    const result = await runProcess(TRAPS_SIGTERM, {
      timeoutMs: 1000,
      graceMs: 300,
      onStdout: line => lines.push(line),
    });
    expect(result).toEqual({ code: 137, signal: 'SIGKILL', stopped: 'timeout' });
    expect(lines).toEqual(['ready', 'ignoring SIGTERM']);

    // stop() escalates the same way, and a stop of an ended process just answers its result.
    const stdout: string[] = [];
    const running = startProcess(TRAPS_SIGTERM, { onStdout: line => stdout.push(line), graceMs: 300 });
    await expect.poll(() => stdout).toContain('ready');
    const stopped = await running.stop();
    expect(stdout).toEqual(['ready', 'ignoring SIGTERM']);
    expect(stopped).toEqual({ code: 137, signal: 'SIGKILL', stopped: 'stopped' });
    expect(running.exitCode).toBe(137);
    await expect(running.stop()).resolves.toEqual(stopped);
  });

  test('a grace period of 0 kills at once', async () => {
    const result = await runProcess(['sleep', '30'], { timeoutMs: 100, graceMs: 0 });
    expect(result).toEqual({ code: 137, signal: 'SIGKILL', stopped: 'timeout' });
  });

  test('an AbortSignal stops the process; one aborted before the start stops it at once', async () => {
    const controller = new AbortController();
    const running = runProcess(['sleep', '30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(running).resolves.toEqual({ code: 143, signal: 'SIGTERM', stopped: 'aborted' });

    const started = Date.now();
    const result = await runProcess(['sleep', '30'], { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ signal: 'SIGTERM', stopped: 'aborted' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a process that ends in time is not stopped, and its time limit does not keep anything waiting', async () => {
    const controller = new AbortController();
    const result = await runProcess(['true'], { timeoutMs: 60_000, signal: controller.signal });
    expect(result).toEqual({ code: 0 });
    controller.abort();
  });

  test('a program that cannot be started rejects with a ProcessStartError naming it', async () => {
    const running = startProcess(['/no/such/program', 'x']);
    await expect(running.started).rejects.toThrow('could not run /no/such/program');
    const error = await running.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessStartError);
    expect(error).toMatchObject({ program: '/no/such/program', errno: 'ENOENT' });

    // An argument Node refuses (a NUL byte) never reaches a program either.
    await expect(runProcess(['echo', 'a\0b'])).rejects.toBeInstanceOf(ProcessStartError);
    expect(() => startProcess([])).toThrow('a process needs at least the program');
  });

  test('started resolves once the program runs; the pid is known', async () => {
    const running = startProcess(['sleep', '30']);
    await running.started;
    expect(running.pid).toBeGreaterThan(0);
    expect(running.exitCode).toBeUndefined();
    await expect(running.stop()).resolves.toMatchObject({ code: 143, stopped: 'stopped' });
  });
});

describe('detached', () => {
  test('a detached, unref’d process outlives the one that started it, which exits at once', async () => {
    // process.ts imports only Node's own modules: transpiled, a plain node child can load it.
    const source = readFileSync(join(import.meta.dirname, '../../../src/platform/process.ts'), 'utf8');
    const module = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, 'process.mjs'), module.outputText);
    const started = Date.now();
    const parent = await runProcess(
      nodeScript(
        `import(${JSON.stringify(join(dir, 'process.mjs'))}).then(({ startProcess }) => {
          const child = startProcess(['sleep', '30'], { detached: true });
          child.unref();
          child.started.then(() => console.log(child.pid));
        });`,
      ),
      { capture: true, timeoutMs: 10_000 },
    );
    expect(parent).toMatchObject({ code: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(parent.stdout?.trim());
    // Still running (signal 0 only asks), then ended by the test.
    expect(() => process.kill(pid, 0)).not.toThrow();
    process.kill(pid, 'SIGKILL');
  });

  test('with an output file, what a detached child writes after its parent exited is kept there (0600)', async () => {
    const source = readFileSync(join(import.meta.dirname, '../../../src/platform/process.ts'), 'utf8');
    const module = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, 'process.mjs'), module.outputText);
    const output = join(dir, 'daemon.log');
    const parent = await runProcess(
      nodeScript(
        `import(${JSON.stringify(join(dir, 'process.mjs'))}).then(({ startProcess }) => {
          const child = startProcess(['sh', '-c', 'echo before; sleep 1; echo after >&2'], { detached: true, outputFile: ${JSON.stringify(output)} });
          child.unref();
        });`,
      ),
      { capture: true, timeoutMs: 10_000 },
    );
    expect(parent).toMatchObject({ code: 0 });
    await vi.waitFor(() => expect(readFileSync(output, 'utf8')).toBe('before\nafter\n'), {
      timeout: 5000,
      interval: 100,
    });
    expect(statSync(output).mode & 0o777).toBe(0o600);
  });

  test('an output file that cannot be opened is a start error naming the program', async () => {
    const running = startProcess(['true'], { outputFile: join(dir, 'missing', 'x.log') });
    await expect(running.started).rejects.toThrow(ProcessStartError);
    await expect(running.result).rejects.toThrow(/could not run true: ENOENT/);
  });
});

describe('processesWithArgument', () => {
  test('finds a live process by one of its arguments, exactly (not a prefix), and not once it has ended', async () => {
    const socket = join(dir, 'qmp.sock');
    const child = startProcess(nodeScript('setInterval(() => {}, 1000);', `unix:${socket},server=on`), {});
    await child.started;
    expect(await processesWithArgument(`unix:${socket},server=on`)).toEqual([child.pid]);
    expect(await processesWithArgument(`unix:${socket}`)).toEqual([]);
    await child.stop();
    expect(await processesWithArgument(`unix:${socket},server=on`)).toEqual([]);
  });
});

describe('processHasArgument', () => {
  test('says whether that pid runs with the argument, exactly; an ended process has none', async () => {
    const socket = join(dir, 'qmp.sock');
    const child = startProcess(nodeScript('setInterval(() => {}, 1000);', `unix:${socket},server=on`), {});
    await child.started;
    const pid = child.pid as number;
    expect(await processHasArgument(pid, `unix:${socket},server=on`)).toBe(true);
    expect(await processHasArgument(pid, `unix:${socket}`)).toBe(false);
    expect(await processHasArgument(process.pid, `unix:${socket},server=on`)).toBe(false);
    await child.stop();
    expect(await processHasArgument(pid, `unix:${socket},server=on`)).toBe(false);
  });
});
