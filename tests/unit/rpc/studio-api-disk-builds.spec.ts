/**
 * The disk-build methods of the webview contract: arguments checked (the field named), delegation
 * to the build service, the preview with passwords masked, the image's choices, config import and
 * export through the host's dialogs, and the user's SSH public keys (never a private one).
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import type { DiskBuildRequest } from '../../../src/api/disk-build';
import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { BuildStore } from '../../../src/builds/build-store';
import { DiskBuildService } from '../../../src/builds/disk-build-service';
import { verifyPassword } from '../../../src/builds/password-hash';
import type { ManifestDetails } from '../../../src/engine/container-engine';
import { ImageOperations } from '../../../src/images/image-operations';
import { DiskBuildJobs } from '../../../src/builds/disk-build-jobs';
import { RouteRegistry } from '../../../src/rpc/route-registry';
import { createStudioApi } from '../../../src/rpc/studio-api';
import { buildDiskFinder } from '../../../src/vms/vm-build-disk';
import { VmService } from '../../../src/vms/vm-service';
import { ENGINE, FakeEngine } from '../support/fake-engine';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host';

class ManifestEngine extends FakeEngine {
  machine: { name: string; vmType: string } | undefined;
  override async listEngines() {
    return [
      {
        ...ENGINE,
        graphRoot: '/var/lib/containers/storage',
        rootful: !this.machine,
        ...(this.machine ? { machine: this.machine } : {}),
      },
    ];
  }
  override async inspectManifest(engineId: string, ref: string): Promise<ManifestDetails> {
    if (ref !== 'quay.io/x/multi:1') return super.inspectManifest(engineId, ref);
    return {
      engineId,
      members: [
        { digest: 'sha256:a', arch: 'amd64', os: 'linux' },
        { digest: 'sha256:b', arch: 'arm64', os: 'linux' },
      ],
    };
  }
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-disk-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function api(dialogs: { file?: string; save?: string } = {}, machine?: { name: string; vmType: string }) {
  const engine = new ManifestEngine();
  engine.machine = machine;
  const makeMachineRootful = vi.fn(async (_machine: { name: string; vmType: string }) => true);
  engine.images.set('quay.io/x/multi:1', { arch: 'amd64', labels: { 'containers.bootc': '1' } });
  engine.images.set('quay.io/x/os:1', { arch: 'arm64', labels: { 'redhat.id': 'fedora' } });
  const builds = new DiskBuildService({ engine, storeDir: join(dir, 'store'), warn: () => undefined });
  const selectFile = vi.fn(async () => dialogs.file);
  const saveFile = vi.fn(async () => dialogs.save);
  const openFolder = vi.fn(async (_path: string) => true);
  const operations = new ImageOperations();
  operations.jobs.attach(new DiskBuildJobs(builds));
  const deps = {
    engine,
    routes: new RouteRegistry(),
    operations,
    jobs: operations.jobs,
    builds,
    vms: new VmService({ storeDir: dir, jobs: operations.jobs, buildDisk: buildDiskFinder(builds.store) }),
    dialogs: { selectFolder: async () => undefined, selectFile, saveFile },
    openExternal: async () => true,
    openFolder,
    makeMachineRootful,
    home: dir,
  };
  const studio = createStudioApi(deps);
  return { studio, deps, builds, selectFile, saveFile, openFolder, makeMachineRootful };
}

const request: DiskBuildRequest = {
  image: 'quay.io/x/os:1',
  outputDir: '/home/me/out',
  types: ['qcow2'],
  arch: 'arm64',
  rootfs: 'xfs',
  builder: 'centos',
  config: {
    users: [{ name: 'demo', password: 'hunter2-plain', sshKey: KEY, groups: ['wheel'] }],
    groups: [],
    kernelArgs: ['audit=0'],
    filesystems: [],
  },
};

describe('StudioApi disk builds', () => {
  test('arguments are checked before anything is done, the field named', async () => {
    const { studio } = api();
    await expect(studio.getJob('')).rejects.toThrow(/^jobId: is required/);
    await expect(studio.getJob('../x')).rejects.toThrow(/^jobId: no job/);
    await expect(studio.readJobLog('0123456789ab', -1)).rejects.toThrow(/^from: is 0 or more/);
    await expect(studio.deleteDiskBuild('0123456789ab', 'yes')).rejects.toThrow(/^keepFiles: is true or false/);
    await expect(studio.startDiskBuild({ ...request, types: [] })).rejects.toThrow(/^types: choose at least one/);
    expect(await studio.listJobs('disk-build')).toEqual([]);
  });

  test('previewDiskBuild: the exact config.toml and command, passwords masked', async () => {
    const { studio } = api();
    const preview = await studio.previewDiskBuild(request);
    expect(preview.configToml).toContain('password = "********"');
    expect(preview.configToml).toContain('audit=0');
    expect(preview.command).toContain('-v ./config.toml:/config.toml:ro');
    expect(preview.command).toContain('--target-arch arm64');
    expect(JSON.stringify(preview)).not.toContain('hunter2');
    expect(
      (await studio.previewDiskBuild({ ...request, config: { ...request.config, users: [], kernelArgs: [] } }))
        .configToml,
    ).toBe('');
  });

  test('describeImageForBuild: manifest members or the image architecture, and the labels', async () => {
    const { studio } = api();
    expect(await studio.describeImageForBuild(ENGINE.id, 'quay.io/x/multi:1')).toEqual({
      ref: 'quay.io/x/multi:1',
      engineId: ENGINE.id,
      architectures: ['amd64', 'arm64'],
      labels: { 'containers.bootc': '1' },
    });
    expect((await studio.describeImageForBuild(ENGINE.id, 'quay.io/x/os:1')).architectures).toEqual(['arm64']);
    await expect(studio.describeImageForBuild('nope', 'quay.io/x/os:1')).rejects.toThrow(
      /^engineId: the engine .* is not running/,
    );
  });

  test('importBuildConfig reads the file the user picks; unknown fields are listed', async () => {
    const file = join(dir, 'config.toml');
    writeFileSync(
      file,
      '[[customizations.user]]\nname = "ops"\nshell = "/bin/zsh"\n[customizations.kernel]\nappend = "quiet"\n',
    );
    const { studio, selectFile } = api({ file });
    const imported = await studio.importBuildConfig();
    expect(imported?.config.users[0].name).toBe('ops');
    expect(imported?.config.kernelArgs).toEqual(['quiet']);
    expect(imported?.unknownFields).toEqual(['customizations.user[0].shell']);
    expect(selectFile).toHaveBeenCalledWith(
      'Import a build config',
      expect.objectContaining({ extensions: ['toml', 'json'] }),
    );
    expect(await api().studio.importBuildConfig()).toBeUndefined();
    writeFileSync(file, 'not = [valid');
    await expect(studio.importBuildConfig()).rejects.toThrow(/config\.toml: file: /);
  });

  test('exportBuildConfig writes config.toml 0600 with the password hashed', async () => {
    const file = join(dir, 'exported.toml');
    writeFileSync(file, 'old', { mode: 0o644 });
    const { studio } = api({ save: file });
    expect(await studio.exportBuildConfig(request.config)).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2-plain');
    expect(verifyPassword('hunter2-plain', /password = "([^"]+)"/.exec(text)?.[1] as string)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(studio.exportBuildConfig({ ...request.config, kernelArgs: ['a\nb'] })).rejects.toThrow(
      /kernelArgs\.0: a kernel argument has no newline/,
    );
  });

  test('listSshPublicKeys offers ~/.ssh/*.pub public keys only', async () => {
    mkdirSync(join(dir, '.ssh'));
    writeFileSync(join(dir, '.ssh', 'id_ed25519.pub'), `${KEY}\n`);
    writeFileSync(
      join(dir, '.ssh', 'id_ed25519'),
      '-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    writeFileSync(join(dir, '.ssh', 'broken.pub'), 'ssh-ed25519 AAAA\n');
    writeFileSync(join(dir, '.ssh', 'sneaky.pub'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    const { studio } = api();
    expect(await studio.listSshPublicKeys()).toEqual([{ path: join(dir, '.ssh', 'id_ed25519.pub'), key: KEY }]);
  });
});

describe('StudioApi getBuildDefaults', () => {
  test('the builder preference when it names a preset; else the CentOS builder', async () => {
    const studio = (value: unknown) =>
      createStudioApi({ ...api().deps, defaultBuilder: () => value }).getBuildDefaults();
    expect(await studio('rhel9')).toEqual({ builder: 'rhel9' });
    expect(await studio('image-builder')).toEqual({ builder: 'image-builder' });
    expect(await studio('toString')).toEqual({ builder: 'centos' });
    expect(await studio(undefined)).toEqual({ builder: 'centos' });
    expect(await studio(42)).toEqual({ builder: 'centos' });
  });
});

describe('StudioApi makeMachineRootful', () => {
  test('the engine’s podman machine, as the engine list names it, goes to the host', async () => {
    const machine = { name: 'podman-machine-default', vmType: 'wsl' };
    const { studio, makeMachineRootful } = api({}, machine);
    expect(await studio.makeMachineRootful(ENGINE.id)).toBe(true);
    expect(makeMachineRootful).toHaveBeenCalledWith(machine);
  });

  test('an unknown engine, or one that is not a podman machine, is refused; nothing runs', async () => {
    const { studio, makeMachineRootful } = api();
    await expect(studio.makeMachineRootful('nope')).rejects.toThrow('No running engine nope');
    await expect(studio.makeMachineRootful(ENGINE.id)).rejects.toThrow(
      /is not a podman machine Bootc Studio can change/,
    );
    await expect(studio.makeMachineRootful(7)).rejects.toThrow(/^engineId: /);
    expect(makeMachineRootful).not.toHaveBeenCalled();
  });
});

/** A finished build's record in the store, its output folder `outputDir`. */
async function recordBuild(overrides: Partial<DiskBuildRecord> & { outputDir: string }): Promise<string> {
  const { outputDir, ...rest } = overrides;
  const record: DiskBuildRecord = {
    id: '0123456789ab',
    request: { ...request, outputDir, config: { users: [], groups: [], kernelArgs: [], filesystems: [] } },
    status: 'succeeded',
    created: Date.now(),
    engineId: ENGINE.id,
    engineName: ENGINE.name,
    remote: false,
    builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
    artifacts: [],
    logPath: join(outputDir, 'image-build.log'),
    ...rest,
  };
  await new BuildStore(join(dir, 'store')).write(record);
  return record.id;
}

