import { describe, expect, test } from 'vitest';

import {
  allowedArchitectures,
  defaultRootfsFor,
  isCrossArchitecture,
  preselectArchitecture,
} from '../../../src/api/disk-build-architectures';

import { builderImageOf, builderKindOf, type DiskBuildRequest, emptyBuildConfig } from '../../../src/api/disk-build';

import {
  formatSize,
  kernelArgumentProblem,
  mountpointProblem,
  parseSize,
  sizeProblem,
  sshKeyProblem,
  userNameProblem,
} from '../../../src/api/disk-build-fields';

import { maskKickstartSecrets, redactDiskBuildRequest } from '../../../src/builds/request-redaction';

import { validateDiskBuildRequest } from '../../../src/api/disk-build-schema';

// Public keys made with ssh-keygen for these tests (public halves only).
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9sH5BmnBmmDsj0ZD3EVVyllhsUYYwPx6AyJ5gTrny7 demo@host';
const RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCgajQLBnd6HRZgZWPNRzpNbzmoPk8kRu84DhdgFgMSX012H1Rlxge9g5y2mMzxLwzaCXHQEH8RkjhYnD1C3kxAgsJzjvSfb4zFY/TPSFRrmDgFSqk3FjZMp0gTUAl+wttAqsUvucyrfUEiK3D28z5hV8IIKPQg0z3VvvX/NjsnAhP5+92RAcZM0cFyE4O6OYWvQHEmb7pD7JRdLsjEdRclkj9Vhqi/cJ5xJ2JNh+Ol7lq2NCpj4fAvpRAhd0RCWQlg37qk54zTc3yxSzeJyaLDbJmhsZfr8O6WR0wa95nDhtgfvArLS7az9Q+WMBEzBlUrpHsRJ+k0e5IZ/m06I4RZ';
const ECDSA =
  'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBLjo+TTYwuTC95AQJfTKWMnEA0rX55aiLGwG3FWHspkMILcdGwzSHp93KjmmdCyrdKjaE/3JYwzcABKiS2vu8b1ew4ocXElVJ+gQ+MOyPnXbxKEwXUX93CxvQdW7EFMk9Q== ci key';

function request(overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
  return {
    image: 'quay.io/fedora/fedora-bootc:42',
    outputDir: '/home/demo/out',
    types: ['qcow2'],
    arch: 'amd64',
    rootfs: 'xfs',
    builder: 'centos',
    config: emptyBuildConfig(),
    ...overrides,
  };
}

function errorsOf(value: unknown, image?: Parameters<typeof validateDiskBuildRequest>[1]) {
  const result = validateDiskBuildRequest(value, image);
  return result.ok ? [] : result.errors;
}

function fieldsOf(value: unknown, image?: Parameters<typeof validateDiskBuildRequest>[1]) {
  return errorsOf(value, image).map(error => error.field);
}

