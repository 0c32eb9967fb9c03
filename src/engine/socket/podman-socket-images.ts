/**
 * Image pushes, pulls, tags and deletes over one podman service, for the podman-socket adapter
 * (builds: podman-socket-build.ts). What podman 4.3 (Debian 12) and 5 answer, as found on a real service:
 *
 * - pushes and pulls go to libpod's endpoints, the only ones that honour `tlsVerify` on podman 4;
 *   with `quiet=false` they stream `{stream: "Copying blob …"}` lines and errors as `{error}`
 *   (no byte counts on podman 4; Docker-style `progressDetail` where an engine sends it is used);
 * - a manifest list is pushed with libpod's manifest push (`all=true`), since the image push of a
 *   list sends only the local platform's member;
 * - deleting an image a container uses is refused with 409; the adapter names the containers;
 * - a compat `DELETE` by reference (forced too, podman 4.3) removes only that tag while others remain;
 *   untag uses libpod's `POST /images/{name}/untag`, which never removes the image.
 */

import type { IncomingMessage } from 'node:http';

import type { PullOptions, PullResult, PushOptions, PushResult, TransferSink } from '../container-engine';
import { EngineError } from '../container-engine';
import { containersUsing, imageInUseError } from '../image-in-use';
import { TransferReport } from '../image-progress';
import { JsonLines } from '../json-lines';
import type { PodmanSocketClient, SocketRequest } from './podman-socket-client';
import { COMPAT, exists, LIBPOD, normalizeId, readStream, SocketRequestError } from './podman-socket-client';
import { registryAuthHeader, registryOf, splitRepositoryTag } from '../registry-auth';
import type { RegistryErrorContext } from '../registry-errors';
import { registryOrEngineError, toRegistryError } from '../registry-errors';

export async function socketPush(
  client: PodmanSocketClient,
  engineName: string,
  ref: string,
  options: PushOptions,
  sink: TransferSink,
): Promise<PushResult> {
  const context = { operation: 'push' as const, ref, credentialsGiven: options.credentials !== undefined };
  const isList = await exists(client, 'manifests', ref, options.signal);
  if (isList) sink.log(`Pushing the manifest list ${ref} with all its images`);
  const name = encodeURIComponent(ref);
  const result = await transfer(
    client,
    {
      method: 'POST',
      path: isList ? `${LIBPOD}/manifests/${name}/registry/${name}` : `${LIBPOD}/images/${name}/push`,
      query: { ...(isList ? { all: true } : { destination: ref }), tlsVerify: options.tlsVerify, quiet: false },
      headers: authHeaders(ref, options),
      doing: `Pushing ${ref}`,
      messages: isList ? undefined : { 404: `Image ${ref} not found on ${engineName}` },
      signal: options.signal,
    },
    context,
    engineName,
    sink,
  );
  // A manifest push answers with the list's `{Id}` where the registry's digest is not reported.
  if (isList) return { digest: result.digest ?? result.listId };
  return { digest: result.digest ?? (await pushedDigest(client, ref, options, sink)) };
}

/**
 * podman 4's libpod push reports no digest. The Docker-compatible push of the same reference, with
 * its tag named, answers "TAG: digest: sha256:…": every blob and the manifest are already there, so
 * it uploads nothing new. Undefined when that second answer fails (the push itself succeeded).
 */
async function pushedDigest(
  client: PodmanSocketClient,
  ref: string,
  options: PushOptions,
  sink: TransferSink,
): Promise<string | undefined> {
  if (ref.includes('@')) return undefined;
  const { repository, tag } = splitRepositoryTag(ref);
  const report = new TransferReport({
    log: line => (/: digest: /.test(line) ? sink.log(line) : undefined),
    layer: () => {},
  });
  try {
    const response = await client.stream(
      compatPushRequest(repository, {
        tag,
        tlsVerify: options.tlsVerify,
        headers: authHeaders(ref, options),
        doing: `Reading the digest of ${ref}`,
        signal: options.signal,
      }),
    );
    const lines = new JsonLines(
      value => report.event(value),
      () => {},
    );
    await readStream(response, chunk => lines.push(chunk), options.signal, `Reading the digest of ${ref}`);
    lines.end();
  } catch {
    return undefined;
  }
  return report.error === undefined ? report.digest : undefined;
}

export async function socketPull(
  client: PodmanSocketClient,
  engineName: string,
  ref: string,
  options: PullOptions,
  sink: TransferSink,
): Promise<PullResult> {
  const context = { operation: 'pull' as const, ref, credentialsGiven: options.credentials !== undefined };
  const result = await transfer(
    client,
    libpodPullRequest(ref, {
      tlsVerify: options.tlsVerify,
      platform: options.platform,
      quiet: false,
      headers: authHeaders(ref, options),
      doing: `Pulling ${ref} on ${engineName}`,
      signal: options.signal,
    }),
    context,
    engineName,
    sink,
  );
  return { imageId: result.imageId };
}

/**
 * The Docker-compatible push of `name` (a repository, or a whole reference when `tag` is left out):
 * progress in Docker's JSON shape, the digest in its last status line. Podman honours `tlsVerify`
 * on it. This adapter uses it for the digest podman 4's libpod push does not report; standalone
 * mode's container engine for its pushes, because it is the push Podman Desktop makes.
 */
