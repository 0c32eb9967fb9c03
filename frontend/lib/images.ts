import type { ImageDeletePlan } from '../../src/api/image-delete';
import { planImageDelete } from '../../src/api/image-delete';
import type { BootcImage } from '../../src/api/models';

/**
 * Whether an image row matches the search box: its name, tag, full reference, id, architecture or
 * engine. There is one row per tag, so every tag of an image is found by its own row.
 */
export function matchesSearch(image: BootcImage, term: string): boolean {
  const needle = term.trim().toLowerCase();
  if (!needle) return true;
  return [image.name, image.tag, image.ref, image.id, image.engineName, ...image.architectures].some(field =>
    field.toLowerCase().includes(needle),
  );
}

/** Stable display order across refreshes: by name, then tag, then engine, then id. */
export function compareImages(a: BootcImage, b: BootcImage): number {
  return (
    a.name.localeCompare(b.name) ||
    a.tag.localeCompare(b.tag) ||
    a.engineName.localeCompare(b.engineName) ||
    a.id.localeCompare(b.id)
  );
}

/**
 * What Delete on a row removes: the row's tag (the image goes only with its last one), or, for an
 * untagged row, the image by id.
 */
export function deleteTargetOf(image: BootcImage): { target: string; plan: ImageDeletePlan } {
  const target = image.tags.includes(image.ref) ? image.ref : image.id;
  const plan = planImageDelete(image, target) ?? {
    imageId: image.id,
    untag: [...image.tags],
    remaining: [],
    removesImage: true,
  };
  return { target, plan };
}
