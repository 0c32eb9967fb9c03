import { describe, expect, test } from 'vitest';

import { errorMessage } from '../../../src/api/errors';
import { formatAge, formatAgo, formatBytes, shortImageId } from '../../../src/api/format';
import { defaultStoreDir } from '../../../src/platform/paths';

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1 kB'],
    [1536, '1.5 kB'],
    [345_678_901, '345.7 MB'],
    [1_000_000_000, '1 GB'],
    [1_234_000_000, '1.2 GB'],
    [12_345_000_000, '12.3 GB'],
    [999_960, '1 MB'],
    [2_500_000_000_000, '2.5 TB'],
  ])('%d bytes → %s', (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });

  test('an impossible size is unknown', () => {
    expect(formatBytes(-1)).toBe('unknown');
    expect(formatBytes(Number.NaN)).toBe('unknown');
  });
});

describe('formatAge', () => {
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const SECOND = 1000;
  const MINUTE = 60 * SECOND;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;

  test.each([
    [0, 'just now'],
    [999, 'just now'],
    [SECOND, '1 second'],
    [45 * SECOND, '45 seconds'],
    [5 * MINUTE + 59 * SECOND, '5 minutes'],
    [HOUR, '1 hour'],
    [23 * HOUR, '23 hours'],
    [3 * DAY + 5 * HOUR, '3 days'],
    [29 * DAY, '29 days'],
    [65 * DAY, '2 months'],
    [400 * DAY, '1 year'],
    [3 * 365 * DAY, '3 years'],
  ])('%d ms ago → %s', (elapsed, expected) => {
    expect(formatAge(now - elapsed, now)).toBe(expected);
  });

  test('a timestamp slightly in the future (clock skew) is just now', () => {
    expect(formatAge(now + 5 * SECOND, now)).toBe('just now');
  });

  test('a missing timestamp is unknown', () => {
    expect(formatAge(0, now)).toBe('unknown');
    expect(formatAge(Number.NaN, now)).toBe('unknown');
  });

  test('uses the current time by default', () => {
    expect(formatAge(Date.now() - 2 * DAY)).toBe('2 days');
  });

  test('formatAgo says when, as podman does — never "just now ago"', () => {
    expect(formatAgo(now - 5 * MINUTE, now)).toBe('5 minutes ago');
    expect(formatAgo(now - 500, now)).toBe('just now');
    expect(formatAgo(0, now)).toBe('unknown');
  });
});

describe('shortImageId', () => {
  test('drops the algorithm and keeps twelve characters', () => {
    expect(shortImageId('sha256:3f2b9c1d0e8a7b6c5d4e3f2a1b0c9d8e')).toBe('3f2b9c1d0e8a');
    expect(shortImageId('3f2b9c1d0e8a7b6c')).toBe('3f2b9c1d0e8a');
  });
});

describe('errorMessage', () => {
  test('uses an Error message, or the value itself', () => {
    expect(errorMessage(new Error('no such image'))).toBe('no such image');
    expect(errorMessage('plain text')).toBe('plain text');
  });
});

describe('the default store folder', () => {
  test('BOOTC_STUDIO_HOME wins, then the platform data folder', () => {
    expect(defaultStoreDir({ env: { BOOTC_STUDIO_HOME: '/srv/bs' }, platform: 'linux', home: '/home/u' })).toBe(
      '/srv/bs',
    );
    expect(defaultStoreDir({ env: {}, platform: 'linux', home: '/home/u' })).toBe('/home/u/.local/share/bootc-studio');
    expect(defaultStoreDir({ env: { XDG_DATA_HOME: '/x' }, platform: 'linux', home: '/home/u' })).toBe(
      '/x/bootc-studio',
    );
    expect(defaultStoreDir({ env: {}, platform: 'darwin', home: '/Users/u' })).toBe(
      '/Users/u/Library/Application Support/bootc-studio',
    );
  });
});