describe('the disk build request', () => {
  test('the seed walkthrough is valid', () => {
    const seed = request({
      types: ['vmdk'],
      arch: 'arm64',
      config: {
        ...emptyBuildConfig(),
        users: [{ name: 'demo', password: 'changeit', groups: ['wheel'] }],
        kernelArgs: ['audit=0'],
      },
    });
    expect(validateDiskBuildRequest(seed)).toEqual({ ok: true, value: seed });
  });

  test('several disk types build together', () => {
    expect(errorsOf(request({ types: ['qcow2', 'raw', 'vmdk', 'vhd', 'ami', 'gce'] }))).toEqual([]);
  });

  test('at least one type, none twice, known ones only', () => {
    expect(errorsOf(request({ types: [] }))).toEqual([{ field: 'types', message: 'choose at least one image type' }]);
    expect(fieldsOf(request({ types: ['qcow2', 'qcow2'] }))).toEqual(['types.1']);
    expect(fieldsOf({ ...request(), types: ['ova'] })).toEqual(['types.0']);
  });

  test('ISO types are not mixed with disk types, and one ISO type at a time', () => {
    const [mixed] = errorsOf(request({ types: ['qcow2', 'anaconda-iso'] }));
    expect(mixed.field).toBe('types');
    expect(mixed.message).toMatch(/either one installer ISO or a set of disk images per run/);
    const [two] = errorsOf(request({ types: ['iso', 'anaconda-iso'] }));
    expect(two.message).toMatch(/bootiso\/install\.iso/);
    expect(errorsOf(request({ types: ['bootc-installer'] }))).toEqual([]);
  });

  test('image-builder makes one disk type per run', () => {
    const builder = 'image-builder' as const;
    expect(errorsOf(request({ builder, types: ['qcow2'] }))).toEqual([]);
    expect(errorsOf(request({ builder, types: ['qcow2', 'raw'] }))[0].message).toMatch(/one image type per run/);
    expect(errorsOf(request({ builder, types: ['anaconda-iso'] }))[0].message).toMatch(/use bootc-image-builder/);
    const custom = { image: 'localhost/my-ib:1', kind: 'image-builder' as const };
    expect(errorsOf(request({ builder: custom, types: ['vmdk', 'raw'] }))).toHaveLength(1);
  });

  test('builders by name or by image', () => {
    expect(builderImageOf('centos')).toBe('quay.io/centos-bootc/bootc-image-builder:latest');
    expect(builderImageOf('rhel9')).toBe('registry.redhat.io/rhel9/bootc-image-builder:9.7');
    expect(builderImageOf('rhel10')).toBe('registry.redhat.io/rhel10/bootc-image-builder:10.1');
    expect(builderKindOf({ image: 'localhost/bib:dev' })).toBe('bootc-image-builder');
    expect(fieldsOf({ ...request(), builder: 'fedora' })).toEqual(['builder']);
    expect(fieldsOf(request({ builder: { image: 'Not A Ref' } }))).toEqual(['builder.image']);
  });

  test('the output folder is an absolute path a volume mount can carry', () => {
    expect(errorsOf(request({ outputDir: '' }))[0]).toEqual({ field: 'outputDir', message: 'choose an output folder' });
    expect(errorsOf(request({ outputDir: 'out' }))[0].message).toMatch(/absolute/);
    expect(errorsOf(request({ outputDir: '/a:b' }))[0].message).toMatch(/":"/);
    expect(errorsOf(request({ outputDir: 'C:\\Users\\demo\\out' }))).toEqual([]);
  });

  test('AWS upload needs all three fields and the ami type', () => {
    const aws = { amiName: 'my-os', bucket: 'my-bucket', region: 'eu-central-1' };
    expect(errorsOf(request({ types: ['ami'], aws }))).toEqual([]);
    const partial = errorsOf(request({ types: ['ami'], aws: { ...aws, bucket: '', region: '' } }));
    expect(partial.map(error => error.field)).toEqual(['aws.bucket', 'aws.region']);
    expect(partial[0].message).toBe('an AWS upload needs all three: AMI name, bucket and region');
    expect(errorsOf(request({ types: ['qcow2'], aws }))).toEqual([
      { field: 'aws', message: 'an AWS upload needs the ami type' },
    ]);
    expect(fieldsOf(request({ types: ['ami'], aws: { ...aws, bucket: 'My_Bucket', region: 'europe' } }))).toEqual([
      'aws.bucket',
      'aws.region',
    ]);
  });

  test('chown is numeric UID:GID', () => {
    expect(errorsOf(request({ chown: '1000:1000' }))).toEqual([]);
    for (const chown of ['demo:demo', '1000', '1000:', '-1:0', '99999999999:1', '4294967295:0']) {
      expect(fieldsOf(request({ chown }))).toEqual(['chown']);
    }
  });

  test('the architecture must be one the image offers', () => {
    const image = { architectures: ['amd64'] };
    expect(errorsOf(request({ arch: 'amd64' }), image)).toEqual([]);
    expect(errorsOf(request({ arch: 'arm64' }), image)).toEqual([
      { field: 'arch', message: 'the image offers amd64, not arm64' },
    ]);
    expect(fieldsOf({ ...request(), arch: 'x86_64' })).toEqual(['arch']);
  });

  test('Fedora images need a root filesystem; others may keep the default', () => {
    const fedora = { labels: { 'redhat.id': 'fedora', 'containers.bootc': '1' } };
    expect(errorsOf(request({ rootfs: undefined }), fedora)[0].field).toBe('rootfs');
    expect(errorsOf(request({ rootfs: 'ext4' }), fedora)).toEqual([]);
    expect(errorsOf(request({ rootfs: undefined }), { labels: { 'redhat.id': 'centos' } })).toEqual([]);
  });
});

