import { describe, expect, test } from 'vitest';
import { parse as parseToml } from 'smol-toml';

import { type BuildConfig, emptyBuildConfig } from '../../../src/api/disk-build';
import { detectConfigFormat, importBuildConfig, splitKernelArguments } from '../../../src/builds/build-config-parse';
import {
  buildConfigToJson,
  buildConfigToToml,
  hashConfigPasswords,
  isBuildConfigEmpty,
  maskedPreview,
  previewBuildConfig,
  type HashedBuildConfig,
} from '../../../src/builds/build-config-render';
import { hashPassword, verifyPassword } from '../../../src/builds/password-hash';

/** A config read back with smol-toml, typed just enough for the assertions. */
interface Doc {
  name?: unknown;
  version?: unknown;
  customizations: Record<string, unknown> & { user: (Record<string, unknown> & { password: string })[] };
}

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9sH5BmnBmmDsj0ZD3EVVyllhsUYYwPx6AyJ5gTrny7 demo@host';
const HASH = hashPassword('changeit', 'saltsaltsaltsalt');

function imported(text: string, format?: 'toml' | 'json') {
  const result = importBuildConfig(text, format);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result;
}

const KICKSTART = `lang en_US.UTF-8
keyboard us
timezone Europe/Berlin --utc
# a comment with "quotes", 'apostrophes', a backslash \\ and a tab\there
network --bootproto=dhcp --activate
rootpw --plaintext hunter2
reboot
`;

const full: HashedBuildConfig = {
  users: [
    { name: 'demo', password: HASH, sshKey: ED25519, groups: ['wheel'] },
    { name: 'ops', groups: [] },
  ],
  groups: [{ name: 'devs', gid: 2000 }, { name: 'ci' }],
  kernelArgs: ['audit=0', 'console=ttyS0,115200n8', 'foo="a b"'],
  filesystems: [
    { mountpoint: '/', minSize: '10 GiB' },
    { mountpoint: '/var/data', minSize: '20 GB' },
  ],
  installer: {
    kickstart: KICKSTART,
    modulesEnable: ['org.fedoraproject.Anaconda.Modules.Localization'],
    modulesDisable: ['org.fedoraproject.Anaconda.Modules.Users'],
  },
  iso: { volumeId: 'MYOS_1', applicationId: 'My OS installer', publisher: 'Me & Co' },
  fips: true,
};

describe('config.toml', () => {
  test('every form field lands where the builder reads it', () => {
    const toml = buildConfigToToml(full);
    expect(parseToml(toml)).toEqual({
      customizations: {
        user: [{ name: 'demo', password: HASH, key: ED25519, groups: ['wheel'] }, { name: 'ops' }],
        group: [{ name: 'devs', gid: 2000 }, { name: 'ci' }],
        kernel: { append: 'audit=0 console=ttyS0,115200n8 foo="a b"' },
        filesystem: [
          { mountpoint: '/', minsize: 10737418240 },
          { mountpoint: '/var/data', minsize: 20000000000 },
        ],
        installer: {
          kickstart: { contents: KICKSTART },
          modules: {
            enable: ['org.fedoraproject.Anaconda.Modules.Localization'],
            disable: ['org.fedoraproject.Anaconda.Modules.Users'],
          },
        },
        iso: { volume_id: 'MYOS_1', application_id: 'My OS installer', publisher: 'Me & Co' },
        fips: true,
      },
    });
    expect(toml).toContain('[[customizations.user]]');
    expect(toml).toContain('[customizations.kernel]\nappend = "audit=0 console=ttyS0,115200n8 foo=\\"a b\\""');
  });

  test('the kickstart is written as typed, in a multi-line literal string', () => {
    const toml = buildConfigToToml(full);
    expect(toml).toContain(`[customizations.installer.kickstart]\ncontents = '''\n${KICKSTART}'''\n`);
    expect(toml).not.toContain('\\n');
  });

  test('a kickstart a literal string cannot hold is escaped, once', () => {
    for (const kickstart of ["a '''triple''' quote\n", "ends with a quote'", 'carriage\r\nreturn\n', 'bell\u0007\n']) {
      const config = { ...full, users: [], installer: { kickstart, modulesEnable: [], modulesDisable: [] } };
      const toml = buildConfigToToml(config);
      expect(imported(toml).config.installer?.kickstart).toBe(kickstart);
    }
  });

  test('modules never replace the kickstart, and disable-only works', () => {
    const config: HashedBuildConfig = {
      ...emptyBuildConfig(),
      users: [],
      installer: {
        kickstart: 'text\n',
        modulesEnable: [],
        modulesDisable: ['org.fedoraproject.Anaconda.Modules.Network'],
      },
    };
    const doc = parseToml(buildConfigToToml(config)) as { customizations: { installer: unknown } };
    expect(doc.customizations.installer).toEqual({
      kickstart: { contents: 'text\n' },
      modules: { disable: ['org.fedoraproject.Anaconda.Modules.Network'] },
    });
  });

  test('an empty config is an empty file, and says so', () => {
    expect(buildConfigToToml(hashConfigPasswords(emptyBuildConfig()))).toBe('');
    expect(buildConfigToJson(hashConfigPasswords(emptyBuildConfig()))).toBe('{}\n');
    expect(isBuildConfigEmpty(emptyBuildConfig())).toBe(true);
    expect(isBuildConfigEmpty({ ...emptyBuildConfig(), kernelArgs: ['quiet'] })).toBe(false);
    expect(isBuildConfigEmpty({ ...emptyBuildConfig(), extra: { name: 'bp' } })).toBe(false);
  });

  test('JSON has the same structure, the kickstart escaped once', () => {
    const json = buildConfigToJson(full);
    expect(JSON.parse(json)).toEqual(parseToml(buildConfigToToml(full)));
    expect(JSON.parse(json).customizations.installer.kickstart.contents).toBe(KICKSTART);
    expect(json).not.toContain('\\\\n');
  });
});

