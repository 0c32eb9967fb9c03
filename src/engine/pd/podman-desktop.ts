import type * as podmanDesktopApi from '@podman-desktop/api';

import { errorMessage } from '../../api/errors';
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
} from '../container-engine';
import { EngineError } from '../container-engine';
import type { ContainerSpec, ContainerSummary } from '../container-runtime';
import type { LibpodFacts, PdContainersApi } from './podman-desktop-containers';
import { PdContainers, readLibpodFacts } from './podman-desktop-containers';
import type { PdContainerEngineApi, PdProviderApi } from './podman-desktop-api';
import { PdImageOperations } from './podman-desktop-images';

/** What the adapter reads of listing and inspecting; image operations need the rest of PdContainerEngineApi. */
type ContainerEngineApi = Pick<
  typeof podmanDesktopApi.containerEngine,
  'listImages' | 'listInfos' | 'getImageInspect' | 'inspectManifest'
> &
  Partial<PdContainerEngineApi> &
  Partial<PdContainersApi>;

/** How long the graph root and rootful state read from an engine's socket are reused. */
const FACTS_TTL_MS = 60_000;

/**
 * The engine port over Podman Desktop's API: every engine Podman Desktop has running (local
 * podman, podman machines, remote connections, docker), told apart by the `engineId` Podman
 * Desktop puts on every row. The API object is passed in, so the adapter is tested against a mock
 * of the API's documented behaviour.
 */
export class PodmanDesktopEngine implements ContainerEngine {
  private readonly images: PdImageOperations;
  private readonly containers: PdContainers;
  private readonly facts = new Map<string, { at: number; facts: LibpodFacts | undefined }>();

  /**
   * `provider` (Podman Desktop's `provider` namespace) maps an engine id to its connection, which
   * pullImage and builds on a chosen engine need.
   */
  constructor(
    private readonly api: ContainerEngineApi,
    private readonly provider?: PdProviderApi,
    private readonly readFacts: (socketPath: string) => Promise<LibpodFacts | undefined> = readLibpodFacts,
  ) {
    this.images = new PdImageOperations(api as PdContainerEngineApi, provider);
    this.containers = new PdContainers(api as PdContainersApi);
  }

  createContainer(engineId: string, spec: ContainerSpec): Promise<string> {
    return this.containers.create(engineId, spec);
  }

  startContainer(engineId: string, id: string): Promise<void> {
    return this.containers.start(engineId, id);
  }

  followContainerLogs(
    engineId: string,
    id: string,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.containers.followLogs(engineId, id, onText, signal);
  }

  waitContainer(engineId: string, id: string, signal?: AbortSignal): Promise<number> {
    return this.containers.wait(engineId, id, signal);
  }

  /**
   * Podman Desktop's stopContainer takes no timeout: the one set when the container was created
   * applies. A stop "at once" (0, a cancel) is a forced removal, the one way its API kills.
   */
  stopContainer(engineId: string, id: string, timeoutSeconds?: number): Promise<void> {
    if (timeoutSeconds === 0) return this.containers.remove(engineId, id);
    return this.containers.stop(engineId, id);
  }

  removeContainer(engineId: string, id: string): Promise<void> {
    return this.containers.remove(engineId, id);
  }

  listContainers(engineId: string, label: string): Promise<ContainerSummary[]> {
    return this.containers.list(engineId, label);
  }

  inspectContainer(engineId: string, id: string): Promise<ContainerSummary> {
    return this.containers.inspect(engineId, id);
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

  untagImage(engineId: string, ref: string): Promise<void> {
    return this.images.untag(engineId, ref);
  }

  deleteImage(engineId: string, idOrRef: string): Promise<void> {
    return this.images.delete(engineId, idOrRef);
  }

  /**
   * Running engines, with the graph root and rootful state of podman engines read from their socket
   * (see podman-desktop-containers.ts); left out where the socket does not answer or is docker's.
   */
  async listEngines(): Promise<EngineInfo[]> {
    const infos = await this.api.listInfos();
    const sockets = infos.some(info => info.engineType === 'podman') ? await this.socketsByEngine() : new Map();
    return Promise.all(
      infos.map(async info => {
        const engine: EngineInfo = { id: info.engineId, name: info.engineName, type: info.engineType };
        const { socketPath, machine } = sockets.get(info.engineId) ?? {};
        if (machine) engine.machine = machine;
        const facts =
          info.engineType === 'podman' && socketPath ? await this.factsOf(info.engineId, socketPath) : undefined;
        if (facts?.graphRoot) engine.graphRoot = facts.graphRoot;
        if (facts?.rootful !== undefined) engine.rootful = facts.rootful;
        if (facts?.version) engine.version = facts.version;
        if (facts?.os) engine.os = facts.os;
        if (facts?.arch) engine.arch = facts.arch;
        return engine;
      }),
    );
  }

  /** engineId → the socket of the started connection that serves it, and its podman machine if it is one. */
  private async socketsByEngine(): Promise<Map<string, { socketPath: string; machine?: EngineInfo['machine'] }>> {
    const sockets = new Map<string, { socketPath: string; machine?: EngineInfo['machine'] }>();
    if (!this.provider) return sockets;
    for (const { connection } of this.provider.getContainerConnections()) {
      const socketPath = connection.endpoint?.socketPath;
      if (!socketPath || connection.status() !== 'started') continue;
      const machine = connection.vmType ? { name: connection.name, vmType: connection.vmType } : undefined;
      const served = await (this.api as PdContainerEngineApi).listInfos({ provider: connection }).catch(() => []);
      for (const info of served) sockets.set(info.engineId, { socketPath, ...(machine ? { machine } : {}) });
    }
    return sockets;
  }

  private async factsOf(engineId: string, socketPath: string): Promise<LibpodFacts | undefined> {
    const key = `${engineId}\n${socketPath}`;
    const cached = this.facts.get(key);
    if (cached && Date.now() - cached.at < FACTS_TTL_MS) return cached.facts;
    const facts = await this.readFacts(socketPath);
    // A busy podman may not answer libpod/info in time (many builders starting at once): that is no
    // answer, not "no graph root" — keep what it said last rather than losing it for a minute.
    if (!facts) return cached?.facts;
    this.facts.set(key, { at: Date.now(), facts });
    return facts;
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
      // Across Podman Desktop's IPC the status may survive only in the message.
      const status = (err as { statusCode?: unknown }).statusCode;
      const missing = /no such image|image not known|HTTP code 404/i.test(errorMessage(err));
      throw new EngineError(
        `Cannot inspect image ${idOrRef}: ${errorMessage(err)}`,
        typeof status === 'number' ? status : missing ? 404 : undefined,
      );
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
