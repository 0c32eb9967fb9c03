import type { ImageInfo, ImageInspectInfo, ManifestInspectInfo } from '@podman-desktop/api';
import { describe, expect, test, vi } from 'vitest';

import { CancelledError, EngineError, ImageInUseError, RegistryError } from '../../../src/engine/container-engine';
import { PodmanDesktopEngine } from '../../../src/engine/pd/podman-desktop';
import { listBootcImages } from '../../../src/images/bootc-images';

// Rows shaped as Podman Desktop's containerEngine.listImages() documents them: one engine id per
// connection, Created in seconds, RepoTags possibly undefined, `isManifest` on manifest lists.
function imageInfo(partial: Partial<ImageInfo>): ImageInfo {
  return {
    engineId: 'podman.podman-machine-default',
    engineName: 'Podman',
    engineType: 'podman',
    Id: 'sha256:aaa',
    ParentId: '',
    RepoTags: undefined,
    Created: 1_700_000_000,
    Size: 1000,
    VirtualSize: 1000,
    SharedSize: 0,
    Labels: {},
    Containers: 0,
    Digest: '',
    ...partial,
  };
}

function mockApi(
  images: ImageInfo[],
  inspect: Record<string, Partial<ImageInspectInfo>>,
  manifests: Record<string, ManifestInspectInfo>,
) {
  return {
    listImages: vi.fn(async () => images),
    listInfos: vi.fn(async () => [
      { engineId: 'podman.podman-machine-default', engineName: 'Podman', engineType: 'podman' as const },
      { engineId: 'docker.docker', engineName: 'Docker', engineType: 'docker' as const },
    ]),
    getImageInspect: vi.fn(async (_engineId: string, id: string) => {
      const found = inspect[id];
      if (!found) throw new Error(`no such image: ${id}`);
      return found as ImageInspectInfo;
    }),
    inspectManifest: vi.fn(async (_engineId: string, id: string) => {
      const found = manifests[id];
      if (!found) throw new Error(`${id}: not a manifest list`);
      return found;
    }),
  };
}

