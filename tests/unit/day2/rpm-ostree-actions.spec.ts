/**
 * The rpm-ostree side of day 2 without a guest: the rebase reference chosen from the reference and
 * the user's signature choice (never unverified unless chosen), each action's argv, which manager
 * a guest's answers make (bootc with a booted image, else rpm-ostree, else neither), and the
 * refusals of actions a manager does not offer.
 */

import { describe, expect, test } from 'vitest';

import type { Day2Action } from '../../../src/api/day2';
import { bootcArgv, checkDay2Action } from '../../../src/day2/day2-service';
import { rebaseReference, rpmOstreeArgv } from '../../../src/day2/rpm-ostree-actions';
import type { RunAsRoot } from '../../../src/day2/update-manager';
import { checkOffered, planAction, readHostStatus } from '../../../src/day2/update-manager';
import type { ExecResult } from '../../../src/ssh/ssh-session';
import { fieldsOf } from '../support/field-errors';

describe('rebaseReference', () => {
  test('a plain reference takes the transport of the chosen verification', () => {
    expect(rebaseReference('quay.io/me/os:2', 'unverified')).toBe('ostree-unverified-registry:quay.io/me/os:2');
    expect(rebaseReference('quay.io/me/os:2', 'signed')).toBe('ostree-image-signed:docker://quay.io/me/os:2');
    expect(rebaseReference('docker://quay.io/me/os:2', 'remote:fedora')).toBe(
      'ostree-remote-image:fedora:docker://quay.io/me/os:2',
    );
  });

  test('no choice is refused, naming the signature field; never silently unverified', () => {
    expect(fieldsOf(() => rebaseReference('quay.io/me/os:2', undefined))).toEqual({
      signature: expect.stringMatching(
        /does not guess how to verify quay\.io\/me\/os:2: choose how the image is verified: unverified .* signed .* remote:NAME/,
      ),
    });
  });

  test('a reference spelled with its ostree transport keeps it, and must agree with a choice', () => {
    expect(rebaseReference('ostree-image-signed:docker://quay.io/me/os:2', undefined)).toBe(
      'ostree-image-signed:docker://quay.io/me/os:2',
    );
    expect(rebaseReference('ostree-remote-registry:fedora:quay.io/me/os:2', 'remote:fedora')).toBe(
      'ostree-remote-image:fedora:docker://quay.io/me/os:2',
    );
    expect(fieldsOf(() => rebaseReference('ostree-unverified-registry:quay.io/me/os:2', 'signed'))).toEqual({
      signature: expect.stringMatching(/is verified as unverified, not signed/),
    });
  });

  test('bad input names its field', () => {
    expect(fieldsOf(() => rebaseReference('quay.io/me/os:2', 'trusted'))).toEqual({
      signature: expect.stringMatching(/^choose how the image is verified/),
    });
    expect(fieldsOf(() => rebaseReference('quay.io/me/os:2', 'remote:'))).toHaveProperty('signature');
    expect(fieldsOf(() => rebaseReference('quay.io/me/os:2', 'remote:a b'))).toHaveProperty('signature');
    expect(fieldsOf(() => rebaseReference('Not An Image;rm -rf /', 'unverified'))).toEqual({
      image: expect.stringMatching(/not an image reference/),
    });
    expect(fieldsOf(() => rebaseReference('ostree-unverified-image:oci:/srv/os', undefined))).toEqual({
      image: expect.stringMatching(/only registry images/),
    });
    expect(fieldsOf(() => rebaseReference('ostree-bogus:quay.io/me/os:2', undefined))).toEqual({
      image: expect.stringMatching(/not an ostree image reference/),
    });
  });
});

