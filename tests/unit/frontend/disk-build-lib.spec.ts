import { describe, expect, test, vi } from 'vitest';

import type { DiskBuildRequest } from '../../../src/api/disk-build';
import { describeForForm, fieldLabel, formErrors } from '../../../frontend/lib/disk-build-errors';
import {
  diskBuildFormOf,
  emptyDiskBuildForm,
  newFilesystemRow,
  newKernelArgRow,
  newUserRow,
  splitKernelLine,
  toDraftRequest,
} from '../../../frontend/lib/disk-build-form';
import {
  buildDuration,
  compareBuilds,
  formatDuration,
  matchesBuildSearch,
  statusText,
} from '../../../frontend/lib/disk-builds';
import { diskBuildRecord, diskBuildRequest } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

describe('the build form model', () => {
  const request: DiskBuildRequest = diskBuildRequest({
    types: ['raw', 'ami'],
    rootfs: 'btrfs',
    builder: { image: 'quay.io/me/bib:1', kind: 'image-builder' },
    chown: '1000:1000',
    aws: { amiName: 'my-os', bucket: 'my-bucket', region: 'eu-west-1' },
    config: {
      users: [{ name: 'demo', sshKey: 'ssh-ed25519 AAAA', groups: ['wheel', 'adm'], extra: { uid: 1001 } }],
      groups: [{ name: 'developers', gid: 2000 }],
      kernelArgs: ['audit=0', 'foo="a b"'],
      filesystems: [{ mountpoint: '/var/data', minSize: '10 GiB' }],
      installer: {
        kickstart: 'lang en_US.UTF-8\n',
        modulesEnable: ['org.fedoraproject.Anaconda.Modules.Timezone'],
        modulesDisable: ['org.fedoraproject.Anaconda.Modules.Users'],
      },
      iso: { volumeId: 'MY-OS', publisher: 'me' },
      fips: true,
      extra: { customizations: { timezone: { timezone: 'UTC' } } },
    },
  });

  test('a recorded request comes back unchanged through the form', () => {
    expect(toDraftRequest(diskBuildFormOf(request)).request).toEqual(request);
  });

  test('a preset builder image is shown as its preset', () => {
    const form = diskBuildFormOf(
      diskBuildRequest({ builder: { image: 'registry.redhat.io/rhel9/bootc-image-builder:9.7' } }),
    );
    expect(form.builder).toBe('rhel9');
    expect(toDraftRequest(form).request.builder).toBe('rhel9');
  });

  test('blank rows are left out; optional parts appear only when set', () => {
    const form = emptyDiskBuildForm();
    form.image = 'quay.io/me/os:1';
    form.outputDir = '  /out  ';
    form.types = ['vmdk', 'qcow2'];
    form.config.users = [newUserRow(), { ...newUserRow(), name: ' demo ', groups: 'wheel, ,adm' }];
    form.config.kernelArgs = [newKernelArgRow(''), newKernelArgRow(' quiet ')];
    form.config.filesystems = [newFilesystemRow()];
    expect(toDraftRequest(form).request).toEqual({
      image: 'quay.io/me/os:1',
      outputDir: '/out',
      types: ['qcow2', 'vmdk'],
      builder: 'centos',
      config: {
        users: [{ name: 'demo', groups: ['wheel', 'adm'] }],
        groups: [],
        kernelArgs: ['quiet'],
        filesystems: [],
      },
    });
  });

  test('errors of list items are filed under the rows they came from', () => {
    const form = emptyDiskBuildForm();
    const blank = newUserRow();
    const bad = { ...newUserRow(), name: 'Bad', groups: 'wheel, Bad' };
    const arg = newKernelArgRow("a'b");
    form.config.users = [blank, bad];
    form.config.kernelArgs = [arg];
    const { keys } = toDraftRequest(form);
    expect(
      formErrors(
        [
          { field: 'config.users.0.name', message: 'bad name' },
          { field: 'config.users.0.groups.1', message: 'bad group' },
          { field: 'config.kernelArgs.0', message: 'bad arg' },
          { field: 'config.installer.modulesDisable.0', message: 'twice' },
          { field: 'outputDir', message: 'choose an output folder' },
          { field: 'outputDir', message: 'second message' },
        ],
        keys,
      ),
    ).toEqual({
      [`row:${bad.key}.name`]: 'bad name',
      [`row:${bad.key}.groups`]: 'bad group',
      [`row:${arg.key}`]: 'bad arg',
      'config.installer.modules': 'twice',
      outputDir: 'choose an output folder',
    });
  });

  test('a kernel command line splits at spaces outside double quotes', () => {
    expect(splitKernelLine('  audit=0   console=ttyS0 foo="a b"  rd.break')).toEqual([
      'audit=0',
      'console=ttyS0',
      'foo="a b"',
      'rd.break',
    ]);
    expect(splitKernelLine('   ')).toEqual([]);
  });
});

describe('field names in the user’s words', () => {
  test.each([
    ['outputDir', 'Output folder'],
    ['engineId', 'Engine'],
    ['builder.image', 'Builder image'],
    ['aws.amiName', 'AMI name'],
    ['config.users.1.password', 'User 2 password'],
    ['config.users.0.groups.2', 'User 1 groups'],
    ['config.kernelArgs.0', 'Kernel argument 1'],
    ['config.filesystems.2.minSize', 'Filesystem 3 minimum size'],
    ['config.installer.modulesEnable.0', 'Anaconda modules'],
  ])('%s is "%s"', (field, label) => {
    expect(fieldLabel(field)).toBe(label);
  });

  test('a refusal is described in the form’s words; a message naming its user is not prefixed again', () => {
    expect(
      describeForForm([
        { field: 'outputDir', message: '/x is not writable' },
        { field: 'config.users.0.password', message: 'User alice: the password contains a control character (tab)' },
      ]),
    ).toBe('Output folder: /x is not writable; User alice: the password contains a control character (tab)');
  });
});

describe('build display helpers', () => {
  test('durations', () => {
    expect(formatDuration(45_400)).toBe('45 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(undefined)).toBe('');
  });

  test('a build runs from its start to its end, or to now while running; a queued one has no duration', () => {
    const record = diskBuildRecord({ started: 1_000, ended: undefined });
    expect(buildDuration(record, 61_000)).toBe(60_000);
    expect(buildDuration({ ...record, ended: 31_000 }, 61_000)).toBe(30_000);
    expect(buildDuration({ ...record, status: 'queued', started: undefined }, 61_000)).toBeUndefined();
  });

  test('status text carries the percent while building', () => {
    expect(statusText(diskBuildRecord({ status: 'building', percent: 42.4 }))).toBe('Building 42%');
    expect(statusText(diskBuildRecord({ status: 'building', percent: undefined }))).toBe('Building');
    expect(statusText(diskBuildRecord({ status: 'lost', percent: 42 }))).toBe('Lost');
  });

  test('search and order', () => {
    const a = diskBuildRecord({ id: 'a', created: 1 });
    const b = diskBuildRecord({ id: 'b', created: 2, request: diskBuildRequest({ types: ['vhd'], arch: 'arm64' }) });
    expect([a, b].sort(compareBuilds).map(build => build.id)).toEqual(['b', 'a']);
    expect(matchesBuildSearch(b, 'VHD')).toBe(true);
    expect(matchesBuildSearch(b, 'arm64')).toBe(true);
    expect(matchesBuildSearch(a, 'vhd')).toBe(false);
    expect(matchesBuildSearch(a, 'building')).toBe(true);
    expect(matchesBuildSearch(a, '  ')).toBe(true);
  });
});
