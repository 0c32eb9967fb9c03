/**
 * Standalone mode's "open this folder": the desktop's opener started with an argv (no shell),
 * detached, and a message naming the path when the opener is missing or fails. Real processes:
 * a stand-in `xdg-open` script on a private PATH.
 */

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import { desktopOpener, launchDetached, openOnDesktop } from '../../../src/standalone/desktop-opener';

let dir: string;
let bin: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'desktop-opener-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in opener named `name` on the private PATH, running `body` (sh). */
function opener(name: string, body: string): void {
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

const linux = () => ({ platform: 'linux' as const, env: { PATH: bin }, graceMs: 2000 });

describe('desktop opener', () => {
  test('xdg-open on Linux (and the BSDs), open on macOS, explorer on Windows', () => {
    expect(desktopOpener('linux')).toBe('xdg-open');
    expect(desktopOpener('freebsd')).toBe('xdg-open');
    expect(desktopOpener('darwin')).toBe('open');
    expect(desktopOpener('win32')).toBe('explorer');
  });

  test('the path reaches the opener as one argument, never through a shell', async () => {
    const received = join(dir, 'argv');
    opener('xdg-open', `printf '%s\\n' "$#" "$1" > '${received}'`);
    const path = join(dir, 'my disks $(touch pwned); `id`');
    const tell = vi.fn();
    expect(await openOnDesktop(path, tell, linux())).toBe(true);
    expect(readFileSync(received, 'utf8')).toBe(`1\n${path}\n`);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(tell).not.toHaveBeenCalled();
  });

  test('a missing opener: the user is told which path to open themselves', async () => {
    const tell = vi.fn();
    expect(await openOnDesktop('/home/me/disks', tell, linux())).toBe(false);
    expect(tell).toHaveBeenCalledWith(
      'Could not open /home/me/disks: xdg-open is not installed. Open it yourself in a file manager.',
    );
  });

  test('an opener that fails (xdg-open with no method for the path): the user is told, naming the path', async () => {
    opener('xdg-open', 'echo "xdg-open: no method available" >&2; exit 3');
    const tell = vi.fn();
    expect(await openOnDesktop('/home/me/disks', tell, linux())).toBe(false);
    expect(tell).toHaveBeenCalledWith(
      'Could not open /home/me/disks: xdg-open exited with code 3. Open it yourself in a file manager.',
    );
  });

  test('an opener still running after the grace period (a file manager in the foreground) has opened it', async () => {
    const pidFile = join(dir, 'pid');
    opener('xdg-open', `echo $$ > '${pidFile}'; exec sleep 30`);
    const started = Date.now();
    const env = { PATH: `${bin}${delimiter}${process.env.PATH}` };
    expect(await launchDetached('xdg-open', '/home/me/disks', { platform: 'linux', env, graceMs: 200 })).toEqual({
      opened: true,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    // Detached: it goes on by itself; the test ends it.
    await vi.waitFor(() => expect(existsSync(pidFile)).toBe(true));
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
  });

  test('explorer.exe exits with 1 even when it opened the folder: not a failure on Windows', async () => {
    opener('explorer', 'exit 1');
    expect(await launchDetached('explorer', 'C:\\out', { platform: 'win32', env: { PATH: bin } })).toEqual({
      opened: true,
    });
    expect(await launchDetached('explorer', '/out', { platform: 'linux', env: { PATH: bin } })).toEqual({
      opened: false,
      reason: 'explorer exited with code 1',
    });
  });

  test('a path Node cannot pass on is refused without starting anything', async () => {
    const tell = vi.fn();
    expect(await openOnDesktop('/home/me/\0disks', tell, linux())).toBe(false);
    expect(tell.mock.calls[0][0]).toMatch(/^Could not open \/home\/me\/\0disks: xdg-open did not start: /);
  });
});
