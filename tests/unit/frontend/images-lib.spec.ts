import { describe, expect, test } from 'vitest';

import { compareImages, matchesSearch } from '../../../frontend/lib/images';
import { bootcImage, centosManifestList } from './fake-rpc';

describe('matchesSearch', () => {
  const fedora = bootcImage();
  const centos = centosManifestList();

  test('an empty or blank search matches everything', () => {
    expect(matchesSearch(fedora, '')).toBe(true);
    expect(matchesSearch(fedora, '   ')).toBe(true);
  });

  test.each([
    ['fedora-bootc', 'name'],
    ['FEDORA', 'name, case-insensitively'],
    ['42', 'tag'],
    ['bootc:42', 'full reference'],
    ['amd64', 'architecture'],
    ['podman', 'engine'],
  ])('"%s" matches on the %s', term => {
    expect(matchesSearch(fedora, term)).toBe(true);
  });

  test('matches any architecture of a manifest list', () => {
    expect(matchesSearch(centos, 'ppc64le')).toBe(true);
    expect(matchesSearch(fedora, 'ppc64le')).toBe(false);
  });

  test('does not match unrelated text', () => {
    expect(matchesSearch(fedora, 'ubuntu')).toBe(false);
  });
});

describe('compareImages', () => {
  test('orders by name, then tag, then engine', () => {
    const a = bootcImage({ name: 'quay.io/a', tag: '2', engineName: 'Podman' });
    const b = bootcImage({ name: 'quay.io/a', tag: '1', engineName: 'Podman' });
    const c = bootcImage({ name: 'quay.io/a', tag: '1', engineName: 'Docker' });
    const d = bootcImage({ name: 'localhost/z', tag: '9', engineName: 'Podman' });
    expect([a, b, c, d].sort(compareImages)).toEqual([d, c, b, a]);
  });
});
