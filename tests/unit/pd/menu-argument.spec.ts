import { describe, expect, test } from 'vitest';

import { buildFormRoute, parseRoute } from '../../../src/api/routes';
import { imageRefFromMenuArgument } from '../../../src/pd/commands';

describe('the Build Disk Image context-menu argument', () => {
  test('name and tag of the row become the image reference, with its engine', () => {
    expect(
      imageRefFromMenuArgument({
        id: 'sha256:1',
        name: 'quay.io/fedora/fedora-bootc',
        tag: '42',
        engineId: 'podman.machine',
      }),
    ).toEqual({ ref: 'quay.io/fedora/fedora-bootc:42', engineId: 'podman.machine' });
  });

  test('an untagged row falls back to the image id; a row with nothing usable gives undefined', () => {
    expect(imageRefFromMenuArgument({ id: 'sha256:1', name: '<none>', tag: '<none>' })).toEqual({
      ref: 'sha256:1',
      engineId: undefined,
    });
    expect(imageRefFromMenuArgument({ name: 42 })).toBeUndefined();
    expect(imageRefFromMenuArgument(undefined)).toBeUndefined();
  });

  test('the deep link round-trips through the route the page parses, even with ports and digests', () => {
    const ref = 'registry.local:5000/team/os@sha256:abc';
    expect(parseRoute(buildFormRoute(ref, 'podman.x'))).toEqual({
      path: '/disk-images/build',
      query: { image: ref, engine: 'podman.x' },
    });
  });
});
