/**
 * What a build needs to know of its bootc image before it starts: the architectures it offers (the
 * members of its manifest list, else its own), its labels (for the root filesystem default), and its
 * size (for the free-space check). An image the engine does not hold is refused by name: the builder
 * does not pull.
 */

import type { BuildableImage } from '../api/disk-builds';
import { ValidationError } from '../api/validation';
import { type ContainerEngine, type ImageDetails, isNotOnEngine } from '../engine/container-engine';

export interface BuildImageFacts extends BuildableImage {
  /** Bytes of the image (of the local member of a manifest list). */
  size: number;
  /** The image's ID in the engine's store (of the local member of a manifest list), without `sha256:`. */
  id: string;
}

export async function buildImageFacts(
  engine: Pick<ContainerEngine, 'inspectImage' | 'inspectManifest'>,
  engineId: string,
  ref: string,
  engineName = 'the engine',
): Promise<BuildImageFacts> {
  let details: ImageDetails;
  try {
    details = await engine.inspectImage(engineId, ref);
  } catch (error) {
    // A malformed answer, a 500 or a broken connection is the engine's failure, not a missing image.
    if (!isNotOnEngine(error)) throw error;
    throw new ValidationError([
      {
        field: 'image',
        message: `${ref} is not on ${engineName}: build or pull it there first (the builder uses the engine's images, it does not pull)`,
      },
    ]);
  }
  const members = await engine
    .inspectManifest(engineId, ref)
    .then(manifest => manifest.members.map(member => member.arch).filter(arch => arch && arch !== 'unknown'))
    .catch(() => [] as string[]);
  const architectures = [...new Set(members.length > 0 ? members : details.arch ? [details.arch] : [])];
  return {
    ref,
    engineId,
    architectures,
    labels: details.labels,
    size: details.size,
    id: details.id.replace(/^sha256:/, ''),
  };
}