describe('passwords', () => {
  test('plain passwords are hashed before any file exists; hashes pass through', () => {
    const form: BuildConfig = {
      ...emptyBuildConfig(),
      users: [
        { name: 'demo', password: 'changeit', groups: ['wheel'] },
        { name: 'ops', password: HASH, groups: [] },
        { name: 'key-only', sshKey: ED25519, groups: [] },
      ],
    };
    const hashed = hashConfigPasswords(form);
    const toml = buildConfigToToml(hashed);
    expect(toml).not.toContain('changeit');
    const users = (parseToml(toml) as { customizations: { user: { password?: string }[] } }).customizations.user;
    expect(verifyPassword('changeit', users[0].password!)).toBe(true);
    expect(users[1].password).toBe(HASH);
    expect(users[2].password).toBeUndefined();
    expect(form.users[0].password).toBe('changeit');
  });

  test('a plain password cannot be handed to the writer', () => {
    const plain: BuildConfig = { ...emptyBuildConfig(), users: [{ name: 'demo', password: 'changeit', groups: [] }] };
    // @ts-expect-error the writer takes hashed users only
    expect(() => buildConfigToToml(plain)).toThrow('the password of user "demo" is not a crypt hash');
    const cast = plain as unknown as HashedBuildConfig;
    expect(() => buildConfigToJson(cast)).toThrow(/not a crypt hash/);
  });

  test('the preview shows the exact file with passwords and hashes masked', () => {
    const file = buildConfigToToml(full);
    const preview = previewBuildConfig(full);
    expect(preview).not.toContain(HASH);
    expect(preview).not.toContain('hunter2');
    expect(preview).toContain('password = "********"');
    expect(preview).toContain('rootpw --plaintext ********');
    // Apart from the masked values, the preview is the file.
    const unmask = (text: string) => text.replace(HASH, '********').replace('hunter2', '********');
    expect(preview).toBe(unmask(file));
  });

  test('the preview of a form with plain passwords needs no hashing and shows none', () => {
    const form: BuildConfig = { ...emptyBuildConfig(), users: [{ name: 'demo', password: 'changeit', groups: [] }] };
    const preview = previewBuildConfig(form);
    expect(preview).toBe('[[customizations.user]]\nname = "demo"\npassword = "********"\n');
    expect(previewBuildConfig(form, 'json')).not.toContain('changeit');
  });

  test('maskedPreview masks any config text', () => {
    const json = buildConfigToJson(full);
    const masked = maskedPreview(json);
    expect(masked).not.toContain(HASH);
    expect(masked).not.toContain('hunter2');
    expect(masked).toContain('"password": "********"');
    const handWritten = `[[customizations.user]]\nname = "x"\npassword = 'plain text'\n[customizations.installer.kickstart]\ncontents = "rootpw --iscrypted ${HASH}\\nreboot"\n`;
    const maskedToml = maskedPreview(handWritten);
    expect(maskedToml).not.toContain('plain text');
    expect(maskedToml).not.toContain(HASH.slice(20));
  });
});