describe('argv of each action', () => {
  test('rpm-ostree: --reboot where the action reboots', () => {
    expect(rpmOstreeArgv({ kind: 'check' })).toEqual(['rpm-ostree', 'upgrade', '--check']);
    expect(rpmOstreeArgv({ kind: 'upgrade', apply: false })).toEqual(['rpm-ostree', 'upgrade']);
    expect(rpmOstreeArgv({ kind: 'upgrade', apply: true })).toEqual(['rpm-ostree', 'upgrade', '--reboot']);
    expect(rpmOstreeArgv({ kind: 'switch', image: 'quay.io/me/os:2', apply: true, signature: 'signed' })).toEqual([
      'rpm-ostree',
      'rebase',
      '--reboot',
      'ostree-image-signed:docker://quay.io/me/os:2',
    ]);
    expect(rpmOstreeArgv({ kind: 'rollback', apply: false })).toEqual(['rpm-ostree', 'rollback']);
    expect(rpmOstreeArgv({ kind: 'apply-live' })).toEqual(['rpm-ostree', 'apply-live']);
    expect(rpmOstreeArgv({ kind: 'reset', apply: true })).toEqual(['rpm-ostree', 'reset', '--reboot']);
  });

  test('bootc: a signed switch enforces the containers policy; a remote is refused; no rpm-ostree actions', () => {
    expect(bootcArgv({ kind: 'switch', image: 'quay.io/me/os:2', apply: false, signature: 'signed' })).toEqual([
      'bootc',
      'switch',
      '--enforce-container-sigpolicy',
      'quay.io/me/os:2',
    ]);
    expect(bootcArgv({ kind: 'switch', image: 'quay.io/me/os:2', apply: false })).toEqual([
      'bootc',
      'switch',
      'quay.io/me/os:2',
    ]);
    expect(() => bootcArgv({ kind: 'switch', image: 'q.io/a:1', apply: false, signature: 'remote:x' })).toThrow(
      /an ostree remote is an rpm-ostree choice/,
    );
    expect(() => bootcArgv({ kind: 'reset', apply: false })).toThrow(/reset is an rpm-ostree action/);
  });

  test('checkDay2Action takes the new kinds and checks a switch signature and an ostree reference', () => {
    expect(checkDay2Action({ kind: 'apply-live' })).toEqual({ kind: 'apply-live' });
    expect(checkDay2Action({ kind: 'reset', apply: false })).toEqual({ kind: 'reset', apply: false });
    expect(
      checkDay2Action({ kind: 'switch', image: ' ostree-image-signed:docker://quay.io/me/os:2 ', apply: false }),
    ).toEqual({ kind: 'switch', image: 'ostree-image-signed:docker://quay.io/me/os:2', apply: false });
    expect(
      fieldsOf(() =>
        checkDay2Action({ kind: 'switch', image: 'quay.io/me/os:2', apply: false, signature: 'yes' as 'signed' }),
      ),
    ).toHaveProperty('signature');
    expect(fieldsOf(() => checkDay2Action({ kind: 'format' } as unknown as Day2Action))).toHaveProperty('action');
  });

  test('rpm-ostree check: 77 (nothing new) is success; apply skips the reboot on "No upgrade available."', () => {
    const plan = planAction('rpm-ostree', { kind: 'check' }, bootcArgv);
    expect([plan.succeeded(0), plan.succeeded(77), plan.succeeded(1)]).toEqual([true, true, false]);
    const upgrade = planAction('rpm-ostree', { kind: 'upgrade', apply: true }, bootcArgv);
    expect(upgrade.succeeded(77)).toBe(false);
    expect(upgrade.nothingToDo.test('No upgrade available.')).toBe(true);
    expect(upgrade.progress).toBe(false);
    expect(planAction('bootc', { kind: 'upgrade', apply: true }, bootcArgv).progress).toBe(true);
  });
});

