/**
 * The image rows as they cross the bridge. The list has one row per tag and each row carries every
 * tag of its image, so the answer grew as the square of an image's tags (6.9 MB of JSON for one
 * image with 500 tags). On the bridge only an image's first row carries its `tags`; the later rows
 * of the same image (same engine and id) carry `tags: []`, and the page puts them back.
 */

import type { BootcImage } from './models';

const imageKey = (row: BootcImage): string => `${row.engineId}\u0000${row.id}`;

/** The rows to send: an image's tags on its first row only. */
export function packImageRows(rows: readonly BootcImage[]): BootcImage[] {
  const seen = new Set<string>();
  return rows.map(row => {
    const key = imageKey(row);
    if (!seen.has(key)) {
      seen.add(key);
      return row;
    }
    return { ...row, tags: [] };
  });
}

/** The rows as listed: every row of an image with the tags its first row brought. */
export function unpackImageRows(rows: readonly BootcImage[]): BootcImage[] {
  const tags = new Map<string, string[]>();
  return rows.map(row => {
    const key = imageKey(row);
    const known = tags.get(key);
    if (known === undefined) {
      tags.set(key, row.tags);
      return row;
    }
    // An untagged image is one row; a tagged row without tags is a later row of its image.
    return row.tags.length === 0 ? { ...row, tags: [...known] } : row;
  });
}
