/**
 * `bootc status` read into the panel's words: samples shaped like bootc's own fixtures for
 * `--format=json` (v1) and the older `--json` (v1alpha1) — booted only, staged and booted with a
 * rollback, a cached update, an incompatible (layered) deployment, null everywhere on a host bootc
 * did not install — and what is not a status at all. Then the argv of each action.
 */

import { describe, expect, test } from 'vitest';

import { isUnknownFlag, parseBootcStatus, StatusParseError } from '../../../src/day2/bootc-status';
import { bootcArgv, checkDay2Action } from '../../../src/day2/day2-service';
import { pushTargetOf } from '../../../src/day2/update-loop';
import { fieldsOf } from '../support/field-errors';

const image = (ref: string, digest: string, version: string | null) => ({
  image: { image: ref, transport: 'registry' },
  version,
  timestamp: '2026-11-30T08:15:00Z',
  imageDigest: digest,
  architecture: 'arm64',
});

const entry = (status: object | null, extra: object = {}) => ({
  image: status,
  cachedUpdate: null,
  incompatible: false,
  pinned: false,
  store: 'ostreeContainer',
  ostree: { checksum: '41af2c0f', deploySerial: 0, stateroot: 'default' },
  ...extra,
});

const host = (
  apiVersion: string,
  status: object,
  spec: object = { image: { image: 'quay.io/me/os:1', transport: 'registry' } },
) => JSON.stringify({ apiVersion, kind: 'BootcHost', metadata: { name: 'host' }, spec, status });

describe('parseBootcStatus', () => {
  test('--format=json: staged and booted with a rollback (bootc v1)', () => {
    const text = host('org.containers.bootc/v1', {
      staged: entry(image('quay.io/me/os:1', 'sha256:bbbb', '42.1'), { downloadOnly: true }),
      booted: entry(image('quay.io/me/os:1', 'sha256:aaaa', '42.0'), { pinned: true }),
      rollback: entry(image('quay.io/me/os:0', 'sha256:9999', null)),
      rollbackQueued: false,
      type: 'bootcHost',
    });
    expect(parseBootcStatus(text, 7)).toEqual({
      manager: 'bootc',
      tracked: { image: 'quay.io/me/os:1', transport: 'registry' },
      booted: {
        image: {
          image: 'quay.io/me/os:1',
          transport: 'registry',
          version: '42.0',
          timestamp: '2026-11-30T08:15:00Z',
          digest: 'sha256:aaaa',
          architecture: 'arm64',
        },
        cachedUpdate: undefined,
        incompatible: false,
        pinned: true,
        downloadOnly: false,
      },
      staged: expect.objectContaining({ image: expect.objectContaining({ version: '42.1' }), downloadOnly: true }),
      rollback: expect.objectContaining({
        image: expect.objectContaining({ image: 'quay.io/me/os:0', version: undefined }),
      }),
      rollbackQueued: false,
      readAt: 7,
    });
  });

  test('--json of an older bootc (v1alpha1): booted with a cached update and an incompatible flag, queued rollback', () => {
    const text = host('org.containers.bootc/v1alpha1', {
      staged: null,
      booted: entry(image('quay.io/me/os:1', 'sha256:aaaa', '1'), {
        cachedUpdate: image('quay.io/me/os:1', 'sha256:cccc', '2'),
        incompatible: true,
      }),
      rollback: null,
      rollbackQueued: true,
    });
    const status = parseBootcStatus(text);
    expect(status.booted?.cachedUpdate).toMatchObject({ version: '2', digest: 'sha256:cccc' });
    expect(status.booted?.incompatible).toBe(true);
    expect(status.staged).toBeUndefined();
    expect(status.rollback).toBeUndefined();
    expect(status.rollbackQueued).toBe(true);
  });

  test('a host bootc did not install: null booted image and no tracked image', () => {
    const status = parseBootcStatus(
      host('org.containers.bootc/v1', { staged: null, booted: null, rollback: null }, { image: null }),
    );
    expect(status).toMatchObject({ manager: 'bootc', tracked: undefined, booted: undefined, rollbackQueued: false });
  });

  test('what is not a status is refused with what was printed', () => {
    expect(() => parseBootcStatus('error: This command requires root privileges')).toThrow(StatusParseError);
    expect(() => parseBootcStatus('error: This command requires root privileges')).toThrow(/requires root/);
    expect(() => parseBootcStatus(JSON.stringify({ kind: 'Something', status: {} }))).toThrow(/not a BootcHost/);
    expect(() => parseBootcStatus('[]')).toThrow(/not a BootcHost/);
  });
});

test('an older bootc refusing --format is told from a failing status', () => {
  expect(isUnknownFlag("error: unexpected argument '--format' found\n\nUsage: bootc status [OPTIONS]")).toBe(true);
  expect(isUnknownFlag('error: Status: Opening sysroot: No such file or directory')).toBe(false);
});

describe('the actions', () => {
  test('argv as bootc takes it', () => {
    expect(bootcArgv({ kind: 'check' })).toEqual(['bootc', 'upgrade', '--check']);
    expect(bootcArgv({ kind: 'upgrade', apply: false })).toEqual(['bootc', 'upgrade']);
    expect(bootcArgv({ kind: 'upgrade', apply: true })).toEqual(['bootc', 'upgrade', '--apply']);
    expect(bootcArgv({ kind: 'switch', image: 'quay.io/me/os:2', apply: true })).toEqual([
      'bootc',
      'switch',
      '--apply',
      'quay.io/me/os:2',
    ]);
    expect(bootcArgv({ kind: 'rollback', apply: false })).toEqual(['bootc', 'rollback']);
  });

  test('a switch target must be an image reference; an unknown action is named', () => {
    expect(fieldsOf(() => checkDay2Action({ kind: 'switch', image: '$(reboot)', apply: false }))).toEqual({
      image: expect.stringMatching(/not an image reference/),
    });
    expect(fieldsOf(() => checkDay2Action({ kind: 'explode' } as never))).toEqual({
      action: expect.stringMatching(/check, upgrade, switch, rollback/),
    });
    expect(checkDay2Action({ kind: 'switch', image: ' quay.io/me/os:2 ', apply: false })).toMatchObject({
      image: 'quay.io/me/os:2',
    });
  });
});

describe('where the update loop pushes', () => {
  test('the tracked reference itself, or this machine for QEMU’s host alias (plain HTTP)', () => {
    expect(pushTargetOf({ image: 'quay.io/me/os:1', transport: 'registry' })).toEqual({
      ref: 'quay.io/me/os:1',
      local: false,
    });
    expect(pushTargetOf({ image: '10.0.2.2:5000/me/os:1', transport: 'registry' })).toEqual({
      ref: '127.0.0.1:5000/me/os:1',
      local: true,
    });
  });

  test.each([
    ['localhost/os:1', 'registry'],
    ['localhost:5000/os:1', 'registry'],
    ['os:1', 'registry'],
    ['quay.io/me/os:1', 'containers-storage'],
  ])('%s (%s) cannot be pulled by the VM: refused on the tracked field', (image, transport) => {
    expect(fieldsOf(() => pushTargetOf({ image, transport }))).toEqual({
      tracked: expect.stringMatching(/which it cannot pull from/),
    });
  });

  test('nothing tracked: switch first', () => {
    expect(fieldsOf(() => pushTargetOf(undefined))).toEqual({ tracked: expect.stringMatching(/switch it/) });
  });
});
