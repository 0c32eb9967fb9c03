import type { BootcImage } from '../../src/api/models';

/** Whether an image matches the search box: name, tag, full reference, architecture or engine. */
export function matchesSearch(image: BootcImage, term: string): boolean {
  const needle = term.trim().toLowerCase();
  if (!needle) return true;
  return [image.name, image.tag, image.ref, image.engineName, ...image.architectures].some(field =>
    field.toLowerCase().includes(needle),
  );
}

/** Stable display order across refreshes: by name, then tag, then engine. */
export function compareImages(a: BootcImage, b: BootcImage): number {
  return a.name.localeCompare(b.name) || a.tag.localeCompare(b.tag) || a.engineName.localeCompare(b.engineName);
}
