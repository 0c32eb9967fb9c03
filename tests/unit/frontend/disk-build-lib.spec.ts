import { describe, expect, test, vi } from 'vitest';

import type { DiskBuildRequest } from '../../../src/api/disk-build';
import { LogFollower } from '../../../frontend/lib/disk-build-log';
import {
  describeForForm,
  diskBuildFormOf,
  emptyDiskBuildForm,
  fieldLabel,
  formErrors,
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

/** A log that grows; reads answer from a byte offset, like the backend. */
function growingLog(chunkLimit = Infinity) {
  let content = '';
  const read = vi.fn(async (from: number) => {
    const text = content.slice(from, from + chunkLimit);
    return { text, next: from + text.length };
  });
  return {
    read,
    append: (text: string) => {
      content += text;
    },
  };
}

describe('LogFollower', () => {
  test('reads from 0 first, then only from where the last read ended', async () => {
    const log = growingLog();
    const written: string[] = [];
    const follower = new LogFollower(
      log.read,
      text => written.push(text),
      () => {},
    );
    log.append('one\n');
    await follower.poll();
    log.append('two\n');
    await follower.poll();
    await follower.poll();

    expect(written.join('')).toBe('one\ntwo\n');
    expect(log.read.mock.calls.map(([from]) => from)).toEqual([0, 4, 4, 8, 8]);
    expect(follower.next).toBe(8);
  });

  test('a chunked answer is read to its end in one poll', async () => {
    const log = growingLog(3);
    const written: string[] = [];
    const follower = new LogFollower(
      log.read,
      text => written.push(text),
      () => {},
    );
    log.append('abcdefgh');
    await follower.poll();
    expect(written).toEqual(['abc', 'def', 'gh']);
    expect(log.read.mock.calls.map(([from]) => from)).toEqual([0, 3, 6, 8]);
  });

  test('polls during a read never overlap it: they cause one more read afterwards', async () => {
    let release: (() => void) | undefined;
    const calls: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const read = async (from: number) => {
      calls.push(from);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (from === 0) await new Promise<void>(resolve => (release = resolve));
      inFlight--;
      return from === 0 ? { text: 'x', next: 1 } : { text: '', next: 1 };
    };
    const follower = new LogFollower(
      read,
      () => {},
      () => {},
    );
    const first = follower.poll();
    void follower.poll();
    void follower.poll();
    await vi.waitFor(() => expect(release).toBeDefined());
    release?.();
    await first;
    await vi.waitFor(() => expect(calls).toEqual([0, 1, 1]));
    expect(maxInFlight).toBe(1);
  });

  test('an error is reported, and the next poll retries from the same offset', async () => {
    const errors: (string | undefined)[] = [];
    const read = vi
      .fn<(from: number) => Promise<{ text: string; next: number }>>()
      .mockResolvedValueOnce({ text: 'a', next: 1 })
      .mockResolvedValueOnce({ text: '', next: 1 })
      .mockRejectedValueOnce(new Error('log file gone'))
      .mockResolvedValue({ text: '', next: 1 });
    const follower = new LogFollower(
      read,
      () => {},
      message => errors.push(message),
    );
    await follower.poll();
    await follower.poll();
    expect(errors).toEqual([undefined, 'log file gone']);
    await follower.poll();
    expect(errors.at(-1)).toBeUndefined();
    expect(read.mock.calls.map(([from]) => from)).toEqual([0, 1, 1, 1]);
  });

  test('a smaller offset from the backend (the file was rewritten) is where the next read starts', async () => {
    const read = vi
      .fn<(from: number) => Promise<{ text: string; next: number }>>()
      .mockResolvedValueOnce({ text: 'old log', next: 7 })
      .mockResolvedValueOnce({ text: '', next: 7 })
      .mockResolvedValueOnce({ text: '', next: 3 })
      .mockResolvedValue({ text: '', next: 3 });
    const follower = new LogFollower(
      read,
      () => {},
      () => {},
    );
    await follower.poll();
    await follower.poll();
    await follower.poll();
    expect(read.mock.calls.map(([from]) => from)).toEqual([0, 7, 7, 3]);
  });

  test('a stopped follower reads and writes nothing more', async () => {
    const log = growingLog();
    const write = vi.fn();
    const follower = new LogFollower(log.read, write, () => {});
    follower.stop();
    log.append('late');
    await follower.poll();
    expect(log.read).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
  });
});

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
