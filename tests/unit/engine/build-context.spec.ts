/**
 * The build-context tar (the podman-socket adapter's and the standalone engine's), read back by GNU
 * tar: names (long, nested, non-ASCII), root ownership, modes, symlinks, contents, and a
 * Containerfile added from outside.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { packBuildContext } from '../../../src/engine/build-context';

describe('packBuildContext', () => {
  let work: string;
  let context: string;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'build-context-'));
    context = join(work, 'context');
    mkdirSync(context);
  });

  afterEach(() => rmSync(work, { recursive: true, force: true }));

  async function packAndList(
    extra: Parameters<typeof packBuildContext>[1] = [],
  ): Promise<{ tarball: string; listing: string[] }> {
    const tarball = join(work, 'context.tar');
    writeFileSync(tarball, await buffer(await packBuildContext(context, extra)));
    const listed = spawnSync('tar', ['--numeric-owner', '--warning=all', '-tvf', tarball], { encoding: 'utf8' });
    // GNU tar accepts the archive without a single warning (checksums, headers, padding, end blocks).
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    return { tarball, listing: listed.stdout.trim().split('\n') };
  }

  function extract(tarball: string): string {
    const out = join(work, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tarball, '-C', out]);
    return out;
  }

  test('packs files, folders, long and non-ASCII names and symlinks, all owned by root', async () => {
    const longDir = `deep/${'d'.repeat(90)}/${'e'.repeat(90)}`;
    mkdirSync(join(context, longDir), { recursive: true });
    writeFileSync(join(context, 'Containerfile'), 'FROM scratch\n');
    writeFileSync(join(context, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(context, 'run.sh'), 0o750);
    writeFileSync(join(context, longDir, `${'f'.repeat(120)}.txt`), 'long name\n');
    writeFileSync(join(context, 'café-ü.txt'), 'accents\n');
    writeFileSync(join(context, 'big.bin'), Buffer.alloc(70_000, 7));
    writeFileSync(join(context, 'empty'), '');
    symlinkSync('run.sh', join(context, 'link'));
    symlinkSync(`${'t'.repeat(150)}/target`, join(context, 'long-link'));

    const { tarball, listing } = await packAndList();
    for (const line of listing) expect(line).toMatch(/^\S+ 0\/0 /);
    expect(listing.some(line => line.startsWith('-rwxr-x--- 0/0') && line.endsWith(' run.sh'))).toBe(true);

    const out = extract(tarball);
    expect(readFileSync(join(out, 'Containerfile'), 'utf8')).toBe('FROM scratch\n');
    expect(readFileSync(join(out, longDir, `${'f'.repeat(120)}.txt`), 'utf8')).toBe('long name\n');
    expect(readFileSync(join(out, 'café-ü.txt'), 'utf8')).toBe('accents\n');
    expect(readFileSync(join(out, 'big.bin')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(readFileSync(join(out, 'empty'), 'utf8')).toBe('');
    expect(readlinkSync(join(out, 'link'))).toBe('run.sh');
    expect(readlinkSync(join(out, 'long-link'))).toBe(`${'t'.repeat(150)}/target`);
    expect(statSync(join(out, 'run.sh')).mode & 0o777).toBe(0o750);
  });

  test('adds extra files after the context', async () => {
    writeFileSync(join(context, 'a.txt'), 'a\n');
    const { tarball, listing } = await packAndList([{ name: 'Containerfile.0', content: Buffer.from('FROM x\n') }]);
    expect(listing.at(-1)).toMatch(/ Containerfile\.0$/);
    expect(readFileSync(join(extract(tarball), 'Containerfile.0'), 'utf8')).toBe('FROM x\n');
  });

  test('an empty context is a valid, empty archive', async () => {
    const { listing } = await packAndList();
    // Only the context folder itself.
    expect(listing.map(line => line.split(/\s+/).at(-1))).toEqual(['.']);
  });

  test('a context that is not a folder fails the stream', async () => {
    const file = join(work, 'file');
    writeFileSync(file, 'x');
    await expect(packBuildContext(file)).rejects.toThrow(/is not a folder/);
  });

  test('an aborted signal stops the stream', async () => {
    writeFileSync(join(context, 'a.txt'), 'a\n');
    const abort = new AbortController();
    abort.abort();
    await expect(packBuildContext(context, [], abort.signal)).rejects.toThrow();
  });
});
