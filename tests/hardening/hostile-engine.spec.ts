/**
 * Hostile engine answers: the built CLI against a "podman" (a unix-socket HTTP server) that answers
 * malformed, wrong-typed, oversized or cut-short JSON. The answer is not the user's input, so the
 * CLI exits 1 (the operation failed), not 2 — but it must say so in one clear line that names what
 * it was doing, never crash with a stack trace, and leave no trace: no build or VM record, nothing
 * in the output folder, no process started, and no request that creates anything (POST, PUT,
 * DELETE) sent to the engine.
 */

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { runCli } from './support/cli-runner';
import { addCount } from './support/counts';
import { type Answer, type HostileEngine, startHostileEngine } from './support/hostile-engine';
import { changes, createProcessRecorder, type ProcessRecorder, snapshot } from './support/side-effects';

const SPEC = 'hostile-engine';
const IMAGE = 'localhost/hostile-bootc:1';
const JSON_HEADERS = { 'Content-Type': 'application/json' };

const work = mkdtempSync(join(tmpdir(), 'bootc-studio-hostile-engine-'));

interface EngineCase {
  name: string;
  /** Which call answers badly, and how. */
  rules: [RegExp, Answer][];
  /** What the CLI is asked to do. */
  args: (out: string) => string[];
  /** What the one-line error must say (what was being done, or what is wrong). */
  says: RegExp;
}

const images = () => ['images', '--json'];
const diskBuild = (out: string) => ['disk', 'build', IMAGE, '--output', out, '--arch', 'amd64', '--rootfs', 'xfs'];
const INFO = /^GET \/v4\.0\.0\/libpod\/info/;
const LIST = /^GET \/v4\.0\.0\/libpod\/images\/json/;
const INSPECT = /^GET \/v4\.0\.0\/libpod\/images\/[^/]+\/json/;
const json = (body: unknown): Answer => ({ headers: JSON_HEADERS, body: JSON.stringify(body) });

const CASES: EngineCase[] = [
  {
    name: 'info: malformed JSON',
    rules: [[INFO, { headers: JSON_HEADERS, body: '{"host": {' }]],
    args: images,
    says: /Reading engine info/,
  },
  {
    name: 'info: HTML instead of JSON',
    rules: [[INFO, { headers: { 'Content-Type': 'text/html' }, body: '<html>proxy error</html>' }]],
    args: images,
    says: /Reading engine info/,
  },
  {
    name: 'info: HTTP 500 with a 1 MB message',
    rules: [[INFO, { status: 500, headers: JSON_HEADERS, body: JSON.stringify({ message: 'x'.repeat(1024 * 1024) }) }]],
    args: images,
    says: /Reading engine info failed.*HTTP 500/,
  },
  {
    name: 'info: cut short',
    rules: [[INFO, { cut: '{"host": {"os": "li', claimed: 5000 }]],
    args: images,
    says: /Reading engine info/,
  },
  {
    name: 'image list: an object instead of a list',
    rules: [[LIST, json({ images: [] })]],
    args: images,
    says: /Listing images/,
  },
  {
    name: 'image list: malformed JSON',
    rules: [[LIST, { headers: JSON_HEADERS, body: '[{"Id": "sha256:1",' }]],
    args: images,
    says: /Listing images/,
  },
  {
    name: 'image list: cut short',
    rules: [[LIST, { cut: '[{"Id": "sha256:1", "RepoTags": ["a', claimed: 10_000 }]],
    args: images,
    says: /Listing images/,
  },
  {
    name: 'image list: 40 MB of garbage',
    rules: [[LIST, { headers: JSON_HEADERS, body: Buffer.alloc(40 * 1024 * 1024, 'x') }]],
    args: images,
    says: /Listing images/,
  },
  {
    name: "/_ping without podman's API version",
    rules: [[/^GET \/_ping/, { headers: { 'Content-Type': 'text/plain' }, body: 'OK' }]],
    args: images,
    says: /not podman/,
  },
  {
    name: 'image inspect: malformed JSON',
    rules: [[INSPECT, { headers: JSON_HEADERS, body: '{"Id": ' }]],
    args: diskBuild,
    says: /Inspecting image/,
  },
  {
    name: 'image inspect: a list instead of an object',
    rules: [[INSPECT, json([1, 2, 3])]],
    args: diskBuild,
    says: /Inspecting image/,
  },
  {
    // The engine's trouble, not a missing image: not "IMAGE is not on podman" with exit 2.
    name: 'image inspect: HTTP 500',
    rules: [[INSPECT, { status: 500, headers: JSON_HEADERS, body: JSON.stringify({ message: 'database is locked' }) }]],
    args: diskBuild,
    says: /Inspecting image failed on podman .*: HTTP 500 — database is locked/,
  },
];

describe('hostile engine answers', () => {
  let engine: HostileEngine;
  let recorder: ProcessRecorder;
  let proved = 0;

  beforeAll(async () => {
    engine = await startHostileEngine(join(work, 'podman.sock'));
    recorder = createProcessRecorder(join(work, 'recorder'));
  });

  afterAll(async () => {
    await engine?.stop();
    rmSync(work, { recursive: true, force: true });
    addCount(SPEC, 'hostile inputs refused (field named, nothing started or written)', proved);
  });

  test('the well-behaved engine is served (the cases differ from it by one answer)', async () => {
    const dir = mkdtempSync(join(work, 'good-'));
    const result = await runCli(images(), { env: envFor(dir), cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  // One at a time: the engine answers by the case's rules.
  describe.each(CASES.map(c => [c.name, c] as const))('%s', (_name, testCase) => {
    test('a clear error, exit 1; nothing written, started or created', async () => {
      const dir = mkdtempSync(join(work, 'case-'));
      const out = join(dir, 'out');
      mkdirSync(out);
      mkdirSync(join(dir, 'store'));
      engine.answer(testCase.rules);
      engine.requests.length = 0;
      recorder.clear();
      const before = snapshot(out);

      const result = await runCli(testCase.args(out), { env: envFor(dir), cwd: dir });

      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(testCase.says);
      expect(result.stderr).not.toMatch(/\n\s+at .*\(|TypeError|ReferenceError|SyntaxError: Unexpected|undefined/);
      // One short line: an oversized answer is not echoed.
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(result.stderr.length).toBeLessThan(2000);
      expect(engine.requests.filter(line => !line.startsWith('GET '))).toEqual([]);
      expect(recorder.starts()).toEqual([]);
      expect(changes(before, snapshot(out))).toEqual([]);
      expect(records(join(dir, 'store'))).toEqual([]);
      proved++;
    });
  });

  function envFor(dir: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${recorder.binDir}:${process.env.PATH}`,
      HOME: dir,
      BOOTC_STUDIO_HOME: join(dir, 'store'),
      CONTAINER_HOST: engine.url,
    };
  }
});

/** The build and VM records of a store (its `builds/` and `vms/` folders). */
function records(store: string): string[] {
  return ['builds', 'vms'].flatMap(kind => {
    try {
      return readdirSync(join(store, kind)).map(name => `${kind}/${name}`);
    } catch {
      return [];
    }
  });
}
