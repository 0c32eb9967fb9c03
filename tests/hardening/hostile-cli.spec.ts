/**
 * Hostile input at the CLI: the built `bootc-studio` (dist/cli.js) spawned with argv arrays, on a
 * real podman service, a store of its own and recording wrappers first on PATH. Each case — a flag
 * or argument of `disk build`, `vm run`, `vm switch`, `image build/push/pull`, `--url`, or a config
 * file given to `--config` — must exit 2 with a message that names the flag (or argument), and leave
 * no trace: no process started, nothing written in the store or the folders, no container created.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { JobRegistry } from '../../src/jobs/job-registry';
import { VmService } from '../../src/vms/vm-service';
import { createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { createBootcTestImage } from '../integration/support/stand-in-builder';
import { runCli } from './support/cli-runner';
import { CONFIGS, writeConfigs } from './support/hostile-configs';
import { addCount } from './support/counts';
import {
  GOOD_KEY,
  HOSTILE_KERNEL_ARGS,
  HOSTILE_KEYS,
  HOSTILE_MOUNTPOINTS,
  HOSTILE_PASSWORDS,
  HOSTILE_REFS,
  HOSTILE_SIZES,
  HOSTILE_USER_NAMES,
  PRIVATE_KEY,
  PRIVATE_KEY_MATERIAL,
} from './support/hostile-values';
import { changes, containerIds, createProcessRecorder, type ProcessRecorder, snapshot } from './support/side-effects';

const IMAGE = 'localhost/hostile-bootc:1';
const SPEC = 'hostile-cli';

const work = mkdtempSync(join(tmpdir(), 'bootc-studio-hostile-cli-'));
const dirs = {
  store: join(work, 'store'),
  home: join(work, 'home'),
  out: join(work, 'out'),
  readOnly: join(work, 'read-only'),
  file: join(work, 'a-file'),
  rootLink: join(work, 'root-link'),
  disk: join(work, 'disk.raw'),
  context: join(work, 'context'),
  keys: join(work, 'keys'),
  configs: join(work, 'configs'),
  logs: join(work, 'start-logs'),
};

/** A key file with `content`, named for the case. */
const keyFiles: [string, string, string][] = HOSTILE_KEYS.map(([what, key], i) => [
  what,
  join(dirs.keys, `key-${i}.pub`),
  key,
]);

interface CliCase {
  name: string;
  args: string[];
  /** What stderr must name: the flag or argument. */
  names: RegExp;
  /** Text stderr must never carry (a private key). */
  secret?: string;
}

const disk = (...flags: string[]): string[] => ['disk', 'build', IMAGE, '--output', dirs.out, ...flags];
const vmRun = (...flags: string[]): string[] => ['vm', 'run', dirs.disk, '--detach', ...flags];
const user = /--user \(1\)|User demo: the password/;

