/**
 * Image builds over one podman service, for the podman-socket adapter. Builds go to the
 * Docker-compatible `/build`: one `platform` parameter per platform, and for several a `manifest`
 * named after the tag (podman builds each and joins them in a manifest list; a comma-separated
 * `platform` is misread by podman 4.3 as one architecture).
 */

import type { IncomingMessage } from 'node:http';

import { errorMessage } from '../../api/errors';
import { packBuildContext } from '../build-context';
import type { BuildOptions, BuildResult, BuildSink } from '../container-engine';
import { CancelledError, EngineError } from '../container-engine';
import { buildStepOf, describeBuildFailure, parseBuildEvent } from '../image-progress';
import { JsonLines } from '../json-lines';
import { splitRepositoryTag } from '../registry-auth';
import type { PodmanSocketClient } from './podman-socket-client';
import { COMPAT, exists, LIBPOD, normalizeId, readStream } from './podman-socket-client';

export async function socketBuild(
  client: PodmanSocketClient,
  engineName: string,
  options: BuildOptions,
  sink: BuildSink,
): Promise<BuildResult> {
  const signal = options.signal;
  const several = options.platforms.length > 1;
  if (several) await clearManifestName(client, options.tag, signal);
  const tar = await packBuildContext(options.contextDir, [], signal).catch((error: unknown) => {
    if (signal?.aborted) throw new CancelledError('The build was cancelled');
    throw new EngineError(`Reading the build context ${options.contextDir} failed: ${errorMessage(error)}`);
  });
  let tarFailure: unknown;
  tar.once('error', error => (tarFailure = error));
  let response: IncomingMessage;
  try {
    response = await client.stream({
      method: 'POST',
      path: `${COMPAT}/build`,
      query: {
        dockerfile: options.containerfile,
        t: several ? undefined : options.tag,
        manifest: several ? options.tag : undefined,
        platform: options.platforms,
        buildargs: Object.keys(options.buildArgs).length > 0 ? options.buildArgs : undefined,
        nocache: options.noCache || undefined,
        pull: options.pull || undefined,
        // A failed step's buildah working container is removed too (podman keeps it otherwise,
        // mounted, and it blocks deleting the base image).
        rm: true,
        forcerm: true,
      },
      file: tar,
      headers: { 'Content-Type': 'application/x-tar' },
      doing: `Building ${options.tag} on ${engineName}`,
      signal,
    });
  } catch (error) {
    tar.destroy();
    if (signal?.aborted) throw new CancelledError('The build was cancelled');
    if (tarFailure !== undefined) {
      throw new EngineError(`Reading the build context ${options.contextDir} failed: ${errorMessage(tarFailure)}`);
    }
    throw error;
  }

  let failure: string | undefined;
  let lastStep: string | undefined;
  let imageId: string | undefined;
  const log = (text: string) => {
    for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) {
      const step = buildStepOf(line);
      if (step) lastStep = step;
      sink.log(line);
    }
  };
  const lines = new JsonLines(value => {
    const event = parseBuildEvent(value);
    if (event.log !== undefined) log(event.log);
    if (event.imageId) imageId = event.imageId.replace(/^sha256:/, '');
    if (event.error !== undefined && failure === undefined) {
      failure = event.error;
      sink.log(`Error: ${event.error}`);
    }
  }, log);
  try {
    await readStream(response, chunk => lines.push(chunk), signal, `Building ${options.tag}`);
  } catch (error) {
    if (error instanceof CancelledError) throw new CancelledError('The build was cancelled');
    throw error;
  }
  lines.end();
  if (failure !== undefined) throw new EngineError(describeBuildFailure(failure, lastStep, options.platforms));
  if (!imageId) throw new EngineError(`The build of ${options.tag} ended without producing an image`);
  if (!several) return { imageId };

  // The manifest list's members, one per platform, in the order asked.
  const manifest = (await client.json({
    method: 'GET',
    path: `${LIBPOD}/manifests/${encodeURIComponent(options.tag)}/json`,
    doing: `Inspecting the manifest list ${options.tag}`,
  })) as { manifests?: { digest?: string; platform?: { os?: string; architecture?: string; variant?: string } }[] };
  // Inspecting a list's name answers with the local platform's member: the build's own id is the list's.
  const listId = imageId;
  const images = await client.json<unknown>({ method: 'GET', path: `${LIBPOD}/images/json`, doing: 'Listing images' });
  const byDigest = new Map<string, string>();
  for (const item of Array.isArray(images) ? images : []) {
    const image = item as { Id?: string; Digest?: string; RepoDigests?: string[] | null };
    if (!image.Id) continue;
    if (image.Digest) byDigest.set(image.Digest, normalizeId(image.Id));
    for (const repoDigest of image.RepoDigests ?? [])
      byDigest.set(repoDigest.slice(repoDigest.indexOf('@') + 1), normalizeId(image.Id));
  }
  const platformImages: { platform: string; imageId: string }[] = [];
  for (const platform of options.platforms) {
    const [os, arch, variant] = platform.split('/');
    const member = manifest.manifests?.find(
      m => m.platform?.os === os && m.platform?.architecture === arch && (!variant || m.platform?.variant === variant),
    );
    const memberId = member?.digest ? byDigest.get(member.digest) : undefined;
    if (!memberId)
      throw new EngineError(`The manifest list ${options.tag} has no image for ${platform} after the build`);
    platformImages.push({ platform, imageId: memberId });
  }
  return { imageId: listId, platformImages };
}

/**
 * Before a multi-platform build: podman adds to an existing list of the same name (stale members
 * would pile up) and refuses a plain image of that name, so either is removed first (a list only
 * loses its name; its member images stay).
 */
async function clearManifestName(client: PodmanSocketClient, name: string, signal?: AbortSignal): Promise<void> {
  if (!(await exists(client, 'images', name, signal))) return;
  const { repository, tag } = splitRepositoryTag(name);
  await client.json({
    method: 'POST',
    path: `${LIBPOD}/images/${encodeURIComponent(name)}/untag`,
    query: { repo: repository, tag },
    doing: `Removing the name ${name} before building the manifest list`,
    ok: [200, 201, 204],
    signal,
  });
}
