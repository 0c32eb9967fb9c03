/**
 * `rpm-ostree status --json` read into the panel's words, on samples shaped like real output:
 * a Fedora CoreOS-like host from a container image with a staged update and a rollback, layered
 * packages, overrides and removals (package tuples as rpm-ostree writes them); a Silverblue-like
 * host on an ostree remote (no container origin) with a newer, not staged, deployment; null and
 * missing fields; a cached update; what is not a status. Then the ostree image references.
 */

import { describe, expect, test } from 'vitest';

import { StatusParseError } from '../../../src/day2/bootc-status';
import { offersApplyLive, parseOstreeImageReference, parseRpmOstreeStatus } from '../../../src/day2/rpm-ostree-status';

const tuple = (nevra: string, name: string) => [nevra, name, 0, '1', '1.fc41', 'x86_64'];

const coreosLike = {
  deployments: [
    {
      id: 'fedora-coreos-bbbb2222.0',
      osname: 'fedora-coreos',
      serial: 0,
      checksum: 'bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222',
      version: '41.20261201.3.0',
      timestamp: 1764547200,
      'container-image-reference': 'ostree-unverified-registry:quay.io/fedora/fedora-coreos:stable',
      'container-image-reference-digest': 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
      booted: false,
      staged: true,
      pinned: false,
      'requested-packages': ['htop', 'vim-enhanced'],
      packages: ['htop', 'vim-enhanced'],
      'requested-local-packages': [],
      'requested-base-removals': ['nano'],
      'base-removals': [tuple('nano-7.2-3.fc41.x86_64', 'nano')],
      'requested-base-local-replacements': [],
      'base-local-replacements': [
        [tuple('kernel-6.12.1-100.fc41.x86_64', 'kernel'), tuple('kernel-6.11.9-200.fc41.x86_64', 'kernel')],
      ],
      'base-remote-replacements': {},
      unlocked: 'none',
      'regenerate-initramfs': false,
    },
    {
      id: 'fedora-coreos-aaaa1111.0',
      osname: 'fedora-coreos',
      checksum: 'aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111',
      version: '41.20261115.3.0',
      timestamp: 1763164800,
      'container-image-reference': 'ostree-unverified-registry:quay.io/fedora/fedora-coreos:stable',
      'container-image-reference-digest': 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
      booted: true,
      staged: false,
      pinned: true,
      'requested-packages': ['htop'],
      packages: ['htop'],
      'requested-local-packages': ['my-tool-1.0-1.x86_64'],
      'base-removals': [],
      'requested-base-removals': [],
      'base-local-replacements': [],
      'requested-base-local-replacements': [],
      'live-replaced': 'bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222',
    },
    {
      id: 'fedora-coreos-9999.0',
      osname: 'fedora-coreos',
      checksum: '9999999999999999999999999999999999999999999999999999999999999999',
      version: '41.20261101.3.0',
      timestamp: 1761955200,
      'container-image-reference': 'ostree-image-signed:docker://quay.io/fedora/fedora-coreos:stable',
      'container-image-reference-digest': 'sha256:9999999999999999999999999999999999999999999999999999999999999999',
      booted: false,
      staged: false,
      pinned: false,
      'requested-packages': [],
      packages: [],
    },
  ],
  transaction: null,
  'cached-update': null,
  'update-driver': null,
};

