/**
 * Image builds, pushes, pulls, tags and deletes over one podman service, for the podman-socket
 * adapter. What podman 4.3 (Debian 12) and 5 answer, as found on a real service:
 *
 * - builds go to the Docker-compatible `/build`: one `platform` parameter per platform, and for
 *   several a `manifest` named after the tag (podman builds each and joins them in a manifest list;
 *   a comma-separated `platform` is misread by podman 4.3 as one architecture);
 * - pushes and pulls go to libpod's endpoints, the only ones that honour `tlsVerify` on podman 4;
 *   with `quiet=false` they stream `{stream: "Copying blob …"}` lines and errors as `{error}`
 *   (no byte counts on podman 4; Docker-style `progressDetail` where an engine sends it is used);
 * - a manifest list is pushed with libpod's manifest push (`all=true`), since the image push of a
 *   list sends only the local platform's member;
 * - deleting an image a container uses is refused with 409; the adapter names the containers.
 */

import type { IncomingMessage } from 'node:http';

import type {
  BuildOptions,
  BuildResult,
  BuildSink,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  TransferSink,
} from './container-engine';
import { CancelledError, EngineError, ImageInUseError } from './container-engine';
import { packContext } from './build-context';
import { describeBuildFailure, buildStepOf, parseBuildEvent, parseTransferEvent } from './image-progress';
import { JsonLines } from './json-lines';
import type { PodmanSocketClient } from './podman-socket-client';
import { readStream, SocketRequestError } from './podman-socket-client';
import { registryAuthHeader, registryOf, splitRepositoryTag } from './registry-auth';
import { toRegistryError } from './registry-errors';

const LIBPOD = '/v4.0.0/libpod';
const COMPAT = '/v1.41';

export async function socketBuild(
  client: PodmanSocketClient,
  engineName: string,
  options: BuildOptions,
  sink: BuildSink,
): Promise<BuildResult> {
  const signal = options.signal;
  const several = options.platforms.length > 1;
  if (several) await clearManifestName(client, options.tag, signal);
  const tar = await packContext(options.contextDir, signal).catch((error: unknown) => {
    if (signal?.aborted) throw new CancelledError('The build was cancelled');
    throw new EngineError(`Reading the build context ${options.contextDir} failed: ${messageOf(error)}`);
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
      throw new EngineError(`Reading the build context ${options.contextDir} failed: ${messageOf(tarFailure)}`);
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
  const exists = await client
    .json({
      method: 'GET',
      path: `${LIBPOD}/images/${encodeURIComponent(name)}/exists`,
      doing: `Looking up ${name}`,
      signal,
    })
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof SocketRequestError && error.statusCode === 404) return false;
        throw error;
      },
    );
  if (!exists) return;
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

export async function socketPush(
  client: PodmanSocketClient,
  engineName: string,
  ref: string,
  options: PushOptions,
  sink: TransferSink,
): Promise<PushResult> {
  const context = { operation: 'push' as const, ref, credentialsGiven: options.credentials !== undefined };
  const headers = authHeaders(ref, options);
  const isList = await isManifestList(client, ref, options.signal);
  if (isList) {
    sink.log(`Pushing the manifest list ${ref} with all its images`);
    try {
      const answer = await client.stream({
        method: 'POST',
        path: `${LIBPOD}/manifests/${encodeURIComponent(ref)}/registry/${encodeURIComponent(ref)}`,
        query: { all: true, tlsVerify: options.tlsVerify, quiet: false },
        headers,
        doing: `Pushing ${ref}`,
        signal: options.signal,
      });
      const result = await followTransfer(answer, sink, options.signal, `Pushing ${ref}`);
      if (result.error !== undefined) throw toRegistryError(result.error, context);
      return { digest: result.digest ?? result.id };
    } catch (error) {
      throw mapRequestError(error, context, engineName);
    }
  }
  let answer: IncomingMessage;
  try {
    answer = await client.stream({
      method: 'POST',
      path: `${LIBPOD}/images/${encodeURIComponent(ref)}/push`,
      query: { destination: ref, tlsVerify: options.tlsVerify, quiet: false },
      headers,
      doing: `Pushing ${ref}`,
      messages: { 404: `Image ${ref} not found on ${engineName}` },
      signal: options.signal,
    });
  } catch (error) {
    throw mapRequestError(error, context, engineName);
  }
  const result = await followTransfer(answer, sink, options.signal, `Pushing ${ref}`);
  if (result.error !== undefined) throw toRegistryError(result.error, context);
  return { digest: result.digest };
}

export async function socketPull(
  client: PodmanSocketClient,
  engineName: string,
  ref: string,
  options: PullOptions,
  sink: TransferSink,
): Promise<PullResult> {
  const context = { operation: 'pull' as const, ref, credentialsGiven: options.credentials !== undefined };
  const [os, arch, variant] = options.platform ? options.platform.split('/') : [];
  let answer: IncomingMessage;
  try {
    answer = await client.stream({
      method: 'POST',
      path: `${LIBPOD}/images/pull`,
      query: {
        reference: ref,
        tlsVerify: options.tlsVerify,
        policy: 'always',
        quiet: false,
        os: os || undefined,
        arch: arch || undefined,
        variant: variant || undefined,
      },
      headers: authHeaders(ref, options),
      doing: `Pulling ${ref} on ${engineName}`,
      signal: options.signal,
    });
  } catch (error) {
    throw mapRequestError(error, context, engineName);
  }
  const result = await followTransfer(answer, sink, options.signal, `Pulling ${ref}`);
  if (result.error !== undefined) throw toRegistryError(result.error, context);
  return { imageId: result.imageId };
}

