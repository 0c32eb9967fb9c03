/**
 * A VM's own disk, made with the real qemu-img: an overlay on the disk it boots, for any file a VM
 * could be created from (a new qcow2 is a few hundred KiB), and a refusal naming the file otherwise.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { runProcess } from '../../../../src/platform/process';
import { findQemuImg } from '../../../../src/vms/qemu/qemu-discovery';
import { ensureOverlay } from '../../../../src/vms/qemu/qemu-disk';
import { diskFileProblem } from '../../../../src/vms/vm-disk-file';

const qemuImg = findQemuImg();
if (!qemuImg) console.log('qemu-disk.spec: skipped — qemu-img is not installed (apt-get install qemu-utils)');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qemu-disk-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!qemuImg)('ensureOverlay', () => {
  test('a new 10 GiB qcow2 (a few hundred KiB on disk) that a VM was created from gets its overlay', async () => {
    const base = join(dir, 'new.qcow2');
    const made = await runProcess([qemuImg as string, 'create', '-q', '-f', 'qcow2', base, '10G'], { capture: true });
    expect(made.code, made.stderr).toBe(0);
    expect(await diskFileProblem(base)).toBeUndefined();
    const overlay = join(dir, 'vm-disk.qcow2');
    expect(await ensureOverlay(qemuImg as string, base, overlay)).toBe('qcow2');
    const info = await runProcess([qemuImg as string, 'info', '--output=json', overlay], { capture: true });
    expect(JSON.parse(info.stdout ?? '{}')).toMatchObject({ format: 'qcow2', 'backing-filename': base });
  });

  test('a small file that is no disk is refused, named, and no overlay is made', async () => {
    const base = join(dir, 'notes.txt');
    await writeFile(base, 'not a disk\n');
    const overlay = join(dir, 'none.qcow2');
    await expect(ensureOverlay(qemuImg as string, base, overlay)).rejects.toThrow(`${base} is 11 bytes`);
    expect(await diskFileProblem(overlay)).toMatch(/does not exist/);
  });
});
