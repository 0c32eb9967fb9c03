/**
 * The parts of Podman Desktop's API the adapter uses, as it documents them (extension-api.d.ts).
 * Written out so the adapter's specs can stand in for them; passing the real `containerEngine` and
 * `provider` in podman-desktop.ts checks that they match.
 */
interface Disposable {
  dispose(): unknown;
}
export interface Connection {
  name: string;
  status(): string;
  /** The engine's socket (a named pipe on Windows), where Podman Desktop knows it. */
  endpoint?: { socketPath?: string };
  /** Set for a podman machine: its provider (`applehv`, `libkrun`, `wsl`, `hyperv`, `qemu`). */
  vmType?: string;
}
export interface CancellationToken {
  isCancellationRequested: boolean;
  onCancellationRequested(listener: (e: unknown) => unknown): Disposable;
}
export interface AuthInfo {
  username: string;
  password: string;
  serveraddress: string;
}

export interface PdContainerEngineApi {
  listImages(): Promise<{ engineId: string; RepoTags?: string[]; isManifest?: boolean }[]>;
  listInfos(options?: { provider?: Connection }): Promise<{ engineId: string }[]>;
  getImageInspect(engineId: string, id: string): Promise<{ Id: string; RepoTags?: string[] }>;
  inspectManifest(engineId: string, id: string): Promise<{ manifests: unknown[] }>;
  buildImage(
    containerBuildContextDirectory: string,
    eventCollect: (eventName: 'stream' | 'error' | 'finish', data: string) => void,
    options?: {
      containerFile?: string;
      tag?: string;
      platform?: string;
      provider?: Connection;
      abortController?: AbortController;
      buildargs?: { [key: string]: string };
      nocache?: boolean;
      pull?: boolean | string;
      rm?: boolean;
      forcerm?: boolean;
    },
  ): Promise<unknown>;
  pushImage(
    engineId: string,
    imageId: string,
    callback: (name: string, data: string) => void,
    authInfo?: AuthInfo,
  ): Promise<void>;
  pullImage(
    connection: Connection,
    imageName: string,
    callback: (event: object) => void,
    platform?: string,
    token?: CancellationToken,
  ): Promise<void>;
  tagImage(engineId: string, imageId: string, repo: string, tag?: string): Promise<void>;
  deleteImage(engineId: string, id: string): Promise<void>;
  listContainers(): Promise<{ engineId: string; Id: string; Names: string[]; ImageID: string }[]>;
  createManifest?(options: {
    name: string;
    images: string[];
    provider?: Connection;
  }): Promise<{ engineId: string; Id: string }>;
  pushManifest?(options: { name: string; destination: string; provider?: Connection }): Promise<void>;
  removeManifest?(engineId: string, id: string): Promise<void>;
}

export interface PdProviderApi {
  getContainerConnections(): { connection: Connection }[];
}