export function compatPushRequest(
  name: string,
  options: {
    tag?: string;
    tlsVerify?: boolean;
    headers?: Record<string, string>;
    doing: string;
    messages?: SocketRequest['messages'];
    signal?: AbortSignal;
  },
): SocketRequest {
  return {
    method: 'POST',
    path: `${COMPAT}/images/${encodeURIComponent(name)}/push`,
    query: { tag: options.tag, tlsVerify: options.tlsVerify },
    headers: options.headers,
    doing: options.doing,
    messages: options.messages,
    signal: options.signal,
  };
}

/**
 * libpod's pull of `ref`, for this adapter and standalone mode's container engine: always from the
 * registry, the platform (`linux/arm64/v8`) split into os, arch and variant. The only pull that
 * honours `tlsVerify` on podman 4 (its Docker-compatible one ignores it).
 */
export function libpodPullRequest(
  ref: string,
  options: {
    tlsVerify?: boolean;
    platform?: string;
    /** Undefined leaves podman's default. */
    quiet?: boolean;
    headers?: Record<string, string>;
    doing: string;
    signal?: AbortSignal;
  },
): SocketRequest {
  const [os, arch, variant] = options.platform ? options.platform.split('/') : [];
  return {
    method: 'POST',
    path: `${LIBPOD}/images/pull`,
    query: {
      reference: ref,
      tlsVerify: options.tlsVerify,
      policy: 'always',
      quiet: options.quiet,
      os: os || undefined,
      arch: arch || undefined,
      variant: variant || undefined,
    },
    headers: options.headers,
    doing: options.doing,
    signal: options.signal,
  };
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

/**
 * Removes one tag with libpod's untag, which leaves the image and its other tags (a compat
 * `DELETE` by reference does the same, but removes the image with its last tag).
 */
export async function socketUntag(client: PodmanSocketClient, engineName: string, ref: string): Promise<void> {
  const image = (await client.json({
    method: 'GET',
    path: `${COMPAT}/images/${encodeURIComponent(ref)}/json`,
    doing: `Inspecting image ${ref}`,
    messages: { 404: `Image ${ref} not found on ${engineName}` },
  })) as { RepoTags?: string[] | null };
  const tags = (image.RepoTags ?? []).filter(tag => !tag.startsWith('<none>'));
  if (!tags.includes(ref)) {
    throw new EngineError(`${ref} is not a tag on ${engineName}; the image's tags are ${tags.join(', ') || 'none'}`);
  }
  if (tags.length === 1) {
    throw new EngineError(`${ref} is the image's only tag: removing it would delete the image`);
  }
  const { repository, tag } = splitRepositoryTag(ref);
  await client.json({
    method: 'POST',
    path: `${LIBPOD}/images/${encodeURIComponent(ref)}/untag`,
    query: { repo: repository, tag },
    doing: `Removing the tag ${ref}`,
    messages: { 404: `Image ${ref} not found on ${engineName}` },
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
  const users = await containersOf(client, fullId);
  if (users.length > 0) throw imageInUseError(idOrRef, users);
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
      throw imageInUseError(idOrRef, await containersOf(client, fullId));
    }
    throw error;
  }
}

/** The containers, stopped ones included, made from `imageId`. */
async function containersOf(client: PodmanSocketClient, imageId: string): Promise<string[]> {
  const raw = await client.json<unknown>({
    method: 'GET',
    path: `${COMPAT}/containers/json`,
    query: { all: true },
    doing: 'Listing containers',
  });
  return Array.isArray(raw) ? containersUsing(raw, imageId) : [];
}

function authHeaders(ref: string, options: PushOptions): Record<string, string> | undefined {
  if (!options.credentials) return undefined;
  const serveraddress = registryOf(ref) ?? 'docker.io';
  return { 'X-Registry-Auth': registryAuthHeader({ ...options.credentials, serveraddress }) };
}

/** A refusal before the stream started: a registry's words become a RegistryError, the rest stays. */
function mapRequestError(error: unknown, context: RegistryErrorContext, engineName: string): unknown {
  if (error instanceof SocketRequestError && error.podmanMessage && error.statusCode !== 404) {
    return registryOrEngineError(error.podmanMessage, context, { name: engineName, statusCode: error.statusCode });
  }
  return error;
}

/**
 * Starts a push or pull stream and follows it to its end, reporting to `sink`. A registry's refusal,
 * before the stream or in it, is one RegistryError. Resolves with what the stream named.
 */
async function transfer(
  client: PodmanSocketClient,
  request: SocketRequest,
  context: RegistryErrorContext,
  engineName: string,
  sink: TransferSink,
): Promise<{ digest?: string; imageId?: string; listId?: string }> {
  let response: IncomingMessage;
  try {
    response = await client.stream(request);
  } catch (error) {
    throw mapRequestError(error, context, engineName);
  }
  const report = new TransferReport(sink);
  let listId: string | undefined;
  const lines = new JsonLines(
    value => {
      report.event(value);
      const id = (value as { Id?: unknown } | null)?.Id;
      if (typeof id === 'string' && id.startsWith('sha256:')) listId = id;
    },
    text => report.text(text),
  );
  const doing = `${context.operation === 'push' ? 'Pushing' : 'Pulling'} ${context.ref}`;
  await readStream(response, chunk => lines.push(chunk), request.signal, doing);
  lines.end();
  if (report.error !== undefined) throw toRegistryError(report.error, context);
  return { digest: report.digest, imageId: report.imageId, listId };
}