describe('which tool manages a guest', () => {
  const BOOTC_BOOTED = JSON.stringify({
    kind: 'BootcHost',
    spec: { image: { image: 'quay.io/me/os:1', transport: 'registry' } },
    status: {
      booted: { image: { image: { image: 'quay.io/me/os:1', transport: 'registry' } } },
      rollbackQueued: false,
    },
  });
  const BOOTC_NOT_BOOTED = JSON.stringify({ kind: 'BootcHost', spec: {}, status: { booted: null, staged: null } });
  const RPM_OSTREE = JSON.stringify({
    deployments: [
      { booted: true, 'container-image-reference': 'ostree-unverified-registry:quay.io/me/os:1', checksum: 'aa' },
    ],
  });
  const result = (code: number, stdout = '', stderr = ''): ExecResult => ({ code, stdout, stderr });

  /** A guest answering each command line from the table (else "not found"), with what it was asked. */
  function guest(answers: Record<string, ExecResult>): { exec: RunAsRoot; asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      exec: async argv => {
        asked.push(argv.join(' '));
        return answers[argv.join(' ')] ?? result(127, '', `sh: ${argv[0]}: not found`);
      },
    };
  }

  test('bootc with a booted image: bootc, and rpm-ostree is not asked', async () => {
    const { exec, asked } = guest({ 'bootc status --format=json': result(0, BOOTC_BOOTED) });
    expect(await readHostStatus(exec, 'vm', 1)).toMatchObject({ manager: 'bootc', booted: expect.anything() });
    expect(asked).toEqual(['bootc status --format=json']);
  });

  test('a connection that closes while the status is read (a reboot) is said so, not taken for "neither"', async () => {
    const dropped: RunAsRoot = async () => ({ code: 255, stdout: '', stderr: '', dropped: true });
    await expect(readHostStatus(dropped, 'vm', 1)).rejects.toThrow(
      'the SSH connection to VM vm closed while its status was read (is it rebooting?): ask again once it is up',
    );
  });

  test('an older bootc answers --json', async () => {
    const { exec } = guest({
      'bootc status --format=json': result(2, '', "error: unexpected argument '--format' found"),
      'bootc status --json': result(0, BOOTC_BOOTED),
    });
    expect((await readHostStatus(exec, 'vm', 1)).manager).toBe('bootc');
  });

  test('bootc with no booted image, or no bootc: rpm-ostree, with apply-live from its help', async () => {
    const answers = {
      'rpm-ostree status --json': result(0, RPM_OSTREE),
      'rpm-ostree --help': result(0, 'Builtin Commands:\n  apply-live   Apply pending deployment changes\n'),
    };
    const notBooted = guest({ 'bootc status --format=json': result(0, BOOTC_NOT_BOOTED), ...answers });
    expect(await readHostStatus(notBooted.exec, 'vm', 1)).toMatchObject({ manager: 'rpm-ostree', applyLive: true });
    const none = guest(answers);
    expect(await readHostStatus(none.exec, 'vm', 1)).toMatchObject({
      manager: 'rpm-ostree',
      tracked: { image: 'quay.io/me/os:1' },
    });
    expect(none.asked).toEqual(['bootc status --format=json', 'rpm-ostree status --json', 'rpm-ostree --help']);
  });

  test('neither: says why', async () => {
    expect(await readHostStatus(guest({}).exec, 'vm', 3)).toEqual({
      manager: 'none',
      reason: 'no bootc; no rpm-ostree',
      readAt: 3,
    });
    const notOstree = guest({
      'bootc status --format=json': result(0, BOOTC_NOT_BOOTED),
      'rpm-ostree status --json': result(1, '', 'error: This system was not booted via libostree'),
    });
    expect(await readHostStatus(notOstree.exec, 'vm', 3)).toMatchObject({
      manager: 'none',
      reason:
        'bootc reports no booted image; rpm-ostree status failed: error: This system was not booted via libostree',
    });
  });

  test('a failing bootc with no rpm-ostree to ask is an error, not "neither"', async () => {
    const { exec } = guest({ 'bootc status --format=json': result(1, '', 'sudo: a password is required') });
    await expect(readHostStatus(exec, 'vm', 1)).rejects.toThrow(
      'bootc status failed: sudo: a password is required on VM vm',
    );
  });

  test('actions a manager does not offer are refused, saying what manages the VM', () => {
    expect(() => checkOffered('none', { kind: 'check' }, 'vm')).toThrow(
      'VM vm is managed by neither bootc nor rpm-ostree: its image cannot be updated from here (reach it by SSH)',
    );
    expect(() => checkOffered('bootc', { kind: 'apply-live' }, 'vm')).toThrow(
      /apply-live is an rpm-ostree action and VM vm is managed by bootc/,
    );
    expect(() => checkOffered('rpm-ostree', { kind: 'reset', apply: false }, 'vm')).not.toThrow();
  });
});