describe('StudioApi openDiskBuildFolder', () => {
  test('opens the folder of the record, exactly, through the host', async () => {
    const outputDir = join(dir, 'out');
    mkdirSync(outputDir);
    const id = await recordBuild({ outputDir });
    const { studio, openFolder } = api();
    expect(await studio.openDiskBuildFolder(id)).toBe(true);
    expect(openFolder).toHaveBeenCalledTimes(1);
    expect(openFolder).toHaveBeenCalledWith(outputDir);
  });

  test('answers what the host answered when it did not open it', async () => {
    const outputDir = join(dir, 'out');
    mkdirSync(outputDir);
    const id = await recordBuild({ outputDir });
    const { studio, openFolder } = api();
    openFolder.mockResolvedValueOnce(false);
    expect(await studio.openDiskBuildFolder(id)).toBe(false);
  });

  test('an unknown or malformed id is refused; nothing is opened', async () => {
    const { studio, openFolder } = api();
    await expect(studio.openDiskBuildFolder('fedcba987654')).rejects.toThrow(/no disk build "fedcba987654"/);
    await expect(studio.openDiskBuildFolder('../../etc')).rejects.toThrow(/no disk build/);
    await expect(studio.openDiskBuildFolder('')).rejects.toThrow(/^buildId: is required/);
    await expect(studio.openDiskBuildFolder(42)).rejects.toThrow(/^buildId: /);
    expect(openFolder).not.toHaveBeenCalled();
  });

  test('a folder on a remote engine’s machine is refused, naming the folder and the machine', async () => {
    const outputDir = join(dir, 'out');
    mkdirSync(outputDir);
    const id = await recordBuild({ outputDir, remote: true, engineName: 'build-server' });
    const { studio, openFolder } = api();
    await expect(studio.openDiskBuildFolder(id)).rejects.toThrow(
      `The output folder ${outputDir} is on the machine of build-server, not this one; open it there.`,
    );
    expect(openFolder).not.toHaveBeenCalled();
  });

  test('a folder that no longer exists (or is no folder) is refused, naming it', async () => {
    const gone = join(dir, 'gone');
    const id = await recordBuild({ outputDir: gone });
    const { studio, openFolder } = api();
    await expect(studio.openDiskBuildFolder(id)).rejects.toThrow(`The output folder ${gone} no longer exists.`);
    writeFileSync(gone, 'a file now');
    await expect(studio.openDiskBuildFolder(id)).rejects.toThrow(`The output folder ${gone} no longer exists.`);
    expect(openFolder).not.toHaveBeenCalled();
  });
});