function cases(): CliCase[] {
  return [
    // --- disk build: the image, the output folder, each flag
    ...HOSTILE_REFS.map(([what, ref]) => ({
      name: `disk build of ${what}`,
      args: ['disk', 'build', ref, '--output', dirs.out],
      names: /IMAGE/,
    })),
    { name: 'disk build without --output', args: ['disk', 'build', IMAGE], names: /--output/ },
    { name: 'disk build --output ""', args: disk().slice(0, 3).concat(['--output', '']), names: /--output/ },
    { name: 'disk build --output /', args: ['disk', 'build', IMAGE, '--output', '/'], names: /--output/ },
    {
      name: 'disk build --output a link to /',
      args: ['disk', 'build', IMAGE, '--output', dirs.rootLink],
      names: /--output/,
    },
    { name: 'disk build --output a file', args: ['disk', 'build', IMAGE, '--output', dirs.file], names: /--output/ },
    {
      name: 'disk build --output a read-only folder',
      args: ['disk', 'build', IMAGE, '--output', dirs.readOnly],
      names: /--output/,
    },
    {
      name: 'disk build --output under a file',
      args: ['disk', 'build', IMAGE, '--output', join(dirs.file, 'x')],
      names: /--output/,
    },
    {
      name: 'disk build --output with a ":"',
      args: ['disk', 'build', IMAGE, '--output', `${dirs.out}:/etc`],
      names: /--output/,
    },
    {
      name: 'disk build --output with a newline',
      args: ['disk', 'build', IMAGE, '--output', `${dirs.out}\nx`],
      names: /--output/,
    },
    { name: 'disk build --type qcow2;id', args: disk('--type', 'qcow2;id'), names: /--type/ },
    { name: 'disk build --type qcow2 --type iso', args: disk('--type', 'qcow2', '--type', 'iso'), names: /--type/ },
    { name: 'disk build --arch x86', args: disk('--arch', 'x86'), names: /--arch/ },
    { name: 'disk build --rootfs zfs', args: disk('--rootfs', 'zfs'), names: /--rootfs/ },
    ...HOSTILE_USER_NAMES.map(([what, name]) => ({
      name: `disk build --user of ${what}`,
      args: disk('--user', name),
      names: /--user \(1\)/,
    })),
    // NUL cannot be passed in argv at all: the operating system ends the string there.
    ...HOSTILE_PASSWORDS.filter(([, password]) => !password.includes('\0')).map(([what, password]) => ({
      name: `disk build --user with a password of ${what}`,
      args: disk('--user', `demo:${password}:`),
      names: user,
    })),
    ...keyFiles.map(([what, path]) => ({
      name: `disk build --ssh-key of ${what}`,
      args: disk('--ssh-key', `demo=${path}`),
      names: /--ssh-key/,
      secret: PRIVATE_KEY_MATERIAL,
    })),
    {
      name: 'disk build --ssh-key of a private key file',
      args: disk('--ssh-key', `demo=${join(dirs.keys, 'id_ed25519')}`),
      names: /--ssh-key/,
      secret: PRIVATE_KEY_MATERIAL,
    },
    {
      name: 'disk build --ssh-key of a missing file',
      args: disk('--ssh-key', `demo=${join(dirs.keys, 'missing.pub')}`),
      names: /--ssh-key/,
    },
    {
      name: 'disk build --ssh-key without a user',
      args: disk('--ssh-key', join(dirs.keys, 'key-0.pub')),
      names: /--ssh-key/,
    },
    ...HOSTILE_KERNEL_ARGS.map(([what, arg]) => ({
      name: `disk build --kernel-arg with ${what}`,
      args: disk('--kernel-arg', arg),
      names: /--kernel-arg/,
    })),
    ...HOSTILE_MOUNTPOINTS.map(([what, mountpoint]) => ({
      name: `disk build --filesystem at ${what}`,
      args: disk('--filesystem', `${mountpoint}=10GiB`),
      names: /--filesystem \(1\)/,
    })),
    ...HOSTILE_SIZES.map(([what, size]) => ({
      name: `disk build --filesystem of size ${what}`,
      args: disk('--filesystem', `/var/data=${size}`),
      names: /--filesystem \(1\)/,
    })),
    { name: 'disk build --group wheel (the image has it)', args: disk('--group', 'wheel'), names: /--group/ },
    {
      name: 'disk build --group with a GID that is not a number',
      args: disk('--group', 'devs:1;id'),
      names: /--group/,
    },
    { name: 'disk build --chown root:root', args: disk('--chown', 'root:root'), names: /--chown/ },
    { name: 'disk build --builder $(…)', args: disk('--builder', 'quay.io/$(id)/builder:1'), names: /--builder/ },
    {
      name: 'disk build --aws-ami-name alone',
      args: disk('--type', 'ami', '--aws-ami-name', 'my-ami'),
      names: /--aws-bucket/,
    },
    { name: 'disk build with an unknown flag', args: disk('--rm-rf'), names: /--rm-rf/ },
    { name: 'disk build --type without its value', args: disk('--type'), names: /--type/ },
    { name: 'disk build with a second image', args: disk(IMAGE), names: /disk build: unexpected argument/ },
    ...CONFIGS.map(([what, file]) => ({
      name: `disk build --config of ${what}`,
      args: disk('--config', join(dirs.configs, file)),
      names: /--config/,
      secret: PRIVATE_KEY_MATERIAL,
    })),

    // --- vm run, start, switch
    { name: 'vm run --name ../etc', args: vmRun('--name', '../etc'), names: /--name/ },
    { name: 'vm run --name with a ;', args: vmRun('--name', 'vm;reboot'), names: /--name/ },
    { name: 'vm run --name of 300 characters', args: vmRun('--name', 'v'.repeat(300)), names: /--name/ },
    { name: 'vm run --name ""', args: vmRun('--name', ''), names: /--name/ },
    { name: 'vm run --memory -1', args: vmRun('--memory', '-1'), names: /--memory/ },
    { name: 'vm run --memory lots', args: vmRun('--memory', 'lots'), names: /--memory/ },
    { name: 'vm run --cpus 0', args: vmRun('--cpus', '0'), names: /--cpus/ },
    { name: 'vm run --cpus 1e9', args: vmRun('--cpus', '1e9'), names: /--cpus/ },
    { name: 'vm run --user root;id', args: vmRun('--user', 'root;id'), names: /--user/ },
    { name: 'vm run --hypervisor xen', args: vmRun('--hypervisor', 'xen'), names: /--hypervisor/ },
    { name: 'vm run --disk-size -1', args: vmRun('--disk-size', '-1'), names: /--disk-size/ },
    { name: 'vm run of a relative path that does not exist', args: ['vm', 'run', './nope.qcow2'], names: /DISK-PATH/ },
    { name: 'vm start of a VM name with a ;', args: ['vm', 'start', 'target;reboot'], names: /VM/ },
    ...HOSTILE_REFS.map(([what, ref]) => ({
      name: `vm switch to ${what}`,
      args: ['vm', 'switch', 'target', ref],
      names: /REF/,
    })),
    {
      name: 'vm switch --signature trust-me',
      args: ['vm', 'switch', 'target', IMAGE, '--signature', 'trust-me'],
      names: /--signature/,
    },

    // --- images
    {
      name: 'image build -t with $(…)',
      args: ['image', 'build', dirs.context, '-t', 'localhost/$(id):1'],
      names: /--tag/,
    },
    {
      name: 'image build -t upper case',
      args: ['image', 'build', dirs.context, '-t', 'localhost/UPPER:1'],
      names: /--tag/,
    },
    {
      name: 'image build -f outside the context',
      args: ['image', 'build', dirs.context, '-t', 'localhost/x:1', '-f', '../../etc/passwd'],
      names: /--file/,
    },
    {
      name: 'image build --platform windows/amd64',
      args: ['image', 'build', dirs.context, '-t', 'localhost/x:1', '--platform', 'windows/amd64'],
      names: /--platform/,
    },
    {
      name: 'image build --build-arg "A B=1"',
      args: ['image', 'build', dirs.context, '-t', 'localhost/x:1', '--build-arg', 'A B=1'],
      names: /--build-arg/,
    },
    {
      name: 'image build --build-arg with a newline',
      args: ['image', 'build', dirs.context, '-t', 'localhost/x:1', '--build-arg', 'A=1\nRUN id'],
      names: /--build-arg/,
    },
    { name: 'image push of a ; reference', args: ['image', 'push', 'localhost/x:1;id'], names: /ref|REF/ },
    {
      name: 'image push --tls-verify maybe',
      args: ['image', 'push', IMAGE, '--tls-verify', 'maybe'],
      names: /--tls-verify/,
    },
    {
      name: 'image push --creds without a user',
      args: ['image', 'push', IMAGE, '--creds', ':secret'],
      names: /--creds/,
    },
    {
      name: 'image pull --platform linux/sparc',
      args: ['image', 'pull', IMAGE, '--platform', 'linux/sparc'],
      names: /--platform/,
    },

    // --- the engine URL (and its port)
    { name: '--url tcp://0.0.0.0:2375', args: ['--url', 'tcp://0.0.0.0:2375', 'images'], names: /--url|tcp:/ },
    {
      name: '--url with port 99999',
      args: ['--url', 'ssh://root@127.0.0.1:99999/run/podman/podman.sock', 'images'],
      names: /--url|port/,
    },
    {
      name: '--url with port 0',
      args: ['--url', 'ssh://root@127.0.0.1:0/run/podman/podman.sock', 'images'],
      names: /--url|port/,
    },
    {
      name: '--url with a relative socket',
      args: ['--url', 'unix://relative/podman.sock', 'images'],
      names: /--url|absolute/,
    },
  ];
}

