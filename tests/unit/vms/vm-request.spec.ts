/** VM requests checked field by field (a form marks each), and the SSH command a user copies. */

import { describe, expect, test } from 'vitest';

import { checkLaunchRequest, sshArgv, sshCommandOf } from '../../../src/vms/vm-request';
import { sshBudgetMs } from '../../../src/vms/vm-start';
import { fieldsOf } from '../support/field-errors';

describe('checkLaunchRequest', () => {
  test('a build or an absolute disk path with sensible sizes passes', () => {
    expect(() =>
      checkLaunchRequest({ source: { buildId: 'abc' }, memoryMiB: 4096, cpus: 4, name: 'web-1' }),
    ).not.toThrow();
    expect(() => checkLaunchRequest({ source: { diskPath: '/x/disk.qcow2' } })).not.toThrow();
  });

  test('every bad field is named at once', () => {
    expect(
      fieldsOf(() =>
        checkLaunchRequest({
          source: { diskPath: 'relative.qcow2' },
          name: 'bad name!',
          memoryMiB: 100,
          cpus: 0.5,
          sshUser: 'Root User',
          diskGiB: 1,
        }),
      ),
    ).toEqual({
      diskGiB: expect.stringMatching(/^a whole number of GiB from 2/),
      source: 'the disk path must be absolute: relative.qcow2',
      name: expect.stringMatching(/letters, digits/),
      memoryMiB: expect.stringMatching(/from 256/),
      cpus: expect.stringMatching(/whole number/),
      sshUser: expect.stringMatching(/user name/),
    });
    expect(fieldsOf(() => checkLaunchRequest({} as never))).toEqual({
      source: expect.stringMatching(/build or a disk/),
    });
  });
});

test('the SSH command uses the VM key, its own known_hosts and 127.0.0.1, quoted for a shell', () => {
  const vm = { sshPort: 40022, sshUser: 'root' };
  const paths = { key: "/home/me/it's/id_rsa", dir: '/home/me/vm dir' };
  expect(sshArgv(vm, paths, ['uptime'])).toEqual([
    'ssh',
    '-i',
    "/home/me/it's/id_rsa",
    '-p',
    '40022',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'UserKnownHostsFile=/home/me/vm dir/known_hosts',
    '-o',
    'StrictHostKeyChecking=accept-new',
    'root@127.0.0.1',
    'uptime',
  ]);
  expect(sshCommandOf(vm, paths)).toBe(
    "ssh -i '/home/me/it'\\''s/id_rsa' -p 40022 -o IdentitiesOnly=yes -o 'UserKnownHostsFile=/home/me/vm dir/known_hosts' -o StrictHostKeyChecking=accept-new root@127.0.0.1",
  );
});

test('the SSH readiness budget follows the acceleration: minutes with KVM or HVF, ten emulated', () => {
  expect(sshBudgetMs('kvm')).toBe(3 * 60_000);
  expect(sshBudgetMs('hvf')).toBe(3 * 60_000);
  expect(sshBudgetMs('tcg')).toBe(10 * 60_000);
  expect(sshBudgetMs(undefined)).toBe(10 * 60_000);
});
