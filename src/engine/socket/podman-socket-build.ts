/**
 * Image builds over one podman service, for the podman-socket adapter. Builds go to the
 * Docker-compatible `/build`: one `platform` parameter per platform, and for several a `manifest`
 * named after the tag (podman builds each and joins them in a manifest list; a comma-separated
 * `platform` is misread by podman 4.3 as one architecture).
 */

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

import { errorMessage } from '../../api/errors';
import type { ExtraContextFile } from '../build-context';
import { packBuildContext } from '../build-context';
import type { BuildOptions, BuildResult, BuildSink } from '../container-engine';
import { CancelledError, EngineError } from '../container-engine';
import { buildStepOf, describeBuildFailure, parseBuildEvent } from '../image-progress';
import { JsonLines } from '../json-lines';
import { splitRepositoryTag } from '../registry-auth';
import type { PodmanSocketClient, QueryValue } from './podman-socket-client';
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
  let response: IncomingMessage;
  try {
    response = await openBuildStream(client, {
      contextDir: options.contextDir,
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
      doing: `Building ${options.tag} on ${engineName}`,
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw new CancelledError('The build was cancelled');
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

export interface BuildStreamRequest {
  contextDir: string;
  /** Files from outside the context added to its tar (a Containerfile kept elsewhere). */
  extraFiles?: readonly ExtraContextFile[];
  /** The Docker-compatible build's query (dockerfile, t, platform, buildargs, …). */
  query: Record<string, QueryValue>;
  /** What is being done, for messages: `Building localhost/x:1`. */
  doing: string;
  signal?: AbortSignal;
}

/**
 * The build request, for this adapter and standalone mode's container engine: the context tarred
 * (root-owned entries) and streamed to the Docker-compatible `/build`; resolves with the open
 * build stream. A context that cannot be read, before or during the upload, is named as the cause
 * ("Reading the build context … failed"), not reported as the engine's failure; an abort is the
 * client's own error.
 */
export async function openBuildStream(
  client: PodmanSocketClient,
  request: BuildStreamRequest,
): Promise<IncomingMessage> {
  const { contextDir, signal } = request;
  const contextFailure = (error: unknown) =>
    new EngineError(`Reading the build context ${contextDir} failed: ${errorMessage(error)}`);
  let tar: Readable;
  try {
    tar = await packBuildContext(contextDir, request.extraFiles ?? [], signal);
  } catch (error) {
    throw contextFailure(error);
  }
  let tarFailure: unknown;
  tar.once('error', error => (tarFailure = error));
  try {
    return await client.stream({
      method: 'POST',
      path: `${COMPAT}/build`,
      query: request.query,
      file: tar,
      headers: { 'Content-Type': 'application/x-tar' },
      doing: request.doing,
      signal,
    });
  } catch (error) {
    tar.destroy();
    if (tarFailure !== undefined && !signal?.aborted) throw contextFailure(tarFailure);
    throw error;
  }
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
