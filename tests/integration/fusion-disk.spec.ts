/**
 * The Fusion disk conversion with the real qemu-img: a streamOptimized, compressed vmdk (what
 * bootc-image-builder writes) becomes a monolithicSparse vmdk through the argv the extension runs
 * (on the project's process API), with the same contents as the raw disk it came from, and the
 * built disk left as it was.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { runProcess as runArgv } from '../../src/platform/process';
import { chooseFusionDiskConversion, qemuImgProgress } from '../../src/vms/fusion/fusion-disk';
import { requireExecutable, runProcess } from './support/run-process';

const MiB = 1024 * 1024;

/** 64 MiB: every even MiB filled with a pattern naming its block, every odd one zero (sparse in the vmdk). */
function patternedDisk(): Buffer {
  const disk = Buffer.alloc(64 * MiB);
  for (let block = 0; block < 64; block += 2) {
    disk.fill(`bootc-studio block ${block} `, block * MiB, (block + 1) * MiB);
  }
  return disk;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('the Fusion disk conversion with real qemu-img', () => {
  let dir: string;
  let qemuImg: string;
  let raw: string;
  let built: string;

  beforeAll(async () => {
    qemuImg = requireExecutable('qemu-img', 'qemu-utils');
    dir = await mkdtemp(join(tmpdir(), 'bootc-fusion-disk-'));
    raw = join(dir, 'disk.raw');
    built = join(dir, 'built disk.vmdk');
    await writeFile(raw, patternedDisk());
    await runProcess(qemuImg, [
      'convert',
      '-f',
      'raw',
      '-O',
      'vmdk',
      '-c',
      '-o',
      'subformat=streamOptimized',
      raw,
      built,
    ]);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('streamOptimized in, monolithicSparse out, the same bytes, the built disk untouched', async () => {
    const before = sha256(built);
    const builtInfo = JSON.parse((await runProcess(qemuImg, ['info', '--output=json', built])).stdout);
    expect(builtInfo['format-specific']?.data?.['create-type']).toBe('streamOptimized');

    const target = join(dir, 'vm folder', 'disk.vmdk');
    await mkdir(join(dir, 'vm folder'));
    const conversion = chooseFusionDiskConversion({ qemuImg }, built, 'vmdk', target);
    expect(conversion.tool).toBe('qemu-img');
    const percents: number[] = [];
    const result = await runArgv(conversion.argv, {
      capture: true,
      timeoutMs: 60_000,
      onStdout: line => {
        const percent = qemuImgProgress(line);
        if (percent !== undefined) percents.push(percent);
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(percents.at(-1)).toBe(100);

    const info = JSON.parse((await runProcess(qemuImg, ['info', '--output=json', target])).stdout);
    expect(info.format).toBe('vmdk');
    expect(info['virtual-size']).toBe(64 * MiB);
    expect(info['format-specific']?.data?.['create-type']).toBe('monolithicSparse');

    const compare = await runProcess(qemuImg, ['compare', '-f', 'raw', '-F', 'vmdk', raw, target]);
    expect(compare.stdout).toMatch(/Images are identical/);
    expect(sha256(built)).toBe(before);
  });
});
