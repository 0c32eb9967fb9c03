/**
 * The two ways the hand-off's admin step runs: Podman Desktop's `process.exec` with isAdmin (its
 * RunError's exit code is the script's), and child processes for the CLI (the program that asks
 * for the rights, chosen for the situation, and the purpose told before any prompt).
 */

import { describe, expect, test } from 'vitest';

import { pdAdminRunner } from '../../../src/pd/admin-runner';
import { adminArgv, processAdminRunner } from '../../../src/platform/admin';

const which = (found: string[]) => (name: string) => (found.includes(name) ? `/usr/bin/${name}` : undefined);

describe('adminArgv', () => {
  test('root runs it directly; a terminal gets sudo with its prompt; a desktop pkexec; else sudo -n', () => {
    const env = { PATH: '/usr/bin' };
    expect(adminArgv('/bin/sh', ['x'], env, which(['sudo', 'pkexec']), { uid: 0, platform: 'linux' })).toEqual([
      '/bin/sh',
      ['x'],
    ]);
    expect(
      adminArgv('/bin/sh', ['x'], env, which(['sudo', 'pkexec']), { uid: 1000, platform: 'linux', interactive: true }),
    ).toEqual(['/usr/bin/sudo', ['/bin/sh', 'x']]);
    expect(
      adminArgv('/bin/sh', ['x'], { ...env, WAYLAND_DISPLAY: 'wayland-0' }, which(['sudo', 'pkexec']), {
        uid: 1000,
        platform: 'linux',
      }),
    ).toEqual(['/usr/bin/pkexec', ['/bin/sh', 'x']]);
    expect(adminArgv('/bin/sh', ['x'], env, which(['sudo', 'pkexec']), { uid: 1000, platform: 'linux' })).toEqual([
      '/usr/bin/sudo',
      ['-n', '/bin/sh', 'x'],
    ]);
  });

  test('nothing that can ask, or not Linux: it says what to do', () => {
    expect(() => adminArgv('/bin/sh', [], {}, which([]), { uid: 1000, platform: 'linux' })).toThrow(
      /neither pkexec \(with a graphical session\) nor sudo is available/,
    );
    expect(() => adminArgv('/bin/sh', [], {}, which(['sudo']), { uid: 501, platform: 'darwin' })).toThrow(
      /cannot ask for administrator rights on darwin/,
    );
  });
});

describe('processAdminRunner', () => {
  test('runs the command, streams both outputs and resolves with its exit code; the purpose is told first', async () => {
    const told: string[] = [];
    const runner = processAdminRunner(message => told.push(message), { uid: 0, platform: 'linux' });
    let output = '';
    const code = await runner.run(['/bin/sh', '-c', 'echo out; echo err >&2; exit 7'], text => (output += text), 'why');
    expect(code).toBe(7);
    expect(output).toContain('out\n');
    expect(output).toContain('err\n');
    // Root is not asked anything, so there is nothing to explain.
    expect(told).toEqual([]);
  });

  test('a program that cannot start rejects, naming it', async () => {
    const runner = processAdminRunner(() => undefined, { uid: 0, platform: 'linux' });
    await expect(runner.run(['/no/such/program'], () => undefined)).rejects.toThrow(
      /could not run \/no\/such\/program/,
    );
  });
});

describe('pdAdminRunner', () => {
  test('asks Podman Desktop for an admin exec with a logger; a RunError gives its exit code back', async () => {
    const calls: { command: string; args: string[] | undefined; isAdmin?: boolean }[] = [];
    const exec = async (
      command: string,
      args?: string[],
      options?: { isAdmin?: boolean; logger?: { log(...data: unknown[]): void } },
    ) => {
      calls.push({ command, args, isAdmin: options?.isAdmin });
      options?.logger?.log('bootc-studio: copying\n');
      if (args?.[0] === 'fail') throw Object.assign(new Error('Command failed'), { exitCode: 3 });
      if (args?.[0] === 'broken') throw new Error('pkexec is missing');
      return { command, stdout: '', stderr: '' };
    };
    const runner = pdAdminRunner({ exec } as never);
    let output = '';
    expect(await runner.run(['/bin/sh', 'ok'], text => (output += text))).toBe(0);
    expect(calls[0]).toEqual({ command: '/bin/sh', args: ['ok'], isAdmin: true });
    expect(output).toBe('bootc-studio: copying\n');
    expect(await runner.run(['/bin/sh', 'fail'], () => undefined)).toBe(3);
    await expect(runner.run(['/bin/sh', 'broken'], () => undefined)).rejects.toThrow(/pkexec is missing/);
  });
});