describe('parseRpmOstreeStatus', () => {
  test('a container-image host: staged (pending), booted with layered packages, rollback; the tracked image', () => {
    const status = parseRpmOstreeStatus(JSON.stringify(coreosLike), true, 5);
    expect(status).toMatchObject({
      manager: 'rpm-ostree',
      tracked: { image: 'quay.io/fedora/fedora-coreos:stable', transport: 'registry' },
      trackedReference: 'ostree-unverified-registry:quay.io/fedora/fedora-coreos:stable',
      trackedSignature: 'unverified',
      applyLive: true,
      readAt: 5,
    });
    expect(status.cachedUpdate).toBeUndefined();
    expect(status.pending).toEqual({
      id: 'fedora-coreos-bbbb2222.0',
      osname: 'fedora-coreos',
      checksum: 'bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222',
      image: {
        image: 'quay.io/fedora/fedora-coreos:stable',
        transport: 'registry',
        version: '41.20261201.3.0',
        timestamp: '2025-12-01T00:00:00Z',
        digest: 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
      },
      reference: 'ostree-unverified-registry:quay.io/fedora/fedora-coreos:stable',
      signature: 'unverified',
      origin: undefined,
      version: '41.20261201.3.0',
      timestamp: '2025-12-01T00:00:00Z',
      booted: false,
      staged: true,
      pinned: false,
      packages: ['htop', 'vim-enhanced'],
      localPackages: [],
      overrides: [{ package: 'kernel-6.12.1-100.fc41.x86_64', replaces: 'kernel-6.11.9-200.fc41.x86_64' }],
      removals: ['nano'],
      liveReplaced: undefined,
    });
    expect(status.booted).toMatchObject({
      booted: true,
      pinned: true,
      packages: ['htop'],
      localPackages: ['my-tool-1.0-1.x86_64'],
      overrides: [],
      removals: [],
      liveReplaced: 'bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222',
      image: { digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111' },
    });
    expect(status.rollback).toMatchObject({
      signature: 'signed',
      image: { image: 'quay.io/fedora/fedora-coreos:stable', version: '41.20261101.3.0' },
    });
  });

  test('an ostree-remote host (no container origin): a newer deployment before the booted one is pending; the cached update', () => {
    const text = JSON.stringify({
      deployments: [
        {
          id: 'fedora-e2707b5f.0',
          osname: 'fedora',
          origin: 'fedora:fedora/41/x86_64/silverblue',
          checksum: 'e2707b5fc7d4b168d7746678bc228b734dbf6f9f64b8ad97f5c87f7b9e7dfea7',
          version: '41.20261130.0',
          timestamp: 1764460800,
          booted: false,
          'requested-base-local-replacements': ['rpm-ostree-2026.1-2.fc41.x86_64'],
        },
        {
          id: 'fedora-7c25253d.0',
          osname: 'fedora',
          origin: 'fedora:fedora/41/x86_64/silverblue',
          checksum: '7c25253d45a30b05222fba1365fce35263987262c490ad547e66d8541f05293a',
          version: '41.20261120.0',
          timestamp: 1763596800,
          booted: true,
          'requested-packages': ['gparted'],
          'base-remote-replacements': { updates: ['mesa-dri-drivers'] },
        },
      ],
      transaction: null,
      'cached-update': {
        osname: 'fedora',
        origin: 'fedora:fedora/41/x86_64/silverblue',
        checksum: 'ffff',
        version: '41.20261202.0',
        timestamp: 1764633600,
      },
    });
    const status = parseRpmOstreeStatus(text, false, 1);
    expect(status.tracked).toBeUndefined();
    expect(status.trackedOrigin).toBe('fedora:fedora/41/x86_64/silverblue');
    expect(status.pending).toMatchObject({
      staged: false,
      booted: false,
      origin: 'fedora:fedora/41/x86_64/silverblue',
      version: '41.20261130.0',
      overrides: [{ package: 'rpm-ostree-2026.1-2.fc41.x86_64' }],
    });
    expect(status.pending?.image).toBeUndefined();
    expect(status.booted).toMatchObject({
      packages: ['gparted'],
      overrides: [{ package: 'mesa-dri-drivers', replaces: 'from updates' }],
    });
    expect(status.rollback).toBeUndefined();
    expect(status.cachedUpdate).toEqual({
      image: 'fedora:fedora/41/x86_64/silverblue',
      transport: undefined,
      version: '41.20261202.0',
      timestamp: '2025-12-02T00:00:00Z',
      digest: 'ffff',
    });
  });

  test('null and missing fields: nothing invented; the `update` spelling of a cached update; object-shaped packages', () => {
    const text = JSON.stringify({
      deployments: [
        {
          booted: true,
          'container-image-reference': 'ostree-remote-image:fedora:docker://quay.io/fedora/fedora-silverblue:41',
          'container-image-reference-digest': null,
          version: null,
          timestamp: null,
          'requested-packages': null,
          'base-removals': [{ name: 'nano', nevra: 'nano-7.2-3.fc41.x86_64' }],
          'base-local-replacements': [
            { name: 'kernel', nevra: 'kernel-6.8.1-100.fc41.x86_64', 'base-nevra': 'kernel-6.7.9-200.fc41.x86_64' },
          ],
        },
        null,
      ],
      update: {
        'container-image-reference': 'ostree-remote-image:fedora:docker://quay.io/fedora/fedora-silverblue:41',
        'container-image-reference-digest': 'sha256:abcd',
        version: '41.1',
      },
    });
    const status = parseRpmOstreeStatus(text, false, 1);
    expect(status.booted).toMatchObject({
      image: { image: 'quay.io/fedora/fedora-silverblue:41', transport: 'registry' },
      signature: 'remote:fedora',
      packages: [],
      removals: ['nano-7.2-3.fc41.x86_64'],
      overrides: [{ package: 'kernel-6.8.1-100.fc41.x86_64', replaces: 'kernel-6.7.9-200.fc41.x86_64' }],
    });
    expect(status.booted?.image?.digest).toBeUndefined();
    expect(status.booted?.image?.version).toBeUndefined();
    expect(status.booted?.timestamp).toBeUndefined();
    expect(status.booted?.id).toBeUndefined();
    expect(status.pending).toBeUndefined();
    expect(status.rollback).toBeUndefined();
    expect(status.cachedUpdate).toMatchObject({ version: '41.1', digest: 'sha256:abcd' });
  });

  test('no booted deployment (an empty list): nothing booted, pending or to roll back', () => {
    const status = parseRpmOstreeStatus('{"deployments":[],"transaction":null}', false, 1);
    expect(status).toMatchObject({ manager: 'rpm-ostree', booted: undefined, pending: undefined, rollback: undefined });
  });

  test('what is not a status is refused, saying what it printed', () => {
    expect(() => parseRpmOstreeStatus('error: This system was not booted via libostree', false)).toThrow(
      new StatusParseError(
        'rpm-ostree status printed something that is not JSON: error: This system was not booted via libostree',
      ),
    );
    expect(() => parseRpmOstreeStatus('{"kind":"BootcHost"}', false)).toThrow(/without a deployments list/);
    expect(() => parseRpmOstreeStatus('[]', false)).toThrow(StatusParseError);
  });
});

describe('parseOstreeImageReference', () => {
  test.each([
    [
      'ostree-unverified-registry:quay.io/x/y:tag',
      { signature: 'unverified', transport: 'registry', image: 'quay.io/x/y:tag' },
    ],
    [
      'ostree-unverified-image:docker://quay.io/x/y:tag',
      { signature: 'unverified', transport: 'registry', image: 'quay.io/x/y:tag' },
    ],
    ['ostree-unverified-image:oci:/var/lib/os', { signature: 'unverified', transport: 'oci', image: '/var/lib/os' }],
    [
      'ostree-image-signed:docker://quay.io/x/y@sha256:abcd',
      { signature: 'signed', transport: 'registry', image: 'quay.io/x/y@sha256:abcd' },
    ],
    [
      'ostree-remote-image:fedora:docker://quay.io/fedora/fedora-coreos:stable',
      { signature: 'remote:fedora', transport: 'registry', image: 'quay.io/fedora/fedora-coreos:stable' },
    ],
    [
      'ostree-remote-registry:fedora:quay.io/fedora/fedora-coreos:stable',
      { signature: 'remote:fedora', transport: 'registry', image: 'quay.io/fedora/fedora-coreos:stable' },
    ],
  ])('%s', (reference, expected) => {
    expect(parseOstreeImageReference(reference)).toEqual(expected);
  });

  test('what is not an ostree image reference', () => {
    expect(parseOstreeImageReference('quay.io/x/y:tag')).toBeUndefined();
    expect(parseOstreeImageReference('ostree-unverified-registry:')).toBeUndefined();
    expect(parseOstreeImageReference('ostree-image-signed:quay.io/x/y')).toBeUndefined();
    expect(parseOstreeImageReference('ostree-remote-image::docker://quay.io/x/y')).toBeUndefined();
  });
});

test('apply-live is offered when rpm-ostree --help lists it', () => {
  const help =
    'Usage:\n  rpm-ostree [OPTION…] COMMAND\n\nBuiltin Commands:\n  apply-live           Apply pending deployment changes to booted deployment\n  cancel               Cancel an active transaction\n';
  expect(offersApplyLive(help)).toBe(true);
  expect(offersApplyLive(help.replace(/ {2}apply-live.*\n/, ''))).toBe(false);
});
