/**
 * Which files a VM may boot from a path: a qcow2 or vmdk at any size (qemu-img's own files), a
 * raw disk of at least 1 MiB, an installer ISO told apart by its volume descriptor; anything else
 * refused with a reason that names the file.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { runProcess } from '../../../src/platform/process';
import { findQemuImg } from '../../../src/vms/qemu/qemu-discovery';
import { diskFileProblem, isIsoImage } from '../../../src/vms/vm-disk-file';

const qemuImg = findQemuImg();
if (!qemuImg)
  console.log('vm-disk-file.spec: the qemu-img cases skipped — qemu-img is not installed (apt-get install qemu-utils)');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vm-disk-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('diskFileProblem', () => {
  test.skipIf(!qemuImg)('a new qcow2 and a sparse vmdk of 10 GiB (a few hundred KiB on disk) are disks', async () => {
    for (const format of ['qcow2', 'vmdk']) {
      const path = join(dir, `empty.${format}`);
      const made = await runProcess([qemuImg as string, 'create', '-q', '-f', format, path, '10G'], { capture: true });
      expect(made.code, made.stderr).toBe(0);
      expect(await diskFileProblem(path)).toBeUndefined();
    }
  });

  test('a raw file of 1 MiB is a disk; a smaller file that is no qcow2 or vmdk is refused, named', async () => {
    const raw = join(dir, 'disk.raw');
    await writeFile(raw, Buffer.alloc(1024 * 1024));
    expect(await diskFileProblem(raw)).toBeUndefined();
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'QFI is not enough\n');
    expect(await diskFileProblem(text)).toBe(`${text} is 18 bytes and neither a qcow2 nor a vmdk: not a disk image`);
    expect(await diskFileProblem(join(dir, 'missing.qcow2'))).toBe(`${join(dir, 'missing.qcow2')} does not exist`);
    expect(await diskFileProblem(dir)).toBe(`${dir} is not a file`);
  });

  test('an ISO is told apart by CD001 at 32 KiB + 1, not by its name', async () => {
    const iso = join(dir, 'installer.bin');
    const bytes = Buffer.alloc(0x8000 + 2048);
    bytes.write('CD001', 0x8001, 'latin1');
    await writeFile(iso, bytes);
    expect(await isIsoImage(iso)).toBe(true);
    const named = join(dir, 'named.iso');
    await writeFile(named, Buffer.alloc(0x9000));
    expect(await isIsoImage(named)).toBe(false);
    expect(await isIsoImage(join(dir, 'missing.iso'))).toBe(false);
  });
});
