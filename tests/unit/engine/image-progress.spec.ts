import { describe, expect, test } from 'vitest';

import {
  buildStepOf,
  describeBuildFailure,
  imageIdFromBuildLog,
  layerFromCopyLine,
  parseBuildEvent,
  parseTransferEvent,
} from '../../../src/engine/image-progress';

const BLOB = 'sha256:ceb9421f1bd61ca214719b9a5d3b2f1e7c2bf16b175329c282a6db0c5e4b6018';
const DIGEST = 'sha256:66f913298b69e6206510e6624f42caeeddb142d6f81f0e1f507e1a95432763a4';

describe('parseTransferEvent', () => {
  test("Docker's push progress: byte counts per layer, then Pushed, then the digest", () => {
    expect(parseTransferEvent({ status: 'Preparing', progressDetail: {}, id: 'a1b2c3d4e5f6' })).toEqual({
      log: 'a1b2c3d4e5f6: Preparing',
      layer: { id: 'a1b2c3d4e5f6', status: 'Preparing' },
    });
    // Byte ticks update the layer without flooding the log.
    expect(
      parseTransferEvent({
        status: 'Pushing',
        progressDetail: { current: 512, total: 2048 },
        progress: '[=====>   ]',
        id: 'a1b2c3d4e5f6',
      }),
    ).toEqual({ layer: { id: 'a1b2c3d4e5f6', status: 'Pushing', current: 512, total: 2048 } });
    expect(parseTransferEvent({ status: 'Pushed', progressDetail: {}, id: 'a1b2c3d4e5f6' }).layer).toEqual({
      id: 'a1b2c3d4e5f6',
      status: 'Pushed',
      done: true,
    });
    expect(parseTransferEvent({ status: 'Layer already exists', id: 'ffffffffffff' }).layer?.done).toBe(true);
    expect(parseTransferEvent({ status: `1: digest: ${DIGEST} size: 528` })).toEqual({
      log: `1: digest: ${DIGEST} size: 528`,
      digest: DIGEST,
    });
    // podman 4's compat push says "latest: digest: …" and names no layers.
    expect(parseTransferEvent({ status: `latest: digest: ${DIGEST} size: 343` }).digest).toBe(DIGEST);
  });

  test("Docker's pull progress: a reference line is not a layer; download and extract", () => {
    expect(parseTransferEvent({ status: 'Pulling from fedora/fedora-bootc', id: '42' })).toEqual({
      log: '42: Pulling from fedora/fedora-bootc',
    });
    expect(
      parseTransferEvent({ status: 'Downloading', progressDetail: { current: 10, total: 0 }, id: 'abcdefabcdef' })
        .layer,
    ).toEqual({ id: 'abcdefabcdef', status: 'Downloading', current: 10 });
    expect(parseTransferEvent({ status: 'Download complete', id: 'abcdefabcdef' }).layer?.done).toBe(true);
    expect(parseTransferEvent({ status: 'Pull complete', id: 'abcdefabcdef' }).layer?.done).toBe(true);
  });

  test("podman's libpod streams: Copying blob lines are layers; the pull's final object names the image", () => {
    expect(parseTransferEvent({ stream: `Copying blob ${BLOB}\n` })).toEqual({
      log: `Copying blob ${BLOB}`,
      layer: { id: 'ceb9421f1bd6', status: 'Copying' },
    });
    expect(parseTransferEvent({ stream: `Copying blob ${BLOB} done\n` }).layer).toEqual({
      id: 'ceb9421f1bd6',
      status: 'Done',
      done: true,
    });
    expect(parseTransferEvent({ stream: `Copying blob ${BLOB} skipped: already exists\n` }).layer?.done).toBe(true);
    expect(parseTransferEvent({ stream: 'Copying config sha256:ab7d\n' })).toEqual({
      log: 'Copying config sha256:ab7d',
    });
    expect(parseTransferEvent({ images: ['ab7d'], id: 'ab7debf6650e' })).toEqual({ imageId: 'ab7debf6650e' });
    expect(parseTransferEvent({ manifestdigest: DIGEST }).digest).toBe(DIGEST);
  });

  test('errors, in either shape, win over everything else', () => {
    expect(parseTransferEvent({ error: 'unauthorized: authentication required\n' })).toEqual({
      error: 'unauthorized: authentication required',
    });
    expect(parseTransferEvent({ errorDetail: { message: 'denied' }, progressDetail: {} })).toEqual({ error: 'denied' });
    expect(parseTransferEvent('not an object')).toEqual({});
  });
});

test('layerFromCopyLine ignores lines that are not blob copies', () => {
  expect(layerFromCopyLine('Writing manifest to image destination')).toBeUndefined();
  expect(layerFromCopyLine('Copying blob nothex')).toBeUndefined();
});

describe('build events', () => {
  test('stream text, the aux image id, and a failing step', () => {
    expect(parseBuildEvent({ stream: 'STEP 1/2: FROM x\n' })).toEqual({ log: 'STEP 1/2: FROM x\n' });
    expect(parseBuildEvent({ aux: { ID: 'sha256:abc' } })).toEqual({ imageId: 'sha256:abc' });
    expect(
      parseBuildEvent({
        errorDetail: { message: 'building at STEP "RUN false": while running runtime: exit status 1\n' },
        error: 'building at STEP "RUN false": while running runtime: exit status 1\n',
      }),
    ).toEqual({ error: 'building at STEP "RUN false": while running runtime: exit status 1' });
  });

  test('buildStepOf finds steps, with the platform prefix of multi-platform builds', () => {
    expect(buildStepOf('STEP 3/5: RUN dnf -y install httpd')).toBe('STEP 3/5: RUN dnf -y install httpd');
    expect(buildStepOf('[linux/arm64] STEP 1/3: FROM scratch')).toBe('[linux/arm64] STEP 1/3: FROM scratch');
    expect(buildStepOf('--> 0bd5e430f64')).toBeUndefined();
  });

  test('imageIdFromBuildLog: the last full id line, else Successfully built', () => {
    const full = 'f83012696d769db26dd87821a73442012aee8011144d027f50244abce41020e7';
    expect(imageIdFromBuildLog(['COMMIT x', full, 'Successfully built f83012696d76', 'Successfully tagged x'])).toBe(
      'f83012696d76',
    );
    expect(imageIdFromBuildLog([full, 'Successfully tagged x'])).toBe(full);
    expect(imageIdFromBuildLog(['STEP 1/1: FROM x'])).toBeUndefined();
  });

  test('describeBuildFailure keeps the step podman names, adds the last step otherwise, explains exec format errors', () => {
    expect(
      describeBuildFailure(
        'building at STEP "RUN false": while running runtime: exit status 1',
        'STEP 2/2: RUN false',
        [],
      ),
    ).toBe('building at STEP "RUN false": while running runtime: exit status 1');
    expect(describeBuildFailure('exit status 2', '[linux/amd64] STEP 2/3: RUN make', [])).toBe(
      'STEP 2/3: RUN make failed: exit status 2',
    );
    const foreign = describeBuildFailure(
      'building at STEP "RUN ls": while running runtime: exec format error',
      undefined,
      ['linux/arm64'],
    );
    expect(foreign).toContain('linux/arm64');
    expect(foreign).toContain('qemu-user-static');
  });
});
