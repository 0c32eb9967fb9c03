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
  PushOptions,
  TransferSink,
} from '../../../src/engine/container-engine';
import { CancelledError, EngineError } from '../../../src/engine/container-engine';
import { FakeContainers } from './fake-containers';

export const ENGINE: EngineInfo = {
  id: 'podman:/run/podman/podman.sock',
  name: 'podman (rootful)',
  type: 'podman',
  arch: 'amd64',
};

/**
 * A ContainerEngine whose image operations are scripted per test and which records every call,
 * so a test can say that nothing was started.
 */
export class FakeEngine extends FakeContainers implements ContainerEngine {
  images = new Map<string, Partial<ImageDetails>>();
  onBuild: (options: BuildOptions, sink: BuildSink, attempt: number) => Promise<BuildResult> = async (
    options,
    sink,
  ) => {
    sink.log('STEP 1/1: FROM quay.io/fedora/fedora-bootc:42');
    this.images.set('built', { arch: 'amd64', labels: { 'containers.bootc': '1' } });
    void options;
    return { imageId: 'built' };
  };
  onPush: (ref: string, options: PushOptions, sink: TransferSink) => Promise<{ digest?: string }> = async () => ({});
  onPull: (ref: string, options: PullOptions, sink: TransferSink) => Promise<{ imageId?: string }> = async () => ({
    imageId: 'pulled',
  });
  #builds = 0;

  async listEngines() {
    return [ENGINE];
  }
  async listImages(): Promise<EngineImage[]> {
    return [];
  }
  async inspectImage(engineId: string, idOrRef: string): Promise<ImageDetails> {
    const found = this.images.get(idOrRef);
    if (!found) throw new EngineError(`Image ${idOrRef} not found`, 404);
    return {
      id: idOrRef,
      engineId,
      repoTags: [],
      repoDigests: [],
      labels: {},
      arch: 'amd64',
      os: 'linux',
      size: 0,
      created: 0,
      ...found,
    };
  }
  async inspectManifest(_engineId: string, idOrRef: string): Promise<ManifestDetails> {
    throw new EngineError(`${idOrRef} is not a manifest list`);
  }
  async buildImage(engineId: string, options: BuildOptions, sink: BuildSink) {
    this.calls.push({ method: 'buildImage', args: [engineId, options] });
    return this.onBuild(options, sink, ++this.#builds);
  }
  async pushImage(engineId: string, ref: string, options: PushOptions, sink: TransferSink) {
    this.calls.push({ method: 'pushImage', args: [engineId, ref, options] });
    return this.onPush(ref, options, sink);
  }
  async pullImage(engineId: string, ref: string, options: PullOptions, sink: TransferSink) {
    this.calls.push({ method: 'pullImage', args: [engineId, ref, options] });
    return this.onPull(ref, options, sink);
  }
  async tagImage(engineId: string, source: string, target: string) {
    this.calls.push({ method: 'tagImage', args: [engineId, source, target] });
  }
  async untagImage(engineId: string, ref: string) {
    this.calls.push({ method: 'untagImage', args: [engineId, ref] });
  }
  async deleteImage(engineId: string, idOrRef: string) {
    this.calls.push({ method: 'deleteImage', args: [engineId, idOrRef] });
  }

  started(): string[] {
    return this.calls.map(call => call.method);
  }
}

/** Resolves when `signal` aborts, rejecting the way adapters do. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(new CancelledError('cancelled')), { once: true });
  });
}
