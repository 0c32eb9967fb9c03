/**
 * Hostile input at the webview bridge: the real RpcServer and studio API over real services (disk
 * builds and VMs on a temp store, a real podman through its socket). Each case is a request a page
 * — or anything that can post to the webview — could send: an unknown or inherited method, the wrong
 * number or kind of arguments, prototype keys, and a hostile value in each field of the disk-build,
 * VM, image, day-2, console and shell calls. Each must be refused as data that names the field
 * (`error.fields`), with nothing started (no process: recording wrappers first on PATH), nothing
 * written (the store, output, export and home folders unchanged) and no container created.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../src/api/disk-build';
import { validateDiskBuildRequest } from '../../src/api/disk-build-schema';
import { launchRequestProblems } from '../../src/api/vms';
import { runProcess } from '../../src/platform/process';
import { createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { createBootcTestImage } from '../integration/support/stand-in-builder';
import { type BridgeHarness, errorOf, startBridge } from './support/bridge-harness';
import { addCount } from './support/counts';
import { CONFIGS, VALUE_LEVEL, writeConfigs } from './support/hostile-configs';
import { jsonWithKey, prototypePolluted, withField } from './support/hostile-cases';
import {
  GOOD_KEY,
  HOSTILE_KERNEL_ARGS,
  HOSTILE_KEYS,
  HOSTILE_MOUNTPOINTS,
  HOSTILE_PASSWORDS,
  HOSTILE_REFS,
  HOSTILE_SIZES,
  HOSTILE_USER_NAMES,
  PRIVATE_KEY_MATERIAL,
} from './support/hostile-values';
import { changes, containerIds, createProcessRecorder, type ProcessRecorder, snapshot } from './support/side-effects';

const IMAGE = 'localhost/hostile-bootc:1';
const SPEC = 'hostile-bridge';

const work = mkdtempSync(join(tmpdir(), 'bootc-studio-hostile-bridge-'));
const dirs = {
  out: join(work, 'out'),
  home: join(work, 'home'),
  exported: join(work, 'exported'),
  readOnly: join(work, 'read-only'),
  file: join(work, 'a-file'),
  disk: join(work, 'disk.raw'),
  rootLink: join(work, 'root-link'),
  configs: join(work, 'configs'),
};

/** A request that is valid in every field (checked below), so each case is refused for its one field. */
const REQUEST: DiskBuildRequest = {
  image: IMAGE,
  outputDir: dirs.out,
  types: ['qcow2'],
  arch: 'amd64',
  rootfs: 'xfs',
  builder: 'centos',
  config: {
    users: [{ name: 'demo', password: 'it\'s a "quoted" pass', sshKey: GOOD_KEY, groups: ['wheel'] }],
    groups: [{ name: 'devs', gid: 2000 }],
    kernelArgs: ['console=ttyS0'],
    filesystems: [{ mountpoint: '/var/data', minSize: '10 GiB' }],
  },
};
const LAUNCH = { source: { diskPath: dirs.disk }, name: 'hostile-vm', memoryMiB: 1024, cpus: 1 };

interface BridgeCase {
  /** What is hostile. */
  name: string;
  method: unknown;
  /** The arguments (or, as JSON text, what JSON cannot make from an object: own `__proto__` keys). */
  args: unknown;
  argsJson?: string;
  /** The field the refusal must name (a key of `error.fields`). */
  field: string;
  /** Text the error must never carry (a private key pasted in the wrong field). */
  secret?: string;
  /** The file the host's open dialog answers. */
  importFile?: string;
}

function build(path: string, value: unknown, field = path): BridgeCase {
  return {
    name: `startDiskBuild ${path} = ${show(value)}`,
    method: 'startDiskBuild',
    args: [withField(REQUEST, path, value)],
    field,
  };
}