describe('users, groups and keys', () => {
  const withUsers = (users: DiskBuildRequest['config']['users']) =>
    request({ config: { ...emptyBuildConfig(), users } });

  test.each([
    ['demo', undefined],
    ['_svc', undefined],
    ['ci-bot_2', undefined],
    ['root', undefined],
    ['', 'a user name is required'],
    ['Demo', 'a user name starts with a lower-case letter or _, then lower-case letters, digits, _ or -'],
    ['1demo', 'a user name starts with a lower-case letter or _, then lower-case letters, digits, _ or -'],
    ['de mo', 'a user name starts with a lower-case letter or _, then lower-case letters, digits, _ or -'],
    ['a'.repeat(33), 'a user name has at most 32 characters'],
    ['nobody', '"nobody" is a system account of the image: choose another name'],
    ['systemd-network', '"systemd-network" is a system account of the image: choose another name'],
  ])('user name %j', (name, message) => {
    expect(userNameProblem(name)).toBe(message);
  });

  test('each user problem names its field', () => {
    const errors = errorsOf(
      withUsers([
        { name: 'demo', groups: ['wheel', 'wheel'] },
        { name: 'demo', password: '', groups: ['Bad Group'] },
      ]),
    );
    expect(errors.map(error => error.field)).toEqual([
      'config.users.0.groups.1',
      'config.users.1.groups.0',
      'config.users.1.password',
      'config.users.1.name',
    ]);
  });

  test('passwords: anything typed, or a complete crypt hash', () => {
    const hash = `$6$saltsaltsaltsalt$${'a'.repeat(86)}`;
    expect(errorsOf(withUsers([{ name: 'demo', password: 'c h@nge $it', groups: [] }]))).toEqual([]);
    expect(errorsOf(withUsers([{ name: 'demo', password: hash, groups: [] }]))).toEqual([]);
    const [broken] = errorsOf(withUsers([{ name: 'demo', password: '$6$abc', groups: [] }]));
    expect(broken.message).toMatch(/not a complete one/);
  });

  test.each([
    ['a newline', 'change\nit', 'newline'],
    ['a carriage return', 'changeit\r', 'carriage return'],
    ['a tab', 'change\tit', 'tab'],
    ['an escape', 'change\u001bit', 'U+001B'],
    ['DEL', 'change\u007fit', 'delete'],
  ])('a password with %s is refused, naming the user', (_what, password, name) => {
    const errors = errorsOf(withUsers([{ name: 'alice', password, groups: [] }]));
    expect(errors).toEqual([
      {
        field: 'config.users.0.password',
        message: `User alice: the password contains a control character (${name}); nobody could type it at a login prompt`,
      },
    ]);
    // The message never echoes the password.
    expect(errors[0].message).not.toContain('change');
  });

  test('a password with a control character is refused even when the user name is wrong too', () => {
    const errors = errorsOf(withUsers([{ name: 'Bad Name', password: 'a\nb', groups: [] }]));
    expect(errors.map(error => error.field).sort()).toEqual(['config.users.0.name', 'config.users.0.password']);
  });

  test('a kickstart cannot be combined with users', () => {
    const config = {
      ...emptyBuildConfig(),
      users: [{ name: 'demo', groups: [] }],
      installer: { kickstart: 'text\n', modulesEnable: [], modulesDisable: [] },
    };
    const [error] = errorsOf(request({ types: ['anaconda-iso'], config }));
    expect(error.field).toBe('config.installer.kickstart');
    expect(error.message).toMatch(/cannot combine a kickstart with users/);
  });

  test('groups: valid new names, unique names and gids', () => {
    const config = {
      ...emptyBuildConfig(),
      groups: [
        { name: 'devs', gid: 2000 },
        { name: 'devs' },
        { name: 'ops', gid: 2000 },
        { name: 'wheel' },
        { name: 'x', gid: 1.5 },
      ],
    };
    const errors = errorsOf(request({ config }));
    expect(errors).toEqual([
      {
        field: 'config.groups.3.name',
        message: 'the image already has a "wheel" group: add users to it through their groups instead',
      },
      { field: 'config.groups.4.gid', message: 'a gid is a whole number' },
    ]);
    const fixed = { ...config, groups: config.groups.slice(0, 3) };
    expect(errorsOf(request({ config: fixed }))).toEqual([
      { field: 'config.groups.1.name', message: 'two groups have this name' },
      { field: 'config.groups.2.gid', message: 'two groups have this gid' },
    ]);
  });

  test.each([ED25519, RSA, ECDSA, `${ED25519.split(' ').slice(0, 2).join(' ')}`, `  ${ED25519}  `])(
    'a valid key: %s',
    key => {
      expect(sshKeyProblem(key)).toBeUndefined();
    },
  );

  test.each([
    ['', /paste an SSH public key/],
    [`${ED25519}\n${RSA}`, /one line/],
    ['ssh-dss AAAAB3NzaC1kc3MAAACBAP', /starts with its type/],
    [`command="ls" ${ED25519}`, /starts with key options/],
    ['ssh-ed25519', /missing/],
    ['ssh-ed25519 not*base64', /not valid base64/],
    [`ssh-ed25519 ${RSA.split(' ')[1]}`, /does not hold a ssh-ed25519 key/],
    [ED25519.replace('Trny7', ''), /base64|wrong length/],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', /private key/],
  ])('an invalid key %#', (key, message) => {
    expect(sshKeyProblem(key)).toMatch(message);
  });

  test('a private key is refused without being echoed', () => {
    const secret = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ';
    const errors = errorsOf(
      withUsers([{ name: 'demo', sshKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${secret}\n`, groups: [] }]),
    );
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors)).not.toContain(secret);
  });
});

describe('kernel arguments', () => {
  test.each(['audit=0', 'console=ttyS0,115200n8', 'quiet', 'rd.break', 'foo="a b c"', '"quoted whole"', 'x=""'])(
    'accepted: %s',
    arg => expect(kernelArgumentProblem(arg)).toBeUndefined(),
  );

  test.each([
    ['', /empty/],
    ['audit=0\nquiet', /newline/],
    ['a\tb', /control/],
    ['a b', /space outside double quotes/],
    ["foo='a b'", /single quotes/],
    ['foo=`id`', /backticks/],
    ['foo=a\\b', /backslashes/],
    ['foo="a b', /not closed/],
    ['café=1', /printable ASCII/],
  ])('refused: %j', (arg, message) => {
    expect(kernelArgumentProblem(arg)).toMatch(message);
  });

  test('the appended line stays within the kernel limit', () => {
    const config = { ...emptyBuildConfig(), kernelArgs: Array.from({ length: 300 }, (_, i) => `arg${i}=value`) };
    expect(errorsOf(request({ config }))).toEqual([
      {
        field: 'config.kernelArgs',
        message: "the kernel arguments add up to more than 2048 bytes, the kernel's limit",
      },
    ]);
  });
});

describe('filesystems', () => {
  test.each(['/', '/boot', '/var/data', '/var/lib/containers', '/var/home'])('mount point %s', mountpoint => {
    expect(mountpointProblem(mountpoint)).toBeUndefined();
  });

  test.each([
    ['', /required/],
    ['var/data', /absolute/],
    ['/var', /not accept \/var itself/],
    ['/var/', /trailing slash/],
    ['/var/data/', /trailing slash/],
    ['/var//data', /empty segment/],
    ['/var/../etc', /\.\./],
    ['/var/./x', /\.\./],
    ['/home', /only \/, \/boot and folders under \/var/],
    ['/usr/local', /only \/, \/boot and folders under \/var/],
    ['/var/run/x', /symlink/],
    ['/var/lock', /symlink/],
    ['/var/my data', /letters, digits/],
  ])('refused mount point %j', (mountpoint, message) => {
    expect(mountpointProblem(mountpoint)).toMatch(message);
  });

  test('btrfs takes only / and /boot', () => {
    const config = {
      ...emptyBuildConfig(),
      filesystems: [
        { mountpoint: '/', minSize: '10 GiB' },
        { mountpoint: '/var/data', minSize: '5 GiB' },
      ],
    };
    expect(errorsOf(request({ rootfs: 'xfs', config }))).toEqual([]);
    expect(errorsOf(request({ rootfs: 'btrfs', config }))).toEqual([
      { field: 'config.filesystems.1.mountpoint', message: 'with btrfs the builder accepts only / and /boot' },
    ]);
  });

  test('a bad mount point is reported once, and duplicates are named', () => {
    const config = {
      ...emptyBuildConfig(),
      filesystems: [
        { mountpoint: '/var', minSize: '1 GiB' },
        { mountpoint: '/boot', minSize: '1 GiB' },
        { mountpoint: '/boot', minSize: '2 GiB' },
      ],
    };
    expect(fieldsOf(request({ rootfs: 'btrfs', config }))).toEqual([
      'config.filesystems.0.mountpoint',
      'config.filesystems.2.mountpoint',
    ]);
  });

  test.each([
    ['10 GiB', 10 * 1024 ** 3],
    ['10GiB', 10 * 1024 ** 3],
    ['1.5 GiB', 1.5 * 1024 ** 3],
    ['512 MiB', 512 * 1024 ** 2],
    ['20 GB', 20e9],
    ['1 kB', 1000],
    ['2 KiB', 2048],
    ['1 TiB', 1024 ** 4],
    ['3 TB', 3e12],
    ['100 B', 100],
    ['10 gib', 10 * 1024 ** 3],
  ])('size %s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
    expect(sizeProblem(text)).toBeUndefined();
  });

  test.each([
    ['', /required/],
    ['10', /add a unit/],
    ['10 GiBs', /number and a unit/],
    ['ten GiB', /number and a unit/],
    ['-1 GiB', /number and a unit/],
    ['0 GiB', /above zero/],
  ])('refused size %j', (text, message) => {
    expect(sizeProblem(text)).toMatch(message);
  });

  test('bytes are shown in the unit that states them exactly with the smallest number', () => {
    expect(formatSize(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatSize(1536 * 1024 ** 2)).toBe('1536 MiB');
    expect(formatSize(20e9)).toBe('20 GB');
    expect(formatSize(1000)).toBe('1 kB');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(4096)).toBe('4 KiB');
  });
});

describe('ISO-only settings', () => {
  const iso = {
    ...emptyBuildConfig(),
    installer: {
      kickstart: 'lang en_US.UTF-8\n',
      modulesEnable: ['org.fedoraproject.Anaconda.Modules.Localization'],
      modulesDisable: ['org.fedoraproject.Anaconda.Modules.Users'],
    },
    iso: { volumeId: 'MYOS_1', applicationId: 'My OS', publisher: 'Me' },
    fips: true,
  };

  test('are accepted with an ISO type', () => {
    expect(errorsOf(request({ types: ['anaconda-iso'], config: iso }))).toEqual([]);
  });

  test('are refused with disk types, each by name', () => {
    expect(fieldsOf(request({ types: ['qcow2'], config: iso }))).toEqual([
      'config.installer.kickstart',
      'config.installer.modulesEnable',
      'config.iso',
      'config.fips',
    ]);
  });

  test('module names and lists are checked', () => {
    const config = {
      ...iso,
      installer: {
        modulesEnable: ['Timezone', 'org.fedoraproject.Anaconda.Modules.Storage'],
        modulesDisable: ['org.fedoraproject.Anaconda.Modules.Storage'],
      },
    };
    expect(errorsOf(request({ types: ['iso'], config }))).toEqual([
      {
        field: 'config.installer.modulesEnable.0',
        message: 'an Anaconda module is named org.fedoraproject.Anaconda.Modules.<Name>',
      },
      {
        field: 'config.installer.modulesDisable.0',
        message: 'this module is also in the enabled list: the builder would disable it; keep it in one list',
      },
    ]);
  });

  test('an ISO volume id has no spaces', () => {
    const config = { ...iso, iso: { volumeId: 'My OS' } };
    expect(fieldsOf(request({ types: ['iso'], config }))).toEqual(['config.iso.volumeId']);
  });
});

describe('architectures and root filesystems from the image', () => {
  test('allowed architectures follow the image and its manifest list', () => {
    expect(allowedArchitectures(['amd64'])).toEqual(['amd64']);
    expect(allowedArchitectures(['x86_64', 'aarch64', 'amd64'])).toEqual(['amd64', 'arm64']);
    expect(allowedArchitectures(['linux/arm64/v8', 'linux/amd64', 'linux/s390x'])).toEqual(['arm64', 'amd64']);
    expect(allowedArchitectures(['ppc64le'])).toEqual([]);
  });

  test('pre-selection: the only one, else the native one', () => {
    expect(preselectArchitecture(['arm64'], 'amd64')).toBe('arm64');
    expect(preselectArchitecture(['amd64', 'arm64'], 'aarch64')).toBe('arm64');
    expect(preselectArchitecture(['amd64', 'arm64'])).toBeUndefined();
    expect(isCrossArchitecture('arm64', 'x86_64')).toBe(true);
    expect(isCrossArchitecture('amd64', 'amd64')).toBe(false);
    expect(isCrossArchitecture('amd64', undefined)).toBe(false);
  });

  test.each([
    [{ 'redhat.id': 'fedora', 'redhat.version-id': '42' }, false],
    [{ 'ostree.linux': '6.14.0-63.fc42.x86_64' }, false],
    [{ 'redhat.id': 'centos', 'ostree.linux': '6.12.0-55.el10.x86_64' }, true],
    [{ 'ostree.linux': '5.14.0-570.el9.x86_64' }, true],
    [{ 'redhat.id': 'rhel' }, true],
    [{}, true],
  ])('labels %j offer the default: %s', (labels, offerDefault) => {
    const choice = defaultRootfsFor(labels);
    expect(choice.offerDefault).toBe(offerDefault);
    expect(choice.preselected).toBe(offerDefault ? undefined : 'xfs');
  });

  test('no labels at all keep the default', () => {
    expect(defaultRootfsFor(undefined)).toEqual({ offerDefault: true });
  });
});

describe('secrets in records', () => {
  test('redaction drops passwords and masks kickstart passwords', () => {
    const kickstart = 'rootpw --plaintext hunter2\nuser --name=ops --password=s3cret --plaintext\n';
    const full = request({
      types: ['anaconda-iso'],
      config: {
        ...emptyBuildConfig(),
        users: [],
        installer: { kickstart, modulesEnable: [], modulesDisable: [] },
      },
    });
    const withUser = request({
      config: {
        ...emptyBuildConfig(),
        users: [{ name: 'demo', password: 'changeit', sshKey: ED25519, groups: ['wheel'] }],
      },
    });
    const redacted = redactDiskBuildRequest(withUser);
    expect(redacted.config.users).toEqual([{ name: 'demo', sshKey: ED25519, groups: ['wheel'] }]);
    expect(withUser.config.users[0].password).toBe('changeit');
    const text = JSON.stringify(redactDiskBuildRequest(full));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s3cret');
  });

  test('redaction also reaches fields kept from an imported file', () => {
    const hash = `$6$saltsaltsaltsalt$${'a'.repeat(86)}`;
    const kept = request({
      config: {
        ...emptyBuildConfig(),
        users: [{ name: 'demo', groups: [], extra: { uid: 1042, note: `was ${hash}` } }],
        extra: { customizations: { sneaky: { password: 'plain', list: [hash] }, hostname: 'h' } },
      },
    });
    const redacted = redactDiskBuildRequest(kept);
    expect(redacted.config.users[0].extra).toEqual({ uid: 1042, note: 'was ********' });
    expect(redacted.config.extra).toEqual({
      customizations: { sneaky: { password: '********', list: ['********'] }, hostname: 'h' },
    });
    expect(redactDiskBuildRequest(request())).toEqual(request());
  });

  test.each([
    ['rootpw --plaintext hunter2', 'rootpw --plaintext ********'],
    ['rootpw --iscrypted $6$abc$def', 'rootpw --iscrypted ********'],
    ['rootpw --lock', 'rootpw --lock'],
    ['rootpw "two words"', 'rootpw ********'],
    ['user --name=ops --password=s3cret --plaintext', 'user --name=ops --password=******** --plaintext'],
    ['bootloader --password "grub pw"', 'bootloader --password ********'],
    ['autopart --encrypted --passphrase=luks!', 'autopart --encrypted --passphrase=********'],
    ['sshpw --username=root --plaintext rescue', 'sshpw --username=root --plaintext ********'],
    ['network --bootproto=dhcp', 'network --bootproto=dhcp'],
    ['  rootpw secret', '  rootpw ********'],
  ])('kickstart line %j', (line, masked) => {
    expect(maskKickstartSecrets(line)).toBe(masked);
  });

  test('kickstart still escaped in JSON is masked too', () => {
    expect(maskKickstartSecrets('"contents": "lang C\\nrootpw hunter2\\nreboot"')).toBe(
      '"contents": "lang C\\nrootpw ********\\nreboot"',
    );
    expect(maskKickstartSecrets('"contents": "rootpw hunter2"')).toBe('"contents": "rootpw ********"');
    expect(maskKickstartSecrets('contents = "rootpw hunter2\\nreboot"')).toBe('contents = "rootpw ********\\nreboot"');
  });
});
