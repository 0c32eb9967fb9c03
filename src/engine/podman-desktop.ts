import type * as podmanDesktopApi from '@podman-desktop/api';

import { errorMessage } from '../api/errors';
import type {
  BuildOptions,
  BuildResult,
  BuildSink,
  ContainerEngine,
  EngineImage,
  EngineInfo,
  ImageDetails,
  ManifestDetails,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  TransferSink,
} from './container-engine';
import { EngineError } from './container-engine';
import type { PdContainerEngineApi, PdProviderApi } from './podman-desktop-images';
import { PdImageOperations } from './podman-desktop-images';

/** What the adapter reads of listing and inspecting; image operations need the rest of PdContainerEngineApi. */
type ContainerEngineApi = Pick<
  typeof podmanDesktopApi.containerEngine,
  'listImages' | 'listInfos' | 'getImageInspect' | 'inspectManifest'
> &
  Partial<PdContainerEngineApi>;

/**
 * The engine port over Podman Desktop's API: every engine Podman Desktop has running (local
 * podman, podman machines, remote connections, docker), told apart by the `engineId` Podman
 * Desktop puts on every row. The API object is passed in, so the adapter is tested against a mock
 * of the API's documented behaviour.
 */
export class PodmanDesktopEngine implements ContainerEngine {
  private readonly images: PdImageOperations;

  /**
   * `provider` (Podman Desktop's `provider` namespace) maps an engine id to its connection, which
   * pullImage and builds on a chosen engine need.
   */
  constructor(
    private readonly api: ContainerEngineApi,
    provider?: PdProviderApi,
  ) {
    this.images = new PdImageOperations(api as PdContainerEngineApi, provider);
  }

  buildImage(engineId: string, options: BuildOptions, sink: BuildSink): Promise<BuildResult> {
    return this.images.build(engineId, options, sink);
  }

  pushImage(engineId: string, ref: string, options: PushOptions, sink: TransferSink): Promise<PushResult> {
    return this.images.push(engineId, ref, options, sink);
  }

  pullImage(engineId: string, ref: string, options: PullOptions, sink: TransferSink): Promise<PullResult> {
    return this.images.pull(engineId, ref, options, sink);
  }

  tagImage(engineId: string, source: string, target: string): Promise<void> {
    return this.images.tag(engineId, source, target);
  }

  deleteImage(engineId: string, idOrRef: string): Promise<void> {
    return this.images.delete(engineId, idOrRef);
  }

  async listEngines(): Promise<EngineInfo[]> {
    const infos = await this.api.listInfos();
    return infos.map(info => ({ id: info.engineId, name: info.engineName, type: info.engineType }));
  }

  async listImages(): Promise<EngineImage[]> {
    const images = await this.api.listImages();
    return images.map(image => ({
      id: image.Id,
      engineId: image.engineId,
      engineName: image.engineName,
      repoTags: image.RepoTags ?? [],
      repoDigests: image.RepoDigests ?? [],
      labels: image.Labels ?? {},
      size: image.Size,
      // Docker and podman report seconds.
      created: image.Created * 1000,
      digest: image.Digest || undefined,
      arch: image.Arch || undefined,
      isManifestList: image.isManifest,
    }));
  }

  async inspectImage(engineId: string, idOrRef: string): Promise<ImageDetails> {
    const info = await this.api.getImageInspect(engineId, idOrRef).catch((err: unknown) => {
      throw new EngineError(`Cannot inspect image ${idOrRef}: ${errorMessage(err)}`);
    });
    return {
      id: info.Id,
      engineId,
      repoTags: info.RepoTags ?? [],
      repoDigests: info.RepoDigests ?? [],
      labels: info.Config?.Labels ?? {},
      arch: info.Architecture,
      os: info.Os,
      size: info.Size,
      created: Date.parse(info.Created),
      digest: digestOf(info.RepoDigests),
    };
  }

  async inspectManifest(engineId: string, idOrRef: string): Promise<ManifestDetails> {
    const info = await this.api.inspectManifest(engineId, idOrRef).catch((err: unknown) => {
      throw new EngineError(`Cannot inspect manifest list ${idOrRef}: ${errorMessage(err)}`);
    });
    return {
      engineId,
      members: (info.manifests ?? []).map(member => ({
        digest: member.digest,
        arch: member.platform.architecture,
        os: member.platform.os,
        variant: member.platform.variant,
      })),
    };
  }
}

function digestOf(repoDigests: string[] | undefined): string | undefined {
  const first = repoDigests?.[0];
  return first ? first.slice(first.indexOf('@') + 1) : undefined;
}