describe('hostile input at the CLI', () => {
  let podman: PodmanService;
  let recorder: ProcessRecorder;
  let env: NodeJS.ProcessEnv;
  let proved = 0;
  let storeBeforeWarmUp: Map<string, string>;
  const watched = () => [dirs.store, dirs.home, dirs.out, dirs.readOnly, dirs.context, dirs.keys, dirs.configs];

  beforeAll(async () => {
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    for (const dir of [
      dirs.store,
      dirs.home,
      dirs.out,
      dirs.readOnly,
      dirs.context,
      dirs.keys,
      dirs.configs,
      dirs.logs,
    ])
      mkdirSync(dir, { recursive: true });
    writeFileSync(dirs.file, 'not a folder\n');
    symlinkSync('/', dirs.rootLink);
    writeFileSync(dirs.disk, '');
    truncateSync(dirs.disk, 2 * 1024 * 1024);
    writeFileSync(join(dirs.context, 'Containerfile'), `FROM ${IMAGE}\n`);
    for (const [, path, key] of keyFiles) writeFileSync(path, `${key}\n`);
    writeFileSync(join(dirs.keys, 'id_ed25519'), `${PRIVATE_KEY}\n`, { mode: 0o600 });
    writeFileSync(join(dirs.keys, 'good.pub'), `${GOOD_KEY}\n`);
    writeConfigs(dirs.configs);
    execFileSync('chattr', ['+i', dirs.readOnly]);
    // The VM the day-2 cases name (stopped: nothing may reach it anyway).
    const vms = new VmService({
      storeDir: dirs.store,
      jobs: new JobRegistry(),
      buildDisk: async () => {
        throw new Error('no builds here');
      },
    });
    await vms.create({ source: { diskPath: dirs.disk }, name: 'target' });
    vms.dispose();
    recorder = createProcessRecorder(join(work, 'recorder'));
    env = {
      ...process.env,
      PATH: `${recorder.binDir}:${process.env.PATH}`,
      HOME: dirs.home,
      BOOTC_STUDIO_HOME: dirs.store,
      CONTAINER_HOST: podman.url,
    };
    // What a first run keeps (the engine's info), so that each case starts from a store in use.
    storeBeforeWarmUp = snapshot(dirs.store);
    const warm = await runCli(['images', '--json'], { env, cwd: work });
    expect(warm.code, warm.stderr).toBe(0);
    expect(recorder.starts()).toEqual([]);
  });

  afterAll(async () => {
    execFileSync('chattr', ['-i', dirs.readOnly]);
    rmSync(work, { recursive: true, force: true });
    await podman?.stop();
    addCount(SPEC, 'hostile inputs refused (field named, nothing started or written)', proved);
  });

  test('the checks can fail: a good command exits 0, the wrappers record, the snapshot sees a write', async () => {
    const good = await runCli(['disk', 'ls', '--json'], { env, cwd: work });
    expect(good.code, good.stderr).toBe(0);
    // The PATH and the log the CLI gets record what is started through them.
    const log = join(dirs.logs, 'control.log');
    execFileSync('ssh-keygen', ['-l', '-f', join(dirs.keys, 'good.pub')], {
      env: { ...env, HOSTILE_START_LOG: log },
      stdio: 'ignore',
    });
    expect(readLog(log)).toHaveLength(1);
    // The warm-up run wrote the engine's info into the store: the snapshot saw it.
    expect(changes(storeBeforeWarmUp, snapshot(dirs.store))).not.toEqual([]);
  });

  describe.concurrent.each(cases().map((c, i) => [c.name, c, i] as const))('%s', (_name, testCase, index) => {
    test('exit 2, the flag named; nothing started, written or created', async () => {
      const log = join(dirs.logs, `case-${index}.log`);
      const before = snapshot(...watched());
      const containersBefore = await containerIds(podman.socketPath);

      const result = await runCli(testCase.args, { env: { ...env, HOSTILE_START_LOG: log }, cwd: work });

      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(testCase.names);
      expect(result.stderr).not.toMatch(/\n\s+at .*\(|TypeError|ReferenceError|undefined/);
      if (testCase.secret) expect(result.stderr + result.stdout).not.toContain(testCase.secret);
      expect(readLog(log)).toEqual([]);
      expect(changes(before, snapshot(...watched()))).toEqual([]);
      expect(await containerIds(podman.socketPath)).toEqual(containersBefore);
      proved++;
    });
  });
});

function readLog(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
