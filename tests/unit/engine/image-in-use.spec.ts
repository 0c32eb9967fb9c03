/**
 * The refusal to delete an image containers use, shared by both adapters: which containers (by the
 * Docker-shaped rows of Podman Desktop and podman), and the message that names them.
 */

import { describe, expect, test } from 'vitest';

import { ImageInUseError } from '../../../src/engine/container-engine';
import { containersUsing, imageInUseError } from '../../../src/engine/image-in-use';

describe('image in use', () => {
  test('containersUsing matches ids with or without sha256: and names containers by name, else short id', () => {
    const rows = [
      { Id: 'c1', Names: ['/web'], ImageID: 'sha256:abc' },
      { Id: '0123456789abcdef', Names: [], ImageID: 'abc' },
      { Id: 'c3', Names: ['/db'], ImageID: 'sha256:other' },
      { Names: ['/orphan'] },
    ];
    expect(containersUsing(rows, 'abc')).toEqual(['web', '0123456789ab']);
    expect(containersUsing(rows, 'sha256:abc')).toEqual(['web', '0123456789ab']);
    expect(containersUsing([], 'abc')).toEqual([]);
  });

  test('imageInUseError names one container, several, or none the engine named', () => {
    const one = imageInUseError('quay.io/me/os:1', ['web']);
    expect(one).toBeInstanceOf(ImageInUseError);
    expect(one).toMatchObject({
      message: 'Image quay.io/me/os:1 is used by container web; remove it first',
      containers: ['web'],
      statusCode: 409,
    });
    expect(imageInUseError('x', ['web', 'db']).message).toBe(
      'Image x is used by containers web, db; remove them first',
    );
    expect(imageInUseError('x', []).message).toBe('Image x is used by a container; remove it first');
  });
});
