import type { BootcImage } from '../api/models';
import { isBootcLabelled } from '../api/models';
import type { ContainerEngine, EngineImage } from '../engine/container-engine';
import { splitRepositoryTag } from '../engine/registry-auth';

/**
 * Finds the bootc images of every running engine: images labelled `containers.bootc` or
 * `ostree.bootable`, and manifest lists whose members are such images (shown with each member's
 * architecture). Architectures the list answer lacks come from one inspect per bootc image.
 * One row per tag, as Podman Desktop's Images page has it: an image with three tags is three rows
 * (sharing id and `tags`); an untagged one is one `<none>` row named by its id.
 */
export async function listBootcImages(engine: ContainerEngine): Promise<BootcImage[]> {
  const images = await engine.listImages();
  const bootc = images.filter(image => isBootcLabelled(image.labels));
  const result = await Promise.all(bootc.map(image => toBootcImage(engine, image)));

  const bootcByDigest = new Map<string, BootcImage>();
  for (const [index, image] of bootc.entries()) {
    for (const digest of digestsOf(image)) bootcByDigest.set(`${image.engineId}|${digest}`, result[index]);
  }
  const lists = await Promise.all(
    images
      .filter(image => !isBootcLabelled(image.labels) && mayBeManifestList(image))
      .map(image => toManifestListImage(engine, image, bootcByDigest)),
  );
  for (const list of lists) if (list) result.push(list);
  return result.flatMap(rowsPerTag).sort((a, b) => b.created - a.created || a.ref.localeCompare(b.ref));
}

/** One row per tag of the image; one `<none>` row when it has none. */
function rowsPerTag(image: BootcImage): BootcImage[] {
  if (image.tags.length === 0) return [image];
  return image.tags.map(ref => {
    const { repository: name, tag } = splitRepositoryTag(ref);
    return { ...image, name, tag, ref, tags: [...image.tags] };
  });
}

async function toBootcImage(engine: ContainerEngine, image: EngineImage): Promise<BootcImage> {
  let arch = image.arch;
  if (!arch) {
    arch = await engine.inspectImage(image.engineId, image.id).then(
      details => details.arch,
      () => undefined,
    );
  }
  return {
    ...identity(image),
    architectures: arch ? [arch] : [],
    size: image.size,
    created: image.created,
    digest: image.digest,
    labels: image.labels,
    isManifestList: false,
  };
}

async function toManifestListImage(
  engine: ContainerEngine,
  image: EngineImage,
  bootcByDigest: Map<string, BootcImage>,
): Promise<BootcImage | undefined> {
  const manifest = await engine
    .inspectManifest(image.engineId, identity(image).tags[0] ?? image.id)
    .catch(() => undefined);
  if (!manifest) return undefined;
  const members = manifest.members
    .map(member => ({ member, local: bootcByDigest.get(`${image.engineId}|${member.digest}`) }))
    .filter(({ local }) => local !== undefined);
  if (members.length === 0) return undefined;
  const architectures = [...new Set(members.map(({ member }) => member.arch))].sort();
  const labels = members[0].local?.labels ?? {};
  return {
    ...identity(image),
    architectures,
    size: members.reduce((sum, { local }) => sum + (local?.size ?? 0), 0),
    created: image.created,
    digest: image.digest,
    labels,
    isManifestList: true,
  };
}

/**
 * Whether an image might be a manifest list. Engines that say so (podman ≥ 5, Podman Desktop's
 * `isManifest`) are believed; older podman lists a manifest list as an unlabelled image without
 * layers, a few hundred bytes in size, so only those are asked.
 */
function mayBeManifestList(image: EngineImage): boolean {
  if (image.isManifestList !== undefined) return image.isManifestList;
  return image.size < 64 * 1024 && Object.keys(image.labels).length === 0;
}

function digestsOf(image: EngineImage): string[] {
  const digests = image.repoDigests.map(ref => ref.slice(ref.indexOf('@') + 1));
  if (image.digest) digests.push(image.digest);
  return digests;
}

/** The image as an untagged row; rowsPerTag names it after each tag. */
function identity(
  image: EngineImage,
): Pick<BootcImage, 'id' | 'engineId' | 'engineName' | 'name' | 'tag' | 'ref' | 'tags'> {
  const tags = [...new Set(image.repoTags.filter(tag => !tag.startsWith('<none>')))];
  return {
    id: image.id,
    engineId: image.engineId,
    engineName: image.engineName,
    name: '<none>',
    tag: '<none>',
    ref: image.id,
    tags,
  };
}
