/**
 * The image rows on the bridge: an image's tags travel once (on its first row), so one image with
 * many tags no longer makes an answer that grows as their square; the page gets every row back as
 * listed.
 */

import { describe, expect, test } from 'vitest';

import { packImageRows, unpackImageRows } from '../../../src/api/image-rows';
import type { BootcImage } from '../../../src/api/models';

function row(id: string, engineId: string, ref: string, tags: string[]): BootcImage {
  const untagged = tags.length === 0;
  return {
    id,
    engineId,
    engineName: engineId,
    name: untagged ? '<none>' : ref.split(':')[0],
    tag: untagged ? '<none>' : ref.split(':')[1],
    ref,
    tags,
    architectures: ['amd64'],
    size: 1,
    created: 1,
    labels: {},
    isManifestList: false,
  };
}

describe('image rows on the bridge', () => {
  const many = Array.from({ length: 500 }, (_, i) => `localhost/os-${i}:1`);
  const rows = [
    ...many.map(ref => row('sha256:aa', 'podman', ref, many)),
    // The same image on another engine keeps its own tags; an untagged image is one row.
    row('sha256:aa', 'docker', 'localhost/os-0:1', ['localhost/os-0:1', 'localhost/os-1:1']),
    row('sha256:aa', 'docker', 'localhost/os-1:1', ['localhost/os-0:1', 'localhost/os-1:1']),
    row('sha256:bb', 'podman', 'sha256:bb', []),
  ];

  test('an image’s tags are sent on its first row only: the answer grows with the tags, not their square', () => {
    const packed = packImageRows(rows);
    expect(packed.map(image => image.tags.length)).toEqual([500, ...Array(499).fill(0), 2, 0, 0]);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(rows).length / 40);
  });

  test('the page gets back every row as listed, in order', () => {
    expect(unpackImageRows(structuredClone(packImageRows(rows)))).toEqual(rows);
  });

  test('rows that were not packed (an older backend) are left as they are', () => {
    expect(unpackImageRows(rows)).toEqual(rows);
  });
});
