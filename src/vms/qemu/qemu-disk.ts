/**
 * A VM's own disk: a qcow2 overlay on the built disk (qcow2 or raw), so the built disk is never
 * written — the VM's changes, `bootc upgrade` staging included, live in the overlay until the VM is
 * deleted. An installer ISO's VM gets a new blank qcow2 instead, which its installer writes.
 */

import { access, rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';

import { runProcess } from '../../platform/process';
import { diskFileProblem } from '../vm-disk-file';

export type BaseDiskFormat = 'qcow2' | 'raw' | 'vmdk';

export class DiskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskError';
  }
}

/** The format `qemu-img info` reads in `path` (never guessed from the name: a raw file may say anything). */
export async function diskFormat(qemuImg: string, path: string): Promise<BaseDiskFormat> {
  const result = await runProcess([qemuImg, 'info', '--output=json', path], { capture: true, timeoutMs: 30_000 });
  if (result.code !== 0) {
    throw new DiskError(
      `cannot read the disk ${path}: ${(result.stderr ?? '').trim() || `qemu-img exited with ${result.code}`}`,
    );
  }
  const format = (JSON.parse(result.stdout ?? '{}') as { format?: unknown }).format;
  if (format === 'qcow2' || format === 'raw' || format === 'vmdk') return format;
  throw new DiskError(`the disk ${path} is ${String(format)}; a VM boots a qcow2, raw or vmdk disk`);
}

/** Creates `overlay` on `base` (absolute) unless it exists already; resolves with the base's format. */
export async function ensureOverlay(qemuImg: string, base: string, overlay: string): Promise<BaseDiskFormat> {
  if (!isAbsolute(base)) throw new DiskError(`the disk path must be absolute: ${base}`);
  await access(base).catch(() => {
    throw new DiskError(`the disk ${base} does not exist (was the build's output folder moved or cleaned?)`);
  });
  // The rule a VM's disk was taken by at its creation (a new qcow2 is a few hundred KiB).
  const problem = await diskFileProblem(base);
  if (problem) throw new DiskError(problem);
  const format = await diskFormat(qemuImg, base);
  const exists = await access(overlay).then(
    () => true,
    () => false,
  );
  if (exists) return format;
  const result = await runProcess([qemuImg, 'create', '-q', '-f', 'qcow2', '-b', base, '-F', format, overlay], {
    capture: true,
    timeoutMs: 60_000,
  });
  if (result.code !== 0) {
    throw new DiskError(
      `cannot make the VM's disk on ${base}: ${(result.stderr ?? '').trim() || `qemu-img exited with ${result.code}`}`,
    );
  }
  return format;
}

async function qemuImgRun(argv: string[], what: string): Promise<string> {
  const result = await runProcess(argv, { capture: true, timeoutMs: 60_000 });
  if (result.code !== 0) {
    throw new DiskError(`${what}: ${(result.stderr ?? '').trim() || `qemu-img exited with ${result.code}`}`);
  }
  return result.stdout ?? '';
}

/** A new empty qcow2 of `sizeGiB` at `path` (sparse: it takes room only as the guest writes), replacing any there. */
export async function createBlankDisk(qemuImg: string, path: string, sizeGiB: number): Promise<void> {
  await rm(path, { force: true });
  await qemuImgRun([qemuImg, 'create', '-q', '-f', 'qcow2', path, `${sizeGiB}G`], `cannot make the VM's disk ${path}`);
}

/** Whether anything was written to the qcow2 at `path` (`qemu-img map` shows a data extent). */
export async function diskHasData(qemuImg: string, path: string): Promise<boolean> {
  const stdout = await qemuImgRun([qemuImg, 'map', '--output=json', path], `cannot read the VM's disk ${path}`);
  const extents = JSON.parse(stdout || '[]') as { data?: unknown }[];
  return extents.some(extent => extent.data === true);
}
