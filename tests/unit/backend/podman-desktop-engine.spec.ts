import type { ImageInfo, ImageInspectInfo, ManifestInspectInfo } from '@podman-desktop/api';
import { describe, expect, test, vi } from 'vitest';

import { EngineError } from '../../../src/engine/container-engine';
import { PodmanDesktopEngine } from '../../../src/engine/podman-desktop';
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
