/**
 * Image builds, pushes, pulls, tags and deletes over Podman Desktop's `containerEngine`, with its
 * documented semantics handled here so the core sees one behaviour:
 *
 * - `buildImage` reports a failing step as an `'error'` event and may still resolve: any error
 *   event fails the build, with that step's message;
 * - `pushImage` resolves once the stream is open: the push ends at `callback('end')`, and registry
 *   errors arrive as JSON inside `'data'` chunks; the full tag is passed so Podman Desktop applies
 *   the credentials saved in its registry settings;
 * - `pullImage` takes a connection, not an engine id, and a CancellationToken;
 * - `deleteImage` is forced: an image a container uses is refused here first;
 * - there is no untag: `deleteImage` with a tag reference untags while other tags remain;
 * - several platforms: one build per platform, joined with `createManifest`; a manifest list is
 *   pushed with `pushManifest` (an image push sends only the local platform's member).
 */

import { errorMessage } from '../../api/errors';
import type {
  BuildOptions,
  BuildResult,
  BuildSink,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  TransferSink,
} from '../container-engine';
import { CancelledError, EngineError, RegistryError } from '../container-engine';
import { containersUsing, imageInUseError } from '../image-in-use';
import { buildStepOf, describeBuildFailure, imageIdFromBuildLog, TransferReport } from '../image-progress';
import { JsonLines } from '../json-lines';
import { registryOf, splitRepositoryTag } from '../registry-auth';
import { registryOrEngineError, toRegistryError } from '../registry-errors';
import type {
  AuthInfo,
  CancellationToken,
  Connection,
  PdContainerEngineApi,
  PdProviderApi,
} from './podman-desktop-api';

export class PdImageOperations {
  constructor(
    private readonly api: PdContainerEngineApi,
    private readonly provider: PdProviderApi | undefined,
  ) {}

  async build(engineId: string, options: BuildOptions, sink: BuildSink): Promise<BuildResult> {
    const provider = await this.connectionFor(engineId);
    const several = options.platforms.length > 1;
    if (!several) {
      const imageId = await this.buildOne(engineId, options, options.platforms[0], options.tag, provider, sink);
      return { imageId };
    }
    const createManifest = this.optional('createManifest', 'build for several platforms');
    const platformImages: { platform: string; imageId: string }[] = [];
    for (const platform of options.platforms) {
      sink.log(`Building for ${platform}`);
      platformImages.push({
        platform,
        imageId: await this.buildOne(engineId, options, platform, undefined, provider, sink),
      });
    }
    await this.clearName(engineId, options.tag);
    sink.log(`Joining ${platformImages.length} images in the manifest list ${options.tag}`);
    const created = await createManifest({
      name: options.tag,
      images: platformImages.map(member => `containers-storage:${member.imageId}`),
      provider,
    }).catch((error: unknown) => {
      throw new EngineError(`Creating the manifest list ${options.tag} failed: ${errorMessage(error)}`);
    });
    return { imageId: created.Id.replace(/^sha256:/, ''), platformImages };
  }

