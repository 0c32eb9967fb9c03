/**
 * Delete on an image row: a tag goes alone while the image has others (untag), the image itself
 * only with its last tag or when it is deleted by id — and then with every tag it has. The plan is
 * made from what the engine says now; when the caller showed the user other tags than the engine
 * has now, nothing is deleted, so the delete never removes more than the dialog said.
 */

import type { ImageDeletePlan, ImageDeleteResult } from '../api/image-delete';
import { planImageDelete, sameImageId, sameTags } from '../api/image-delete';
import type { ContainerEngine } from '../engine/container-engine';
import { EngineError } from '../engine/container-engine';

/**
 * What the engine would do for `target` (a tag of the image, or its id), without doing it. The
 * image is found in the engine's list, not by inspect: podman inspects a manifest list's name as
 * its member for this platform.
 */
export async function planDelete(engine: ContainerEngine, engineId: string, target: string): Promise<ImageDeletePlan> {
  const images = (await engine.listImages()).filter(image => image.engineId === engineId);
  const byTag = images.find(image => image.repoTags.includes(target));
  const image = byTag ?? images.find(image => sameImageId(image.id, target));
  const plan = image && planImageDelete({ id: image.id, tags: image.repoTags }, target);
  if (!plan) throw new EngineError(`No image ${target} on this engine: it is neither the id nor a tag of an image`);
  return plan;
}

/**
 * Deletes `target`: untags it when the image keeps other tags, otherwise removes the image (by id,
 * so every tag goes with it). `shownTags`, when given, are the tags the user was shown: if the
 * engine's differ now, nothing is deleted and the error names the tags as they are.
 */
export async function deleteImageOrTag(
  engine: ContainerEngine,
  engineId: string,
  target: string,
  shownTags?: readonly string[],
): Promise<ImageDeleteResult> {
  const plan = await planDelete(engine, engineId, target);
  const current = [...plan.untag, ...plan.remaining];
  if (shownTags && !sameTags(shownTags, current)) {
    throw new EngineError(
      `The tags of image ${plan.imageId} changed since the list was read: they are now ${current.join(', ') || 'none'}. Nothing was deleted.`,
    );
  }
  if (plan.removesImage) await engine.deleteImage(engineId, plan.imageId);
  else for (const ref of plan.untag) await engine.untagImage(engineId, ref);
  return plan;
}
