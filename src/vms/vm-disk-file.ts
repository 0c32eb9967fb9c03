/**
 * A file given by path as a VM's disk: whether it can be one at all, and whether it is an installer
 * ISO (booted once against a new blank disk) rather than a disk.
 */

import { open, stat } from 'node:fs/promises';

/** `length` bytes of the file at `position` (fewer at its end; none when it cannot be read), as latin1. */
async function bytesAt(path: string, position: number, length: number): Promise<string> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return '';
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, position);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await file.close();
  }
}

/** Whether the file is an ISO 9660 image (`CD001` in its first volume descriptor, at 32 KiB + 1). */
export async function isIsoImage(path: string): Promise<boolean> {
  return (await bytesAt(path, 0x8001, 5)) === 'CD001';
}

/**
 * The magic numbers of the disk formats whose files hold only what was written (a qcow2 or a
 * sparse vmdk of a mostly empty disk can be a few hundred KiB): such a file is a disk at any size.
 */
const GROWING_FORMATS = ['QFI\xfb', 'KDMV'];

/** Why a file cannot be a VM's disk (it is missing, not a file, or far too small), or undefined. */
export async function diskFileProblem(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return `${path} does not exist`;
  if (!info.isFile()) return `${path} is not a file`;
  if (info.size >= 1024 * 1024 || GROWING_FORMATS.includes(await bytesAt(path, 0, 4))) return undefined;
  return `${path} is ${info.size} bytes and neither a qcow2 nor a vmdk: not a disk image`;
}