  private async buildOne(
    engineId: string,
    options: BuildOptions,
    platform: string,
    tag: string | undefined,
    provider: Connection | undefined,
    sink: BuildSink,
  ): Promise<string> {
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) abortController.abort();
    let failure: string | undefined;
    let lastStep: string | undefined;
    const lines: string[] = [];
    let partial = '';
    const logLine = (line: string) => {
      const step = buildStepOf(line);
      if (step) lastStep = step;
      lines.push(line);
      if (lines.length > 200) lines.splice(0, lines.length - 200);
      sink.log(line);
    };
    try {
      await this.api.buildImage(
        options.contextDir,
        (eventName, data) => {
          if (eventName === 'stream') {
            const text = partial + data;
            const parts = text.split(/\r?\n/);
            partial = parts.pop() ?? '';
            for (const line of parts) logLine(line);
          } else if (eventName === 'error') {
            if (failure === undefined) failure = data;
            sink.log(`Error: ${data.trim()}`);
          }
        },
        {
          containerFile: options.containerfile,
          tag,
          platform,
          buildargs: options.buildArgs,
          nocache: options.noCache,
          pull: options.pull,
          // A failed step's working container is removed too (else it stays mounted and blocks
          // deleting the base image).
          rm: true,
          forcerm: true,
          provider,
          abortController,
        },
      );
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError('The build was cancelled');
      throw new EngineError(
        failure !== undefined ? describeBuildFailure(failure, lastStep, [platform]) : errorMessage(error),
      );
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (partial.trim() !== '') logLine(partial);
    }
    if (options.signal?.aborted) throw new CancelledError('The build was cancelled');
    if (failure !== undefined) throw new EngineError(describeBuildFailure(failure, lastStep, [platform]));
    if (tag) {
      // The tag names the result for certain; the log's id is the fallback.
      const inspected = await this.api.getImageInspect(engineId, tag).catch(() => undefined);
      if (inspected?.Id) return inspected.Id.replace(/^sha256:/, '');
    }
    const id = imageIdFromBuildLog(lines);
    if (!id) throw new EngineError(`The build${tag ? ` of ${tag}` : ''} for ${platform} ended without naming an image`);
    return id;
  }

  async push(engineId: string, ref: string, options: PushOptions, sink: TransferSink): Promise<PushResult> {
    return this.pushThrough(engineId, ref, options, sink).catch((error: unknown) => {
      // Podman Desktop's push has no TLS setting: said only when TLS is what failed, so a push that
      // worked is not contradicted by a note about the Verify TLS choice.
      if (error instanceof RegistryError && error.reason === 'tls' && options.tlsVerify === false) {
        throw new RegistryError(
          `${error.message} (Podman Desktop's push cannot turn TLS verification off: list the registry as insecure in the engine's registries.conf)`,
          error.reason,
        );
      }
      throw error;
    });
  }

  private async pushThrough(
    engineId: string,
    ref: string,
    options: PushOptions,
    sink: TransferSink,
  ): Promise<PushResult> {
    const context = { operation: 'push' as const, ref, credentialsGiven: options.credentials !== undefined };
    if (await this.isManifestList(engineId, ref)) {
      const pushManifest = this.optional('pushManifest', 'push a manifest list');
      sink.log(`Pushing the manifest list ${ref} with all its images`);
      const provider = await this.connectionFor(engineId);
      await pushManifest({ name: ref, destination: ref, provider }).catch((error: unknown) => {
        throw registryOrEngineError(errorMessage(error), context);
      });
      return {};
    }

    const report = new TransferReport(pushedTagNamed(ref, sink));
    const lines = new JsonLines(
      value => report.event(value),
      text => report.text(text),
    );
    let ended!: () => void;
    const end = new Promise<void>(resolve => (ended = resolve));
    const authInfo: AuthInfo | undefined = options.credentials
      ? {
          username: options.credentials.username,
          password: options.credentials.password,
          serveraddress: registryOf(ref) ?? 'docker.io',
        }
      : undefined;
    let finished = false;
    try {
      await this.api.pushImage(
        engineId,
        ref,
        (name, data) => {
          if (finished) return;
          if (name === 'data') lines.push(data);
          else if (name === 'end') {
            lines.end();
            ended();
          }
        },
        authInfo,
      );
    } catch (error) {
      throw registryOrEngineError(errorMessage(error), context);
    }
    // pushImage resolved as the stream opened; the push ends at 'end' (or when cancelled).
    const cancelled = new Promise<'cancelled'>(resolve => {
      if (options.signal?.aborted) resolve('cancelled');
      options.signal?.addEventListener('abort', () => resolve('cancelled'), { once: true });
    });
    const how = await Promise.race([end.then(() => 'ended' as const), cancelled]);
    finished = true;
    if (how === 'cancelled') {
      throw new CancelledError(
        `Push of ${ref} cancelled (Podman Desktop cannot stop a push it started; the engine may still finish it)`,
      );
    }
    if (report.error !== undefined) throw toRegistryError(report.error, context);
    return { digest: report.digest };
  }

  async pull(engineId: string, ref: string, options: PullOptions, sink: TransferSink): Promise<PullResult> {
    const context = { operation: 'pull' as const, ref, credentialsGiven: false };
    const connection = await this.connectionFor(engineId);
    if (!connection) throw new EngineError(`No running container connection for engine ${engineId}`);
    const report = new TransferReport(sink);
    const listeners = new Set<() => void>();
    const token: CancellationToken = {
      get isCancellationRequested() {
        return options.signal?.aborted ?? false;
      },
      onCancellationRequested: (listener: (e: unknown) => unknown) => {
        const run = () => listener(undefined);
        listeners.add(run);
        options.signal?.addEventListener('abort', run, { once: true });
        return {
          dispose: () => {
            listeners.delete(run);
            options.signal?.removeEventListener('abort', run);
          },
        };
      },
    };
    try {
      await this.api.pullImage(connection, ref, event => report.event(event), options.platform, token);
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError(`Pull of ${ref} cancelled`);
      throw registryOrEngineError(report.error ?? errorMessage(error), context);
    } finally {
      for (const listener of listeners) options.signal?.removeEventListener('abort', listener);
    }
    if (report.error !== undefined) throw toRegistryError(report.error, context);
    const inspected = await this.api.getImageInspect(engineId, ref).catch(() => undefined);
    return { imageId: inspected?.Id?.replace(/^sha256:/, '') };
  }

  async tag(engineId: string, source: string, target: string): Promise<void> {
    const { repository, tag } = splitRepositoryTag(target);
    await this.api.tagImage(engineId, source, repository, tag).catch((error: unknown) => {
      throw new EngineError(`Tagging ${source} as ${target} failed: ${errorMessage(error)}`);
    });
  }

  /**
   * Podman Desktop's API has no untag. Its `deleteImage` with a tag reference is the engine's
   * `DELETE /images/{name}`, which both podman and Docker answer by untagging only, while the image
   * has other tags; so this removes a tag that way, after checking the image keeps others, and
   * then checks that the image is still there.
   */
  async untag(engineId: string, ref: string): Promise<void> {
    const image = await this.api.getImageInspect(engineId, ref).catch((error: unknown) => {
      throw new EngineError(`Cannot remove the tag ${ref}: ${errorMessage(error)}`);
    });
    const tags = (image.RepoTags ?? []).filter(tag => !tag.startsWith('<none>'));
    if (!tags.includes(ref)) {
      throw new EngineError(`${ref} is not a tag of its image; the image's tags are ${tags.join(', ') || 'none'}`);
    }
    if (tags.length === 1) {
      throw new EngineError(`${ref} is the image's only tag: removing it would delete the image`);
    }
    await this.api.deleteImage(engineId, ref).catch((error: unknown) => {
      throw new EngineError(`Removing the tag ${ref} failed: ${errorMessage(error)}`);
    });
    const after = await this.api.getImageInspect(engineId, image.Id).catch(() => undefined);
    if (!after) throw new EngineError(`Removing the tag ${ref} removed the image ${image.Id} too`);
  }

  async delete(engineId: string, idOrRef: string): Promise<void> {
    const image = await this.api.getImageInspect(engineId, idOrRef).catch((error: unknown) => {
      throw new EngineError(`Cannot delete ${idOrRef}: ${errorMessage(error)}`);
    });
    await this.refuseIfUsed(engineId, idOrRef, image.Id);
    await this.api.deleteImage(engineId, idOrRef).catch((error: unknown) => {
      throw new EngineError(`Deleting ${idOrRef} failed: ${errorMessage(error)}`);
    });
  }

  private async refuseIfUsed(engineId: string, idOrRef: string, imageId: string): Promise<void> {
    const containers = await this.api.listContainers();
    const users = containersUsing(
      containers.filter(container => container.engineId === engineId),
      imageId,
    );
    if (users.length > 0) throw imageInUseError(idOrRef, users);
  }

  /** Before joining a manifest list under `name`: an existing list or image of that name gives it up. */
  private async clearName(engineId: string, name: string): Promise<void> {
    const existing = await this.api.getImageInspect(engineId, name).catch(() => undefined);
    if (!existing) return;
    if (await this.isManifestList(engineId, name)) {
      const removeManifest = this.optional('removeManifest', 'replace a manifest list');
      await removeManifest(engineId, name);
      return;
    }
    await this.refuseIfUsed(engineId, name, existing.Id);
    await this.api.deleteImage(engineId, name);
  }

  private async isManifestList(engineId: string, ref: string): Promise<boolean> {
    const images = await this.api.listImages().catch(() => []);
    const row = images.find(image => image.engineId === engineId && image.RepoTags?.includes(ref));
    if (row?.isManifest !== undefined) return row.isManifest;
    if (!row) return false;
    return this.api.inspectManifest(engineId, ref).then(
      info => Array.isArray(info.manifests),
      () => false,
    );
  }

  /**
   * The connection Podman Desktop runs `engineId` on: the started connection whose listInfos
   * answers with that id. Undefined when no provider API was given (Podman Desktop then picks).
   */
  private async connectionFor(engineId: string): Promise<Connection | undefined> {
    if (!this.provider) return undefined;
    for (const { connection } of this.provider.getContainerConnections()) {
      if (connection.status() !== 'started') continue;
      const infos = await this.api.listInfos({ provider: connection }).catch(() => []);
      if (infos.some(info => info.engineId === engineId)) return connection;
    }
    throw new EngineError(`No running container connection serves engine ${engineId}`);
  }

  /** A containerEngine function older Podman Desktops (and the stand-in) may not have. */
  private optional<K extends 'createManifest' | 'pushManifest' | 'removeManifest'>(
    name: K,
    purpose: string,
  ): NonNullable<PdContainerEngineApi[K]> {
    let fn: PdContainerEngineApi[K] | undefined;
    try {
      fn = this.api[name];
    } catch {
      fn = undefined;
    }
    if (typeof fn !== 'function') {
      throw new EngineError(`This Podman Desktop cannot ${purpose}: its API has no containerEngine.${name}`);
    }
    return fn.bind(this.api) as NonNullable<PdContainerEngineApi[K]>;
  }
}

/**
 * The Docker-compatible push is asked for the whole reference with no `tag` parameter (as Podman
 * Desktop asks), so podman ends with "latest: digest: …" whatever the tag: the line names the tag pushed.
 */
export function pushedTagNamed(ref: string, sink: TransferSink): TransferSink {
  if (ref.includes('@')) return sink;
  const { tag } = splitRepositoryTag(ref);
  return {
    log: line => sink.log(line.replace(/^latest: digest:/, `${tag}: digest:`)),
    layer: update => sink.layer(update),
  };
}
