/**
 * What deleting an image row does, decided in one place for the dialog, the backend and the CLI:
 * Delete on a tag removes just that tag while the image has others, and the image itself only with
 * its last tag; Delete by id (an untagged image) removes the image with every tag it has.
 */

/** What a delete removes. */
export interface ImageDeletePlan {
  /** The image id. */
  imageId: string;
  /** The tags that go. */
  untag: string[];
  /** The tags that stay (empty when the image goes). */
  remaining: string[];
  /** Whether the image itself (its layers) is removed. */
  removesImage: boolean;
}

/** What a delete did, as the backend answers it. */
export type ImageDeleteResult = ImageDeletePlan;

/**
 * The plan for deleting `target` (one of the image's tags, or its id) from an image with `tags`.
 * Undefined when `target` is neither.
 */
export function planImageDelete(
  image: { id: string; tags: readonly string[] },
  target: string,
): ImageDeletePlan | undefined {
  const tags = [...new Set(image.tags.filter(tag => !tag.startsWith('<none>')))];
  if (tags.includes(target)) {
    const remaining = tags.filter(tag => tag !== target);
    return { imageId: image.id, untag: [target], remaining, removesImage: remaining.length === 0 };
  }
  if (sameImageId(image.id, target)) return { imageId: image.id, untag: tags, remaining: [], removesImage: true };
  return undefined;
}

/** Whether `candidate` names the image `id`: the full id or a prefix of it (12+ hex), with or without `sha256:`. */
export function sameImageId(id: string, candidate: string): boolean {
  const full = id.replace(/^sha256:/, '');
  const short = candidate.replace(/^sha256:/, '');
  return /^[0-9a-f]{12,64}$/.test(short) && full.startsWith(short);
}

/** Whether two lists hold the same tags, in any order. */
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.filter(tag => !tag.startsWith('<none>')));
  const right = new Set(b.filter(tag => !tag.startsWith('<none>')));
  return left.size === right.size && [...left].every(tag => right.has(tag));
}