describe('StudioApi checkOutputFolder', () => {
  test('names the build whose disk images are in the folder, and offers a fresh subfolder; arguments checked', async () => {
    const outputDir = join(dir, 'out');
    mkdirSync(join(outputDir, 'qcow2'), { recursive: true });
    const disk = join(outputDir, 'qcow2/disk.qcow2');
    writeFileSync(disk, 'disk');
    const { ino, dev, mtimeMs, size } = statSync(disk);
    await recordBuild({
      outputDir,
      artifacts: [{ type: 'qcow2', path: disk, size, ino, dev, mtimeMs }],
      logPath: join(outputDir, 'image-build-0123456789ab.log'),
    });
    const { studio } = api();
    const check = await studio.checkOutputFolder(outputDir, 'quay.io/fedora/fedora-bootc:42', ['qcow2', 'bogus']);
    expect(check.conflicts).toEqual([{ path: disk, buildId: '0123456789ab' }]);
    expect(check.suggestion).toMatch(new RegExp(`^${outputDir}/fedora-bootc-\\d{8}-\\d{4}$`));
    expect((await studio.checkOutputFolder(join(dir, 'elsewhere'), 'x', ['qcow2'])).conflicts).toEqual([]);
    await expect(studio.checkOutputFolder('relative/dir', 'x', [])).rejects.toThrow(/^outputDir: /);
    await expect(studio.startDiskBuild(request, { overwrite: 'yes' })).rejects.toThrow(/^overwrite: is true or false/);
  });
});
