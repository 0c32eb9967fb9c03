/**
 * Standalone mode's own podman service when none answers: a service that exits at once is reported
 * with its exit code and what it said. A stand-in `podman` script on a private PATH plays it.
 */

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, onTestFinished, test } from 'vitest';

import { findOrStartLocalEngine } from '../../../src/standalone/local-engine';

let dir: string;
let bin: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-engine-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Only where no standard socket answers (no rootful podman service on this machine). */
test.skipIf(existsSync('/run/podman/podman.sock'))(
  'a service that exits at once: its exit code and its last words, and its private socket folder goes',
  async () => {
    writeFileSync(join(bin, 'podman'), '#!/bin/sh\necho "Error: cannot listen" >&2\nexit 125\n');
    chmodSync(join(bin, 'podman'), 0o755);
    // Its socket folder is made in the temporary folder: a private one for this test.
    const privateTmp = join(dir, 'tmp');
    mkdirSync(privateTmp);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    onTestFinished(() => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    });
    const lines: string[] = [];
    const env = { PATH: bin, XDG_RUNTIME_DIR: join(dir, 'run'), HOME: dir };
    await expect(findOrStartLocalEngine(undefined, env, line => lines.push(line))).rejects.toThrow(
      'podman system service exited with code 125: Error: cannot listen',
    );
    expect(lines).toEqual([
      expect.stringMatching(/^No podman service answers at .*; starting one for this session\.$/),
    ]);
    expect(readdirSync(privateTmp)).toEqual([]);
  },
);