describe('PodmanDesktopEngine', () => {
  test('maps image rows to the port: seconds to ms, missing tags and labels to empty', async () => {
    const engine = new PodmanDesktopEngine(
      mockApi([imageInfo({ Id: 'sha256:x', RepoTags: undefined, Labels: undefined as never, Arch: 'arm64' })], {}, {}),
    );
    const [row] = await engine.listImages();
    expect(row).toMatchObject({
      id: 'sha256:x',
      engineId: 'podman.podman-machine-default',
      repoTags: [],
      labels: {},
      created: 1_700_000_000_000,
      arch: 'arm64',
      isManifestList: undefined,
    });
  });

  test('lists every running engine Podman Desktop reports', async () => {
    const engine = new PodmanDesktopEngine(mockApi([], {}, {}));
    expect(await engine.listEngines()).toEqual([
      { id: 'podman.podman-machine-default', name: 'Podman', type: 'podman' },
      { id: 'docker.docker', name: 'Docker', type: 'docker' },
    ]);
  });

  test('a failed inspect becomes an EngineError naming the image', async () => {
    const engine = new PodmanDesktopEngine(mockApi([], {}, {}));
    const err = await engine.inspectImage('podman.podman-machine-default', 'quay.io/x/y:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toContain('quay.io/x/y:1');
  });

  test('bootc discovery over Podman Desktop rows: labelled images, arch from inspect, manifest lists', async () => {
    const api = mockApi(
      [
        imageInfo({ Id: 'sha256:base', RepoTags: ['quay.io/x/base:1'], Labels: {}, Size: 5_000_000 }),
        imageInfo({
          Id: 'sha256:amd',
          RepoTags: ['quay.io/x/os:1-amd64'],
          RepoDigests: ['quay.io/x/os@sha256:d1'],
          Labels: { 'containers.bootc': '1' },
          Size: 900,
          Created: 1_700_000_100,
        }),
        imageInfo({
          Id: 'sha256:arm',
          RepoTags: ['quay.io/x/os:1-arm64'],
          RepoDigests: ['quay.io/x/os@sha256:d2'],
          Labels: { 'ostree.bootable': 'true' },
          Size: 800,
          Created: 1_700_000_050,
        }),
        imageInfo({
          Id: 'sha256:list',
          RepoTags: ['quay.io/x/os:1'],
          isManifest: true,
          Size: 0,
          Created: 1_700_000_200,
        }),
        imageInfo({ Id: 'sha256:other-list', RepoTags: ['quay.io/x/app:1'], isManifest: true, Size: 0 }),
      ],
      {
        'sha256:amd': { Architecture: 'amd64', Os: 'linux' },
        'sha256:arm': { Architecture: 'arm64', Os: 'linux' },
      },
      {
        'quay.io/x/os:1': manifest([
          ['sha256:d1', 'amd64'],
          ['sha256:d2', 'arm64'],
        ]),
        'quay.io/x/app:1': manifest([['sha256:unrelated', 'amd64']]),
      },
    );
    const images = await listBootcImages(new PodmanDesktopEngine(api));
    expect(images.map(image => [image.ref, image.architectures, image.isManifestList])).toEqual([
      ['quay.io/x/os:1', ['amd64', 'arm64'], true],
      ['quay.io/x/os:1-amd64', ['amd64'], false],
      ['quay.io/x/os:1-arm64', ['arm64'], false],
    ]);
    expect(images[0].size).toBe(1700);
    // The unlabelled base image is never inspected: only bootc images need their architecture.
    expect(api.getImageInspect).not.toHaveBeenCalledWith(expect.anything(), 'sha256:base');
  });
});

function manifest(members: [digest: string, arch: string][]): ManifestInspectInfo {
  return {
    engineId: 'podman.podman-machine-default',
    engineName: 'Podman',
    mediaType: 'application/vnd.oci.image.index.v1+json',
    schemaVersion: 2,
    manifests: members.map(([digest, architecture]) => ({
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 500,
      platform: { architecture, os: 'linux' },
    })),
  };
}

/**
 * Image operations over Podman Desktop's documented semantics (extension-api.d.ts and
 * container-registry.ts): buildImage reports failing steps as 'error' events and still resolves;
 * pushImage resolves when the stream opens, ends at callback('end') and carries registry errors as
 * JSON in 'data'; pullImage takes a connection and a CancellationToken; deleteImage is forced.
 */
describe('PodmanDesktopEngine image operations', () => {
  const ENGINE_ID = 'podman.podman-machine-default';
  const connection = {
    name: 'podman-machine-default',
    type: 'podman' as const,
    endpoint: { socketPath: '/s' },
    status: () => 'started' as const,
  };
  const sink = () => {
    const logs: string[] = [];
    const layers: unknown[] = [];
    return { logs, layers, log: (line: string) => logs.push(line), layer: (update: unknown) => layers.push(update) };
  };

  function imageApi(overrides: Record<string, unknown> = {}) {
    return {
      listImages: vi.fn(async () => [] as ImageInfo[]),
      listInfos: vi.fn(async () => [{ engineId: ENGINE_ID, engineName: 'Podman', engineType: 'podman' as const }]),
      getImageInspect: vi.fn(
        async (_engineId: string, id: string) => ({ Id: `sha256:id-of-${id}` }) as ImageInspectInfo,
      ),
      inspectManifest: vi.fn(async () => {
        throw new Error('not a manifest list');
      }),
      buildImage: vi.fn(),
      pushImage: vi.fn(),
      pullImage: vi.fn(),
      tagImage: vi.fn(async () => undefined),
      deleteImage: vi.fn(async () => undefined),
      listContainers: vi.fn(async () => []),
      ...overrides,
    };
  }
  const provider = { getContainerConnections: () => [{ providerId: 'podman', connection }] };

  const buildOptions = {
    contextDir: '/ctx',
    containerfile: 'Containerfile',
    tag: 'quay.io/me/os:1',
    platforms: ['linux/amd64'],
    buildArgs: { A: '1' },
    noCache: true,
    pull: false,
  };

  test('a build that reports an error event fails with the step, although buildImage resolved', async () => {
    const api = imageApi({
      buildImage: vi.fn(async (_context: string, collect: (name: string, data: string) => void) => {
        collect('stream', 'STEP 1/2: FROM quay.io/fedora/fedora-bootc:42\nSTEP 2/2: RUN fa');
        collect('stream', 'lse\n');
        collect('error', 'building at STEP "RUN false": while running runtime: exit status 1');
        collect('finish', '');
        return [];
      }),
    });
    const out = sink();
    const error = await new PodmanDesktopEngine(api, provider)
      .buildImage(ENGINE_ID, buildOptions, out)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe('building at STEP "RUN false": while running runtime: exit status 1');
    // Lines split across stream events are joined.
    expect(out.logs).toContain('STEP 2/2: RUN false');
    expect(api.buildImage).toHaveBeenCalledWith('/ctx', expect.any(Function), {
      containerFile: 'Containerfile',
      tag: 'quay.io/me/os:1',
      platform: 'linux/amd64',
      buildargs: { A: '1' },
      nocache: true,
      pull: false,
      // A failed step's working container is removed too.
      rm: true,
      forcerm: true,
      provider: connection,
      abortController: expect.any(AbortController),
    });
  });

  test('a successful build answers with the id of the tag', async () => {
    const api = imageApi({
      buildImage: vi.fn(async (_context: string, collect: (name: string, data: string) => void) => {
        collect('stream', 'Successfully built abcdefabcdef\n');
        return [];
      }),
    });
    const result = await new PodmanDesktopEngine(api, provider).buildImage(ENGINE_ID, buildOptions, sink());
    expect(result).toEqual({ imageId: 'id-of-quay.io/me/os:1' });
  });

  test('cancelling a build aborts Podman Desktop’s AbortController', async () => {
    let controller: AbortController | undefined;
    const api = imageApi({
      buildImage: vi.fn(
        (_context: string, _collect: unknown, options: { abortController: AbortController }) =>
          new Promise((_resolve, reject) => {
            controller = options.abortController;
            controller.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      ),
    });
    const abort = new AbortController();
    const build = new PodmanDesktopEngine(api, provider).buildImage(
      ENGINE_ID,
      { ...buildOptions, signal: abort.signal },
      sink(),
    );
    await new Promise(resolve => setImmediate(resolve));
    abort.abort();
    await expect(build).rejects.toBeInstanceOf(CancelledError);
    expect(controller?.signal.aborted).toBe(true);
  });

  test('several platforms: one untagged build each, joined with createManifest; without it, a clear error', async () => {
    let built = 0;
    const buildImage = vi.fn(
      async (_context: string, collect: (name: string, data: string) => void, _options?: { platform?: string }) => {
        collect('stream', `${String(++built).repeat(64)}\n`);
        return [];
      },
    );
    const createManifest = vi.fn(async () => ({ engineId: ENGINE_ID, Id: 'sha256:list' }));
    const api = imageApi({
      buildImage,
      createManifest,
      getImageInspect: vi.fn(async () => {
        throw new Error('no such image');
      }),
    });
    const result = await new PodmanDesktopEngine(api, provider).buildImage(
      ENGINE_ID,
      { ...buildOptions, platforms: ['linux/amd64', 'linux/arm64'] },
      sink(),
    );
    expect(buildImage.mock.calls.map(call => call[2])).toMatchObject([
      { platform: 'linux/amd64', tag: undefined },
      { platform: 'linux/arm64', tag: undefined },
    ]);
    expect(createManifest).toHaveBeenCalledWith({
      name: 'quay.io/me/os:1',
      images: [`containers-storage:${'1'.repeat(64)}`, `containers-storage:${'2'.repeat(64)}`],
      provider: connection,
    });
    expect(result).toEqual({
      imageId: 'list',
      platformImages: [
        { platform: 'linux/amd64', imageId: '1'.repeat(64) },
        { platform: 'linux/arm64', imageId: '2'.repeat(64) },
      ],
    });

    const without = imageApi({ buildImage });
    await expect(
      new PodmanDesktopEngine(without, provider).buildImage(
        ENGINE_ID,
        { ...buildOptions, platforms: ['linux/amd64', 'linux/arm64'] },
        sink(),
      ),
    ).rejects.toThrow(/cannot build for several platforms: its API has no containerEngine.createManifest/);
  });

  test('push: waits for end although pushImage resolved at once; passes the full tag and credentials', async () => {
    let callback!: (name: string, data: string) => void;
    const api = imageApi({
      pushImage: vi.fn(async (_engineId: string, _tag: string, cb: (name: string, data: string) => void) => {
        callback = cb;
      }),
    });
    const out = sink();
    let settled = false;
    const push = new PodmanDesktopEngine(api, provider)
      .pushImage(ENGINE_ID, 'quay.io/me/os:1', { credentials: { username: 'me', password: 'pw' } }, out)
      .finally(() => (settled = true));
    await new Promise(resolve => setImmediate(resolve));
    expect(api.pushImage).toHaveBeenCalledWith(ENGINE_ID, 'quay.io/me/os:1', expect.any(Function), {
      username: 'me',
      password: 'pw',
      serveraddress: 'quay.io',
    });
    callback('first-message', '');
    callback('data', '{"status":"Pushing","progressDetail":{"current":5,"total":10},"id":"aaaaaaaaaaaa"}\n{"sta');
    callback('data', 'tus":"1: digest: sha256:' + 'a'.repeat(64) + ' size: 1"}\n');
    await new Promise(resolve => setImmediate(resolve));
    expect(settled).toBe(false);
    callback('end', '');
    expect(await push).toEqual({ digest: `sha256:${'a'.repeat(64)}` });
    expect(out.layers).toEqual([{ id: 'aaaaaaaaaaaa', status: 'Pushing', current: 5, total: 10 }]);
  });

  test('push: podman\'s "latest: digest:" line names the tag actually pushed', async () => {
    const api = imageApi({
      pushImage: vi.fn(async (_e: string, _t: string, cb: (name: string, data: string) => void) => {
        setImmediate(() => {
          cb('data', '{"status":"latest: digest: sha256:' + 'b'.repeat(64) + ' size: 1"}\n');
          cb('end', '');
        });
      }),
    });
    const out = sink();
    await new PodmanDesktopEngine(api, provider).pushImage(ENGINE_ID, 'quay.io/me/os:1', {}, out);
    expect(out.logs).toContain(`1: digest: sha256:${'b'.repeat(64)} size: 1`);
    expect(out.logs.join('\n')).not.toContain('latest:');
  });

  test('push: a push that worked says nothing of TLS, whatever the Verify TLS choice', async () => {
    const api = imageApi({
      pushImage: vi.fn(async (_e: string, _t: string, cb: (name: string, data: string) => void) => {
        setImmediate(() => {
          cb('data', '{"status":"latest: digest: sha256:' + 'c'.repeat(64) + ' size: 1"}\n');
          cb('end', '');
        });
      }),
    });
    const out = sink();
    await new PodmanDesktopEngine(api, provider).pushImage(ENGINE_ID, 'quay.io/me/os:1', { tlsVerify: false }, out);
    expect(out.logs.join('\n')).not.toMatch(/TLS/);
  });

  test('push: a TLS failure with Verify TLS off says Podman Desktop cannot turn it off', async () => {
    const api = imageApi({
      pushImage: vi.fn(async (_e: string, _t: string, cb: (name: string, data: string) => void) => {
        setImmediate(() => {
          cb('data', '{"error":"http: server gave HTTP response to HTTPS client"}\n');
          cb('end', '');
        });
      }),
    });
    await expect(
      new PodmanDesktopEngine(api, provider).pushImage(ENGINE_ID, 'quay.io/me/os:1', { tlsVerify: false }, sink()),
    ).rejects.toThrow(/cannot turn TLS verification off/);
  });

  test('push: a registry error inside a data chunk becomes one RegistryError at the end', async () => {
    const api = imageApi({
      pushImage: vi.fn(async (_e: string, _t: string, cb: (name: string, data: string) => void) => {
        setImmediate(() => {
          cb(
            'data',
            '{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}\n',
          );
          cb('end', '');
        });
      }),
    });
    const error = await new PodmanDesktopEngine(api, provider)
      .pushImage(ENGINE_ID, 'quay.io/me/os:1', {}, sink())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ reason: 'authentication-required' });
    expect((error as Error).message).toMatch(/^Push of quay.io\/me\/os:1 failed: quay.io requires authentication/);
  });

  test('push of a manifest list goes through pushManifest', async () => {
    const pushManifest = vi.fn(async () => undefined);
    const api = imageApi({
      pushManifest,
      listImages: vi.fn(async () => [
        imageInfo({ engineId: ENGINE_ID, RepoTags: ['quay.io/me/os:1'], isManifest: true }),
      ]),
    });
    await new PodmanDesktopEngine(api, provider).pushImage(ENGINE_ID, 'quay.io/me/os:1', {}, sink());
    expect(pushManifest).toHaveBeenCalledWith({
      name: 'quay.io/me/os:1',
      destination: 'quay.io/me/os:1',
      provider: connection,
    });
    expect(api.pushImage).not.toHaveBeenCalled();
  });

  test('pull: on the engine’s connection, with the platform and a token that cancels', async () => {
    let token!: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): { dispose(): void } };
    const api = imageApi({
      pullImage: vi.fn(
        (_c: unknown, _name: string, cb: (event: object) => void, _platform: string, t: typeof token) =>
          new Promise<void>((resolve, reject) => {
            token = t;
            cb({ status: 'Downloading', progressDetail: { current: 1, total: 4 }, id: 'bbbbbbbbbbbb' });
            t.onCancellationRequested(() => reject(new Error('cancelled by token')));
            void resolve;
          }),
      ),
    });
    const abort = new AbortController();
    const out = sink();
    const pull = new PodmanDesktopEngine(api, provider).pullImage(
      ENGINE_ID,
      'quay.io/me/os:1',
      { platform: 'linux/arm64', signal: abort.signal },
      out,
    );
    await new Promise(resolve => setImmediate(resolve));
    expect(api.pullImage).toHaveBeenCalledWith(
      connection,
      'quay.io/me/os:1',
      expect.any(Function),
      'linux/arm64',
      expect.anything(),
    );
    expect(out.layers).toEqual([{ id: 'bbbbbbbbbbbb', status: 'Downloading', current: 1, total: 4 }]);
    expect(token.isCancellationRequested).toBe(false);
    abort.abort();
    await expect(pull).rejects.toBeInstanceOf(CancelledError);
    expect(token.isCancellationRequested).toBe(true);
  });

  test('pull: Podman Desktop’s refusal is named', async () => {
    const api = imageApi({
      pullImage: vi.fn(async () => {
        throw new Error(
          'access to image "quay.io/me/os:1" is denied (401 error). Can also be that the registry requires authentication.',
        );
      }),
    });
    await expect(
      new PodmanDesktopEngine(api, provider).pullImage(ENGINE_ID, 'quay.io/me/os:1', {}, sink()),
    ).rejects.toThrow(/quay.io requires authentication/);
  });

  test('delete refuses an image a container of that engine uses (Podman Desktop’s delete is forced)', async () => {
    const api = imageApi({
      listContainers: vi.fn(async () => [
        { engineId: ENGINE_ID, Id: 'c1', Names: ['/web'], ImageID: 'sha256:id-of-quay.io/me/os:1' },
        { engineId: 'docker.docker', Id: 'c2', Names: ['/other'], ImageID: 'sha256:id-of-quay.io/me/os:1' },
      ]),
    });
    const engine = new PodmanDesktopEngine(api, provider);
    const error = await engine.deleteImage(ENGINE_ID, 'quay.io/me/os:1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageInUseError);
    expect((error as Error).message).toBe('Image quay.io/me/os:1 is used by container web; remove it first');
    expect(api.deleteImage).not.toHaveBeenCalled();

    api.listContainers.mockResolvedValue([]);
    await engine.deleteImage(ENGINE_ID, 'quay.io/me/os:1');
    expect(api.deleteImage).toHaveBeenCalledWith(ENGINE_ID, 'quay.io/me/os:1');
  });

  test('untag: Podman Desktop has none, so deleteImage with the tag, only while the image keeps other tags', async () => {
    const tags = ['localhost/os:1', '127.0.0.1:5000/os:1'];
    const inspected: Record<string, ImageInspectInfo | undefined> = {
      'localhost/os:1': { Id: 'sha256:os', RepoTags: tags } as ImageInspectInfo,
      'localhost/lonely:1': { Id: 'sha256:lonely', RepoTags: ['localhost/lonely:1'] } as ImageInspectInfo,
      'sha256:os': { Id: 'sha256:os', RepoTags: ['127.0.0.1:5000/os:1'] } as ImageInspectInfo,
    };
    const api = imageApi({
      getImageInspect: vi.fn(async (_engineId: string, id: string) => {
        const found = inspected[id];
        if (!found) throw new Error(`no such image ${id}`);
        return found;
      }),
    });
    const engine = new PodmanDesktopEngine(api, provider);
    await engine.untagImage(ENGINE_ID, 'localhost/os:1');
    expect(api.deleteImage).toHaveBeenCalledWith(ENGINE_ID, 'localhost/os:1');
    expect(api.getImageInspect).toHaveBeenLastCalledWith(ENGINE_ID, 'sha256:os');

    api.deleteImage.mockClear();
    await expect(engine.untagImage(ENGINE_ID, 'localhost/lonely:1')).rejects.toThrow(
      "localhost/lonely:1 is the image's only tag: removing it would delete the image",
    );
    expect(api.deleteImage).not.toHaveBeenCalled();

    // An engine that removed the image with the tag is not hidden.
    inspected['sha256:os'] = undefined;
    await expect(engine.untagImage(ENGINE_ID, 'localhost/os:1')).rejects.toThrow(
      'Removing the tag localhost/os:1 removed the image sha256:os too',
    );
  });

  test('tag splits the target into repository and tag, a registry port kept', async () => {
    const api = imageApi();
    await new PodmanDesktopEngine(api, provider).tagImage(ENGINE_ID, 'sha256:abc', 'registry.lan:5000/me/os:2');
    expect(api.tagImage).toHaveBeenCalledWith(ENGINE_ID, 'sha256:abc', 'registry.lan:5000/me/os', '2');
  });
});