function launch(path: string, value: unknown, field = path): BridgeCase {
  return {
    name: `launchVm ${path} = ${show(value)}`,
    method: 'launchVm',
    args: [withField(LAUNCH, path, value)],
    field,
  };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** Stands for the id of the VM made in beforeAll (the table is made before it exists). */
const VM = '@vm';
let vmId = '';

function cases(): BridgeCase[] {
  const proto = (method: string, args: unknown[], path: string[], key: string, field: string): BridgeCase => ({
    name: `${method} with a "${key}" key at ${path.join('.') || 'the top'}`,
    method,
    args: undefined,
    argsJson: jsonWithKey(args, path, key, { polluted: 'yes', isAdmin: true, outputDir: '/' }),
    field,
  });
  return [
    // --- the bridge itself: which methods, how many arguments, prototype keys
    { name: 'an unknown method', method: 'removeEverything', args: [], field: 'method' },
    { name: 'method __proto__', method: '__proto__', args: [], field: 'method' },
    { name: 'method constructor', method: 'constructor', args: [], field: 'method' },
    { name: 'method hasOwnProperty (inherited)', method: 'hasOwnProperty', args: ['x'], field: 'method' },
    { name: 'method toString (inherited)', method: 'toString', args: [], field: 'method' },
    { name: 'a method that is not a string', method: { toString: 'startDiskBuild' }, args: [], field: 'method' },
    { name: 'getJob without its argument', method: 'getJob', args: [], field: 'jobId' },
    { name: 'getJob with an extra argument', method: 'getJob', args: ['0123456789ab', 'extra'], field: 'args' },
    {
      name: 'deleteDiskBuild without keepFiles',
      method: 'deleteDiskBuild',
      args: ['0123456789ab'],
      field: 'keepFiles',
    },
    { name: 'tagImage without its target', method: 'tagImage', args: ['podman', IMAGE], field: 'target' },
    { name: 'args that are not a list', method: 'getJob', args: { 0: '0123456789ab' }, field: 'args' },
    { name: 'getJob with an object id', method: 'getJob', args: [{ id: 'x' }], field: 'jobId' },
    { name: 'getJob with a 600-character id', method: 'getJob', args: ['a'.repeat(600)], field: 'jobId' },
    { name: 'readJobLog from a string offset', method: 'readJobLog', args: ['0123456789ab', '0'], field: 'from' },
    { name: 'readJobLog from -1', method: 'readJobLog', args: ['0123456789ab', -1], field: 'from' },
    { name: 'readJobLog from 1.5', method: 'readJobLog', args: ['0123456789ab', 1.5], field: 'from' },
    {
      name: 'deleteDiskBuild keepFiles "yes"',
      method: 'deleteDiskBuild',
      args: ['0123456789ab', 'yes'],
      field: 'keepFiles',
    },
    proto('startDiskBuild', [REQUEST], ['0'], '__proto__', '__proto__'),
    proto('startDiskBuild', [REQUEST], ['0', 'config'], '__proto__', 'config.__proto__'),
    proto('startDiskBuild', [REQUEST], ['0', 'config', 'users', '0'], '__proto__', 'config.users.0.__proto__'),
    proto('startDiskBuild', [REQUEST], ['0'], 'constructor', 'constructor'),
    proto('startDiskBuild', [REQUEST], ['0', 'config'], 'prototype', 'config.prototype'),
    proto('launchVm', [LAUNCH], ['0'], '__proto__', '__proto__'),
    proto('runVmAction', ['0123456789ab', { kind: 'check' }], ['1'], '__proto__', '__proto__'),
    proto(
      'buildImage',
      [
        {
          contextDir: work,
          tag: 'localhost/x:1',
          platforms: ['linux/amd64'],
          buildArgs: {},
          noCache: false,
          pull: false,
        },
      ],
      ['0', 'buildArgs'],
      '__proto__',
      'buildArgs.__proto__',
    ),

    // --- the disk-build request, field by field
    ...HOSTILE_REFS.map(([, ref]) => build('image', ref)),
    build('image', 42),
    build('outputDir', 'relative/out'),
    build('outputDir', ''),
    build('outputDir', `${dirs.out}\nsecond`),
    build('outputDir', `${dirs.out}:/etc`),
    build('outputDir', '/'),
    build('outputDir', dirs.rootLink),
    build('outputDir', dirs.file),
    build('outputDir', dirs.readOnly),
    build('outputDir', join(dirs.file, 'under-a-file')),
    build('outputDir', [dirs.out]),
    build('types', []),
    build('types', 'qcow2'),
    build('types', ['qcow2;rm -rf /'], 'types.0'),
    build('types', ['qcow2', 'anaconda-iso']),
    build('arch', 'x86_64;id'),
    build('rootfs', 'zfs'),
    build('builder', { image: 'quay.io/x/$(id):1' }, 'builder.image'),
    build('builder', 'centos;id'),
    ...HOSTILE_USER_NAMES.map(([, name]) => build('config.users.0.name', name)),
    ...HOSTILE_PASSWORDS.map(([, password]) => build('config.users.0.password', password)),
    build('config.users.0.password', 42),
    ...HOSTILE_KEYS.map(([, key]) => ({
      ...build('config.users.0.sshKey', key),
      ...(key.includes('PRIVATE') ? { secret: PRIVATE_KEY_MATERIAL } : {}),
    })),
    build('config.users.0.groups', ['wheel;id'], 'config.users.0.groups.0'),
    build('config.users', 'demo'),
    build('config.groups.0.gid', -5),
    build('config.groups.0.name', 'wheel'),
    ...HOSTILE_KERNEL_ARGS.map(([, arg]) => build('config.kernelArgs', [arg], 'config.kernelArgs.0')),
    build(
      'config.kernelArgs',
      Array.from({ length: 300 }, (_, i) => `arg${i}=${'x'.repeat(8)}`),
    ),
    ...HOSTILE_MOUNTPOINTS.map(([, mountpoint]) => build('config.filesystems.0.mountpoint', mountpoint)),
    ...HOSTILE_SIZES.map(([, size]) => build('config.filesystems.0.minSize', size)),
    build('config.filesystems.0.minSize', 10),
    build('chown', '0:0;id'),
    build('config', 'a string'),
    { name: 'startDiskBuild(null)', method: 'startDiskBuild', args: [null], field: 'request' },
    {
      name: 'startDiskBuild createOutputDir "no"',
      method: 'startDiskBuild',
      args: [REQUEST, { createOutputDir: 'no' }],
      field: 'createOutputDir',
    },
    {
      name: 'startDiskBuild overwrite 1',
      method: 'startDiskBuild',
      args: [REQUEST, { overwrite: 1 }],
      field: 'overwrite',
    },
    {
      name: 'checkOutputFolder of a relative folder',
      method: 'checkOutputFolder',
      args: ['out', IMAGE, ['qcow2']],
      field: 'outputDir',
    },
    {
      name: 'checkOutputFolder with an image that is not text',
      method: 'checkOutputFolder',
      args: [dirs.out, 42, ['qcow2']],
      field: 'image',
    },
    {
      name: 'exportBuildConfig of a config with a bad user',
      method: 'exportBuildConfig',
      args: [withField(REQUEST.config, 'users.0.name', 'Root')],
      field: 'users.0.name',
    },

    // --- config files the page imports (the host's dialog answers their path)
    ...CONFIGS.filter(([what]) => !VALUE_LEVEL.has(what)).map(([what, file]) => ({
      name: `importBuildConfig of ${what}`,
      method: 'importBuildConfig',
      args: [],
      field: 'file',
      importFile: join(dirs.configs, file),
      secret: PRIVATE_KEY_MATERIAL,
    })),

    // --- images: build, push, pull, tag, delete
    {
      name: 'buildImage with an empty context',
      method: 'buildImage',
      args: [
        {
          contextDir: '',
          tag: 'localhost/x:1',
          platforms: ['linux/amd64'],
          buildArgs: {},
          noCache: false,
          pull: false,
        },
      ],
      field: 'contextDir',
    },
    {
      name: 'buildImage with a $(…) tag',
      method: 'buildImage',
      args: [
        {
          contextDir: work,
          tag: 'localhost/$(id):1',
          platforms: ['linux/amd64'],
          buildArgs: {},
          noCache: false,
          pull: false,
        },
      ],
      field: 'tag',
    },
    {
      name: 'buildImage with a Containerfile outside the context',
      method: 'buildImage',
      args: [
        {
          contextDir: work,
          containerfile: '../../etc/passwd',
          tag: 'localhost/x:1',
          platforms: ['linux/amd64'],
          buildArgs: {},
          noCache: false,
          pull: false,
        },
      ],
      field: 'containerfile',
    },
    {
      name: 'buildImage with a build argument named "A B"',
      method: 'buildImage',
      args: [
        {
          contextDir: work,
          tag: 'localhost/x:1',
          platforms: ['linux/amd64'],
          buildArgs: { 'A B': '1' },
          noCache: false,
          pull: false,
        },
      ],
      field: 'buildArgs.A B',
    },
    {
      name: 'buildImage with a two-line build argument',
      method: 'buildImage',
      args: [
        {
          contextDir: work,
          tag: 'localhost/x:1',
          platforms: ['linux/amd64'],
          buildArgs: { A: '1\nRUN id' },
          noCache: false,
          pull: false,
        },
      ],
      field: 'buildArgs.A',
    },
    {
      name: 'buildImage for windows/amd64',
      method: 'buildImage',
      args: [
        {
          contextDir: work,
          tag: 'localhost/x:1',
          platforms: ['windows/amd64'],
          buildArgs: {},
          noCache: false,
          pull: false,
        },
      ],
      field: 'platforms.0',
    },
    {
      name: 'buildImage with noCache "yes"',
      method: 'buildImage',
      args: [
        {
          contextDir: work,
          tag: 'localhost/x:1',
          platforms: ['linux/amd64'],
          buildArgs: {},
          noCache: 'yes',
          pull: false,
        },
      ],
      field: 'noCache',
    },
    { name: 'pushImage of a ; reference', method: 'pushImage', args: [{ ref: 'localhost/x:1;id' }], field: 'ref' },
    {
      name: 'pushImage with an empty user name',
      method: 'pushImage',
      args: [{ ref: IMAGE, credentials: { username: '', password: 'x' } }],
      field: 'credentials.username',
    },
    {
      name: 'pushImage with tlsVerify "false"',
      method: 'pushImage',
      args: [{ ref: IMAGE, tlsVerify: 'false' }],
      field: 'tlsVerify',
    },
    {
      name: 'pullImage of a two-line reference',
      method: 'pullImage',
      args: [{ ref: 'localhost/x:1\nlocalhost/y:2' }],
      field: 'ref',
    },
    {
      name: 'pullImage for platform linux/sparc',
      method: 'pullImage',
      args: [{ ref: IMAGE, platform: 'linux/sparc' }],
      field: 'platform',
    },
    {
      name: 'tagImage to an upper-case target',
      method: 'tagImage',
      args: ['podman', IMAGE, 'localhost/UPPER:1'],
      field: 'target',
    },
    {
      name: 'tagImage to a digest',
      method: 'tagImage',
      args: ['podman', IMAGE, `localhost/x@sha256:${'a'.repeat(64)}`],
      field: 'target',
    },
    {
      name: 'tagImage to a ; target',
      method: 'tagImage',
      args: ['podman', IMAGE, 'localhost/x:1;id'],
      field: 'target',
    },
    {
      name: 'deleteImage with shownTags not a list',
      method: 'deleteImage',
      args: ['podman', IMAGE, 'all'],
      field: 'shownTags',
    },
    {
      name: 'detectContainerfile in a relative folder',
      method: 'detectContainerfile',
      args: ['../etc'],
      field: 'contextDir',
    },

    // --- VMs: launch, console, terminals, log-in
    launch('source', { diskPath: 'disk.raw' }),
    launch('source', { diskPath: dirs.file }),
    launch('source', {}),
    launch('name', '../etc'),
    launch('name', 'vm;reboot'),
    launch('name', 'v'.repeat(300)),
    launch('memoryMiB', -1),
    launch('memoryMiB', 1e12),
    launch('cpus', 0),
    launch('cpus', '2'),
    launch('sshUser', 'root;id'),
    launch('hypervisor', 'xen'),
    launch('architecture', 'mips'),
    launch('cloudInit', 'yes'),
    launch('diskGiB', -1),
    { name: 'launchVm of a string', method: 'launchVm', args: ['disk.raw'], field: 'request' },
    { name: 'writeVmConsole of a number', method: 'writeVmConsole', args: [VM, 42], field: 'data' },
    {
      name: 'writeVmConsole of 70 000 characters',
      method: 'writeVmConsole',
      args: [VM, 'x'.repeat(70_000)],
      field: 'data',
    },
    { name: 'readVmConsole from "0"', method: 'readVmConsole', args: [VM, '0'], field: 'from' },
    { name: 'logInToVm with a NUL in the password', method: 'logInToVm', args: [VM, 'pass\0word'], field: 'password' },
    { name: 'openVmTerminal with 0 rows', method: 'openVmTerminal', args: [VM, 0, 80], field: 'rows' },
    { name: 'resizeVmTerminal to 5000 columns', method: 'resizeVmTerminal', args: ['t1', 24, 5000], field: 'cols' },
    { name: 'readVmTerminal from -1', method: 'readVmTerminal', args: ['t1', -1], field: 'from' },
    { name: 'startVm of an empty id', method: 'startVm', args: [''], field: 'vmId' },

    // --- day 2: the switch target and the action's fields
    ...HOSTILE_REFS.map(([, ref]) => ({
      name: `runVmAction switch to ${show(ref)}`,
      method: 'runVmAction',
      args: [VM, { kind: 'switch', image: ref }],
      field: 'image',
    })),
    {
      name: 'runVmAction of an unknown kind',
      method: 'runVmAction',
      args: [VM, { kind: 'format-disk' }],
      field: 'action',
    },
    {
      name: 'runVmAction switch with signature "trust-me"',
      method: 'runVmAction',
      args: [VM, { kind: 'switch', image: IMAGE, signature: 'trust-me' }],
      field: 'signature',
    },
    {
      name: 'runVmAction upgrade with apply "yes"',
      method: 'runVmAction',
      args: [VM, { kind: 'upgrade', apply: 'yes' }],
      field: 'apply',
    },
    { name: 'runVmAction of null', method: 'runVmAction', args: [VM, null], field: 'action' },
    {
      name: 'rebuildAndUpdateVm from a relative folder',
      method: 'rebuildAndUpdateVm',
      args: [VM, { contextDir: 'src' }],
      field: 'contextDir',
    },

    // --- the shell's calls
    { name: 'openExternal of javascript:', method: 'openExternal', args: ['javascript:alert(1)'], field: 'url' },
    { name: 'openExternal of file:///etc/passwd', method: 'openExternal', args: ['file:///etc/passwd'], field: 'url' },
    { name: 'selectFolder with an empty title', method: 'selectFolder', args: [''], field: 'title' },
    {
      name: 'selectFolder from a relative folder',
      method: 'selectFolder',
      args: ['Choose', '../..'],
      field: 'defaultPath',
    },
  ];
}

describe('hostile input at the webview bridge', () => {
  let podman: PodmanService;
  let bridge: BridgeHarness;
  let recorder: ProcessRecorder;
  let socketPath: string;
  const originalPath = process.env.PATH;
  let proved = 0;

  beforeAll(async () => {
    podman = await startPodmanService();
    socketPath = podman.socketPath;
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    for (const dir of [dirs.out, dirs.home, dirs.exported, dirs.readOnly, dirs.configs])
      mkdirSync(dir, { recursive: true });
    writeFileSync(dirs.file, 'not a folder\n');
    writeConfigs(dirs.configs);
    symlinkSync('/', dirs.rootLink);
    writeFileSync(dirs.disk, '');
    truncateSync(dirs.disk, 2 * 1024 * 1024);
    // Read-only even for root: the immutable attribute (ext4), undone in afterAll.
    execFileSync('chattr', ['+i', dirs.readOnly]);
    bridge = startBridge({ socketUrl: podman.url, dir: work, home: dirs.home });
    vmId = (await bridge.vms.create({ source: { diskPath: dirs.disk }, name: 'target' })).id;
    recorder = createProcessRecorder(join(work, 'recorder'));
    process.env.PATH = `${recorder.binDir}:${originalPath}`;
  });

  afterAll(async () => {
    process.env.PATH = originalPath;
    // A case that wrongly started a VM fails on its own; its QEMU must not outlive the run.
    const left = bridge ? (await bridge.vms.list()).vms : [];
    await Promise.all(left.map(vm => bridge.vms.remove(vm.id).catch(() => undefined)));
    bridge?.dispose();
    execFileSync('chattr', ['-i', dirs.readOnly]);
    rmSync(work, { recursive: true, force: true });
    await podman?.stop();
    addCount(SPEC, 'hostile inputs refused (field named, nothing started or written)', proved);
  });

  test('the requests the cases start from are valid, and the watchers see a change when there is one', async () => {
    expect(validateDiskBuildRequest(REQUEST).ok).toBe(true);
    expect(launchRequestProblems(LAUNCH)).toEqual({});
    // A process the product starts goes through the recording wrappers.
    await runProcess(['qemu-img', '--version']);
    expect(recorder.starts()).toEqual(['qemu-img --version']);
    recorder.clear();
    // A file written in the store shows in the snapshot.
    const before = snapshot(bridge.storeDir);
    writeFileSync(join(bridge.storeDir, 'probe'), 'x');
    expect(changes(before, snapshot(bridge.storeDir))).not.toEqual([]);
    rmSync(join(bridge.storeDir, 'probe'));
  });

  describe.each(cases().map(c => [c.name, c] as const))('%s', (_name, testCase) => {
    test('refused, the field named; nothing started, written or created', async () => {
      // The VM id exists only once beforeAll has run.
      const args = JSON.parse(JSON.stringify(testCase.args ?? null)) as unknown;
      const withVm = Array.isArray(args) && args[0] === VM ? [vmId, ...args.slice(1)] : args;
      const watched = [bridge.storeDir, dirs.out, dirs.home, dirs.exported, dirs.readOnly, dirs.configs];
      const before = snapshot(...watched);
      const containersBefore = await containerIds(socketPath);
      bridge.dialogs.save = join(dirs.exported, 'config.toml');
      bridge.dialogs.file = testCase.importFile;

      const response = testCase.argsJson
        ? await bridge.send(
            `{"kind":"rpc-request","id":${1_000_000 + proved},"method":${JSON.stringify(testCase.method)},"args":${testCase.argsJson}}`,
          )
        : await bridge.call(testCase.method, withVm);

      const error = errorOf(response);
      expect(error, JSON.stringify(response)).toBeDefined();
      expect(Object.keys(error?.fields ?? {}), error?.message).toContain(testCase.field);
      if (testCase.secret) expect(JSON.stringify(error)).not.toContain(testCase.secret);
      expect(prototypePolluted()).toEqual([]);
      expect(recorder.starts()).toEqual([]);
      expect(changes(before, snapshot(...watched))).toEqual([]);
      expect(await containerIds(socketPath)).toEqual(containersBefore);
      expect(bridge.opened).toEqual([]);
      proved++;
    });
  });
});
