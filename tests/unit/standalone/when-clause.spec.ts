import { describe, expect, test } from 'vitest';

import { evaluateWhen } from '../../../src/standalone/when-clause';

const manifest = (await import('../../../package.json')).default as {
  contributes: { menus: Record<string, { when?: string }[]> };
};

describe('menu when-clauses', () => {
  const buildDiskImage = manifest.contributes.menus['dashboard/image'][0].when;

  test('the Build Disk Image entry shows on bootc images only', () => {
    expect(evaluateWhen(buildDiskImage, { imageLabelKeys: ['containers.bootc', 'io.buildah.version'] })).toBe(true);
    expect(evaluateWhen(buildDiskImage, { imageLabelKeys: ['ostree.bootable'] })).toBe(true);
    expect(evaluateWhen(buildDiskImage, { imageLabelKeys: ['maintainer'] })).toBe(false);
    expect(evaluateWhen(buildDiskImage, { imageLabelKeys: [] })).toBe(false);
    expect(evaluateWhen(buildDiskImage, {})).toBe(false);
  });

  test('negation, conjunction binding tighter than disjunction, comparisons', () => {
    const context = { imageLabelKeys: ['a'], isLinux: true, engine: 'podman' };
    expect(evaluateWhen('!a in imageLabelKeys', context)).toBe(false);
    expect(evaluateWhen('b in imageLabelKeys || a in imageLabelKeys && isLinux', context)).toBe(true);
    expect(evaluateWhen('b in imageLabelKeys && isLinux || !isLinux', context)).toBe(false);
    expect(evaluateWhen("engine == 'podman'", context)).toBe(true);
    expect(evaluateWhen('engine != podman', context)).toBe(false);
    expect(evaluateWhen(undefined, context)).toBe(true);
  });
});
