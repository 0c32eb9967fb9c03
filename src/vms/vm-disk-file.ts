/**
 * A file given by path as a VM's disk: whether it can be one at all, and whether it is an installer
 * ISO (booted once against a new blank disk) rather than a disk.
 */

import { open, stat } from 'node:fs/promises';

/** Whether the file is an ISO 9660 image (`CD001` in its first volume descriptor, at 32 KiB + 1). */
export async function isIsoImage(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(5), 0, 5, 0x8001);
    return bytesRead === 5 && buffer.toString('latin1') === 'CD001';
  } finally {
    await file.close();
  }
}

/** Why a file cannot be a VM's disk (it is missing, not a file, or far too small), or undefined. */
export async function diskFileProblem(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return `${path} does not exist`;
  if (!info.isFile()) return `${path} is not a file`;
  if (info.size < 1024 * 1024) return `${path} is ${info.size} bytes: not a disk image`;
  return undefined;
}
