/**
 * Every tag is an image row, and Delete removes only what it says: the listing (one row per tag,
 * `<none>` for an untagged image) and the delete decision (untag while other tags remain, the
 * image with its last tag or by id, nothing when the tags changed since the user saw them).
 */
import { describe, expect, test } from 'vitest';

import { planImageDelete } from '../../../src/api/image-delete';
import type { EngineImage } from '../../../src/engine/container-engine';
import { listBootcImages } from '../../../src/images/bootc-images';
import { deleteImageOrTag } from '../../../src/images/image-delete';
import { ENGINE, FakeEngine } from '../support/fake-engine';

const ID = 'sha256:3b9fb24a51a7994c1f3f4e50c012220559f8a226cb5aec40a697a225702795ff';
const TAGS = ['localhost/demo:1', 'localhost/demo:latest', '127.0.0.1:5000/demo:1'];

function engineImage(partial: Partial<EngineImage>): EngineImage {
  return {
    id: ID,
    engineId: ENGINE.id,
    engineName: ENGINE.name,
    repoTags: [],
    repoDigests: [],
    labels: { 'containers.bootc': '1' },
    size: 2_000_000,
    created: 1_700_000_000_000,
    arch: 'amd64',
    ...partial,
  };
}

class ListingEngine extends FakeEngine {
  constructor(readonly rows: EngineImage[]) {
    super();
  }
  override async listImages(): Promise<EngineImage[]> {
    return this.rows;
  }
}

describe('listBootcImages: one row per tag', () => {
  test('an image with three tags is three rows that share its id and name all three tags', async () => {
    const images = await listBootcImages(new ListingEngine([engineImage({ repoTags: TAGS })]));
    expect(images.map(image => [image.name, image.tag, image.ref])).toEqual([
      ['127.0.0.1:5000/demo', '1', '127.0.0.1:5000/demo:1'],
      ['localhost/demo', '1', 'localhost/demo:1'],
      ['localhost/demo', 'latest', 'localhost/demo:latest'],
    ]);
    for (const image of images) {
      expect(image.id).toBe(ID);
      expect(image.tags).toEqual(TAGS);
      expect(image.architectures).toEqual(['amd64']);
    }
  });

  test('an untagged bootc image is one <none> row named by its id', async () => {
    const images = await listBootcImages(
      new ListingEngine([engineImage({ repoTags: ['<none>:<none>'] }), engineImage({ id: 'sha256:other' })]),
    );
    expect(images.map(image => [image.name, image.tag, image.ref, image.tags])).toEqual([
      ['<none>', '<none>', ID, []],
      ['<none>', '<none>', 'sha256:other', []],
    ]);
  });
});

describe('planImageDelete', () => {
  test('a tag of an image with others: only that tag goes, the image stays', () => {
    expect(planImageDelete({ id: ID, tags: TAGS }, 'localhost/demo:latest')).toEqual({
      imageId: ID,
      untag: ['localhost/demo:latest'],
      remaining: ['localhost/demo:1', '127.0.0.1:5000/demo:1'],
      removesImage: false,
    });
  });

  test('the last tag takes the image with it', () => {
    expect(planImageDelete({ id: ID, tags: ['localhost/demo:1'] }, 'localhost/demo:1')).toEqual({
      imageId: ID,
      untag: ['localhost/demo:1'],
      remaining: [],
      removesImage: true,
    });
  });

  test('by id (full, short, with or without sha256:) the image goes with every tag', () => {
    for (const target of [ID, ID.slice(7), ID.slice(7, 19), 'sha256:3b9fb24a51a7']) {
      expect(planImageDelete({ id: ID, tags: TAGS }, target)).toEqual({
        imageId: ID,
        untag: TAGS,
        remaining: [],
        removesImage: true,
      });
    }
    expect(planImageDelete({ id: ID, tags: [] }, ID)?.removesImage).toBe(true);
  });

  test('neither a tag nor the id: no plan', () => {
    expect(planImageDelete({ id: ID, tags: TAGS }, 'localhost/other:1')).toBeUndefined();
    expect(planImageDelete({ id: ID, tags: TAGS }, '3b9f')).toBeUndefined();
  });
});

describe('deleteImageOrTag', () => {
  test('a tag with others remaining is untagged, never deleted', async () => {
    const engine = new ListingEngine([engineImage({ repoTags: TAGS })]);
    const result = await deleteImageOrTag(engine, ENGINE.id, '127.0.0.1:5000/demo:1', TAGS);
    expect(result.removesImage).toBe(false);
    expect(engine.calls).toEqual([{ method: 'untagImage', args: [ENGINE.id, '127.0.0.1:5000/demo:1'] }]);
  });

  test('the last tag deletes the image by its id', async () => {
    const engine = new ListingEngine([engineImage({ repoTags: ['localhost/demo:1'] })]);
    const result = await deleteImageOrTag(engine, ENGINE.id, 'localhost/demo:1', ['localhost/demo:1']);
    expect(result).toMatchObject({ removesImage: true, untag: ['localhost/demo:1'] });
    expect(engine.calls).toEqual([{ method: 'deleteImage', args: [ENGINE.id, ID] }]);
  });

  test('by id: the image goes, and the answer names every tag that went with it', async () => {
    const engine = new ListingEngine([engineImage({ repoTags: TAGS })]);
    const result = await deleteImageOrTag(engine, ENGINE.id, ID, TAGS);
    expect(result).toEqual({ imageId: ID, untag: TAGS, remaining: [], removesImage: true });
    expect(engine.calls).toEqual([{ method: 'deleteImage', args: [ENGINE.id, ID] }]);
  });

  test('tags changed since the user saw them: nothing is deleted, and the error names them', async () => {
    // The user saw two tags, so the dialog said "only this tag"; another was removed since.
    const engine = new ListingEngine([engineImage({ repoTags: ['localhost/demo:1'] })]);
    const error = await deleteImageOrTag(engine, ENGINE.id, 'localhost/demo:1', [
      'localhost/demo:1',
      'localhost/demo:latest',
    ]).catch((e: unknown) => e);
    expect((error as Error).message).toContain('they are now localhost/demo:1. Nothing was deleted.');
    expect(engine.calls).toEqual([]);
  });

  test('an unknown target or another engine’s image: refused, nothing called', async () => {
    const engine = new ListingEngine([engineImage({ repoTags: TAGS, engineId: 'other' })]);
    await expect(deleteImageOrTag(engine, ENGINE.id, 'localhost/demo:1')).rejects.toThrow(
      'No image localhost/demo:1 on this engine',
    );
    expect(engine.calls).toEqual([]);
  });
});