describe('import', () => {
  test('export → import → export is identical, in TOML and JSON', () => {
    for (const format of ['toml', 'json'] as const) {
      const first = format === 'toml' ? buildConfigToToml(full) : buildConfigToJson(full);
      const back = imported(first, format);
      expect(back.unknownFields).toEqual([]);
      const again = hashConfigPasswords(back.config);
      expect(format === 'toml' ? buildConfigToToml(again) : buildConfigToJson(again)).toBe(first);
    }
  });

  test('every field the form knows is read back', () => {
    const back = imported(buildConfigToToml(full)).config;
    expect(back).toEqual({
      ...full,
      filesystems: [
        { mountpoint: '/', minSize: '10 GiB' },
        { mountpoint: '/var/data', minSize: '20 GB' },
      ],
    });
  });

  test('a hand-written config with unknown keys keeps them, reports them, and round-trips them', () => {
    const handWritten = `# written by hand
name = "my-blueprint"
version = "0.0.1"

[customizations]
hostname = "ignored-by-bootc"

[[customizations.user]]
name = "alice"
password = "bob"
key = "${ED25519}"
groups = ["wheel", "admins"]
uid = 1042
shell = "/bin/zsh"

[[customizations.group]]
name = "admins"
gid = 3000

[customizations.kernel]
name = "kernel-debug"
append = "mitigations=auto,nosmt  audit=0"

[[customizations.filesystem]]
mountpoint = "/var/log"
minsize = "2 GiB"

[[customizations.filesystem]]
mountpoint = "/"
minsize = 10737418240

[customizations.installer]
unattended = true
sudo-nopasswd = ["%wheel"]

[customizations.installer.modules]
enable = ["org.fedoraproject.Anaconda.Modules.Timezone"]

[customizations.iso]
volume_id = "ALICE"

[customizations.disk]
minsize = "20 GiB"
[[customizations.disk.partitions]]
type = "plain"
mountpoint = "/data"
`;
    const result = imported(handWritten);
    expect(result.format).toBe('toml');
    expect(result.unknownFields).toEqual([
      'name',
      'version',
      'customizations.hostname',
      'customizations.user[0].uid',
      'customizations.user[0].shell',
      'customizations.kernel.name',
      'customizations.installer.unattended',
      'customizations.installer.sudo-nopasswd',
      'customizations.disk',
    ]);
    const config = result.config;
    expect(config.users).toEqual([
      {
        name: 'alice',
        password: 'bob',
        sshKey: ED25519,
        groups: ['wheel', 'admins'],
        extra: { uid: 1042, shell: '/bin/zsh' },
      },
    ]);
    expect(config.groups).toEqual([{ name: 'admins', gid: 3000 }]);
    expect(config.kernelArgs).toEqual(['mitigations=auto,nosmt', 'audit=0']);
    expect(config.filesystems).toEqual([
      { mountpoint: '/var/log', minSize: '2 GiB' },
      { mountpoint: '/', minSize: '10 GiB' },
    ]);
    expect(config.installer).toEqual({
      modulesEnable: ['org.fedoraproject.Anaconda.Modules.Timezone'],
      modulesDisable: [],
    });
    expect(config.iso).toEqual({ volumeId: 'ALICE' });

    const exported = buildConfigToToml(hashConfigPasswords(config));
    const doc = parseToml(exported) as unknown as Doc;
    expect(doc.name).toBe('my-blueprint');
    expect(doc.version).toBe('0.0.1');
    expect(doc.customizations.hostname).toBe('ignored-by-bootc');
    expect(doc.customizations.user[0]).toMatchObject({ name: 'alice', uid: 1042, shell: '/bin/zsh' });
    expect(doc.customizations.user[0].password).toMatch(/^\$6\$/);
    expect(verifyPassword('bob', doc.customizations.user[0].password)).toBe(true);
    expect(doc.customizations.kernel).toEqual({ name: 'kernel-debug', append: 'mitigations=auto,nosmt audit=0' });
    expect(doc.customizations.installer).toEqual({
      unattended: true,
      'sudo-nopasswd': ['%wheel'],
      modules: { enable: ['org.fedoraproject.Anaconda.Modules.Timezone'] },
    });
    expect(doc.customizations.disk).toEqual({
      minsize: '20 GiB',
      partitions: [{ type: 'plain', mountpoint: '/data' }],
    });
    expect(doc.customizations.filesystem).toEqual([
      { mountpoint: '/var/log', minsize: 2147483648 },
      { mountpoint: '/', minsize: 10737418240 },
    ]);

    // And from there on the file is stable.
    const again = imported(exported);
    expect([...again.unknownFields].sort()).toEqual([...result.unknownFields].sort());
    expect(buildConfigToToml(hashConfigPasswords(again.config))).toBe(exported);
  });

  test('unknown fields cannot override what the form owns', () => {
    const config: HashedBuildConfig = {
      ...emptyBuildConfig(),
      kernelArgs: ['quiet'],
      extra: {
        customizations: {
          user: [{ name: 'sneaky', password: 'plain' }],
          kernel: { append: 'other', name: 'k' },
          fips: true,
        },
      },
      users: [{ name: 'demo', groups: [], extra: { password: 'plain', name: 'other', uid: 7 } }],
    };
    const doc = parseToml(buildConfigToToml(config)) as unknown as Doc;
    expect(doc.customizations.user).toEqual([{ name: 'demo', uid: 7 }]);
    expect(doc.customizations.kernel).toEqual({ append: 'quiet', name: 'k' });
    expect(doc.customizations.fips).toBeUndefined();
  });

  test('JSON imports as TOML does', () => {
    const json = JSON.stringify({
      customizations: {
        user: [{ name: 'demo', password: HASH, groups: ['wheel'] }],
        kernel: { append: 'audit=0' },
        filesystem: [{ mountpoint: '/', minsize: '10 GiB' }],
        timezone: { timezone: 'UTC' },
      },
    });
    const result = imported(json);
    expect(result.format).toBe('json');
    expect(result.config).toEqual({
      ...emptyBuildConfig(),
      users: [{ name: 'demo', password: HASH, groups: ['wheel'] }],
      kernelArgs: ['audit=0'],
      filesystems: [{ mountpoint: '/', minSize: '10 GiB' }],
      extra: { customizations: { timezone: { timezone: 'UTC' } } },
    });
    expect(result.unknownFields).toEqual(['customizations.timezone']);
  });

  test('syntax errors and wrong shapes are reported by field, nothing is half-imported', () => {
    const broken = importBuildConfig('[customizations\nfoo = 1');
    expect(broken.ok).toBe(false);
    if (!broken.ok) {
      expect(broken.errors[0].field).toBe('file');
      expect(broken.errors[0].message).toMatch(/^not valid TOML: .*\(line 1, column \d+\)$/);
    }
    const badJson = importBuildConfig('{"customizations": ', 'json');
    expect(badJson.ok).toBe(false);

    const shapes = importBuildConfig(`
[[customizations.user]]
password = 5
groups = "wheel"

[[customizations.group]]
name = "g"
gid = "100"

[[customizations.filesystem]]
mountpoint = "/"

[customizations]
fips = "yes"
`);
    expect(shapes).toEqual({
      ok: false,
      errors: [
        { field: 'customizations.user[0].name', message: 'is required' },
        { field: 'customizations.user[0].password', message: 'must be text' },
        { field: 'customizations.user[0].groups', message: 'must be a list of texts' },
        { field: 'customizations.group[0].gid', message: 'must be a whole number' },
        { field: 'customizations.filesystem[0].minsize', message: 'must be a size in bytes or a text like "10 GiB"' },
        { field: 'customizations.fips', message: 'must be true or false' },
      ],
    });
    expect(importBuildConfig('customizations = 3')).toEqual({
      ok: false,
      errors: [{ field: 'customizations', message: 'must be a table' }],
    });
    expect(importBuildConfig('[1, 2]', 'json')).toEqual({
      ok: false,
      errors: [{ field: 'file', message: 'the file holds no settings table' }],
    });
  });

  test('the format is told by the file name, else by the text', () => {
    expect(detectConfigFormat('{}', 'config.TOML')).toBe('toml');
    expect(detectConfigFormat('x = 1', 'config.json')).toBe('json');
    expect(detectConfigFormat('  {"a": 1}')).toBe('json');
    expect(detectConfigFormat('[customizations]')).toBe('toml');
  });

  test('kernel arguments split on whitespace outside double quotes', () => {
    expect(splitKernelArguments(' a  b="c d"\te "f g" h=""')).toEqual(['a', 'b="c d"', 'e', '"f g"', 'h=""']);
    expect(splitKernelArguments('')).toEqual([]);
  });
});
