/**
 * The output folder must hold the disk images: at least twice the bootc image's size must be free
 * there (a raw disk is about the image's size plus its filesystems' slack, and qcow2/vmdk are written
 * beside it), or the build is refused before it starts with a message that says how much is missing.
 */

import { statfs } from 'node:fs/promises';

import { formatBytes } from '../api/format';

export const SPACE_FACTOR = 2;

/** The problem, or undefined when there is room. Unknown free space (no statfs) is not a problem. */
export async function outputSpaceProblem(
  outputDir: string,
  imageSize: number,
  freeBytes: (dir: string) => Promise<number | undefined> = freeBytesIn,
): Promise<string | undefined> {
  if (!(imageSize > 0)) return undefined;
  const free = await freeBytes(outputDir);
  if (free === undefined) return undefined;
  const needed = SPACE_FACTOR * imageSize;
  if (free >= needed) return undefined;
  return `only ${formatBytes(free)} free in ${outputDir}; the build needs at least ${formatBytes(needed)} (twice the image's ${formatBytes(imageSize)}): free some space or choose another folder`;
}

export async function freeBytesIn(dir: string): Promise<number | undefined> {
  try {
    const stats = await statfs(dir);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return undefined;
  }
}