export async function socketTag(
  client: PodmanSocketClient,
  engineName: string,
  source: string,
  target: string,
): Promise<void> {
  const { repository, tag } = splitRepositoryTag(target);
  await client.json({
    method: 'POST',
    path: `${COMPAT}/images/${encodeURIComponent(source)}/tag`,
    query: { repo: repository, tag },
    doing: `Tagging ${source} as ${target}`,
    messages: { 404: `Image ${source} not found on ${engineName}` },
  });
}

export async function socketDelete(client: PodmanSocketClient, engineName: string, idOrRef: string): Promise<void> {
  const image = (await client.json({
    method: 'GET',
    path: `${COMPAT}/images/${encodeURIComponent(idOrRef)}/json`,
    doing: `Inspecting image ${idOrRef}`,
    messages: { 404: `Image ${idOrRef} not found on ${engineName}` },
  })) as { Id?: string; RepoTags?: string[] | null };
  const fullId = normalizeId(image.Id ?? '');
  const users = await containersUsing(client, fullId);
  if (users.length > 0) throw inUse(idOrRef, users);
  // By id with several tags podman wants force; containers were checked above.
  const byId = normalizeId(idOrRef) === fullId || fullId.startsWith(normalizeId(idOrRef));
  try {
    await client.json({
      method: 'DELETE',
      path: `${COMPAT}/images/${encodeURIComponent(idOrRef)}`,
      query: { force: byId ? true : undefined },
      doing: `Deleting image ${idOrRef}`,
      messages: { 404: `Image ${idOrRef} not found on ${engineName}` },
    });
  } catch (error) {
    if (error instanceof SocketRequestError && error.statusCode === 409) {
      throw inUse(idOrRef, await containersUsing(client, fullId));
    }
    throw error;
  }
}

function inUse(idOrRef: string, containers: string[]): ImageInUseError {
  const names = containers.length > 0 ? containers.join(', ') : 'a container';
  return new ImageInUseError(
    `Image ${idOrRef} is used by ${containers.length === 1 ? 'container' : 'containers'} ${names}; remove ${containers.length === 1 ? 'it' : 'them'} first`,
    containers,
  );
}

async function containersUsing(client: PodmanSocketClient, imageId: string): Promise<string[]> {
  const raw = await client.json<unknown>({
    method: 'GET',
    path: `${COMPAT}/containers/json`,
    query: { all: true },
    doing: 'Listing containers',
  });
  if (!Array.isArray(raw)) return [];
  return raw
    .map(item => item as { Id?: string; Names?: string[]; ImageID?: string })
    .filter(container => normalizeId(container.ImageID ?? '') === imageId)
    .map(container => (container.Names?.[0] ?? container.Id?.slice(0, 12) ?? '?').replace(/^\//, ''));
}

function normalizeId(id: string): string {
  return id.replace(/^sha256:/, '');
}

async function isManifestList(client: PodmanSocketClient, ref: string, signal?: AbortSignal): Promise<boolean> {
  // exists/ is local only (manifests/{name}/json of podman 4 falls back to the registry).
  return client
    .json({
      method: 'GET',
      path: `${LIBPOD}/manifests/${encodeURIComponent(ref)}/exists`,
      doing: `Looking up ${ref}`,
      signal,
    })
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof SocketRequestError) return false;
        throw error;
      },
    );
}

function authHeaders(ref: string, options: PushOptions): Record<string, string> | undefined {
  if (!options.credentials) return undefined;
  return { 'X-Registry-Auth': registryAuthHeader(options.credentials, registryOf(ref) ?? 'docker.io') };
}

/** A refusal before the stream started: a registry's words become a RegistryError, the rest stays. */
function mapRequestError(error: unknown, context: Parameters<typeof toRegistryError>[1], engineName: string): unknown {
  if (error instanceof SocketRequestError && error.podmanMessage && error.statusCode !== 404) {
    const mapped = toRegistryError(error.podmanMessage, context);
    if (mapped.reason !== 'other') return mapped;
    return new EngineError(
      `${context.operation === 'push' ? 'Push' : 'Pull'} of ${context.ref} on ${engineName} failed: ${error.podmanMessage}`,
      error.statusCode,
    );
  }
  return error;
}

interface TransferOutcome {
  error?: string;
  digest?: string;
  imageId?: string;
  /** A manifest push's `{Id}`. */
  id?: string;
}

async function followTransfer(
  response: IncomingMessage,
  sink: TransferSink,
  signal: AbortSignal | undefined,
  doing: string,
): Promise<TransferOutcome> {
  const outcome: TransferOutcome = {};
  const lines = new JsonLines(
    value => {
      const event = parseTransferEvent(value);
      if (event.log !== undefined) for (const line of event.log.split(/\r?\n/)) sink.log(line);
      if (event.layer) sink.layer(event.layer);
      if (event.digest) outcome.digest = event.digest;
      if (event.imageId) outcome.imageId = event.imageId;
      if (event.error !== undefined && outcome.error === undefined) outcome.error = event.error;
      const id = (value as { Id?: unknown } | null)?.Id;
      if (typeof id === 'string' && id.startsWith('sha256:')) outcome.id = id;
    },
    text => sink.log(text),
  );
  await readStream(response, chunk => lines.push(chunk), signal, doing);
  lines.end();
  return outcome;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
