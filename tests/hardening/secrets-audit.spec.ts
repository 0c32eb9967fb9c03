/**
 * Secrets audit (issue 13, item 4). Disk builds with awkward passwords and an SSH key go through the
 * real doors — the built CLI (`node dist/cli.js disk build …`) and the built extension's webview
 * bridge — against a real podman service and the stand-in builder; a VM of the tiny test disk runs
 * a session (start, `vm ssh`, day-2 status, a password login). Then every file the product wrote
 * (its store, the output folders, the temp dir it was given, new bootc-studio entries of the machine
 * temp dir) and everything it said (webview messages, host events, telemetry, console, CLI output)
 * is searched for each password, each password's SHA-512-crypt hash, and each private key. The
 * builder's config is watched while a build runs (0700 dir, 0600 file, hashed passwords only) and
 * must be gone after; modes of keys, records and store dirs are checked.
 */

import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../src/api/disk-build';
import type { Job } from '../../src/api/jobs';
import { ValidationError } from '../../src/api/validation';
import type { VmInfo } from '../../src/api/vms';
import { CONFIG_DIR_PREFIX } from '../../src/builds/build-config-tempdir';
import { BUILD_ID_LABEL } from '../../src/builds/builder-plan';
import { BuildStore } from '../../src/builds/build-store';
import { verifyPassword } from '../../src/builds/password-hash';
import { Day2Service } from '../../src/day2/day2-service';
import { JobRegistry } from '../../src/jobs/job-registry';
import { qemuBackend } from '../../src/vms/qemu/qemu-backend';
import type { VmBackend } from '../../src/vms/vm-backend';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import { realQemuHost } from '../../src/vms/vm-launch';
import { VmService } from '../../src/vms/vm-service';
import { waitFor } from '../integration/support/extension-driver';
import { createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  standInVariant,
} from '../integration/support/stand-in-builder';
import type { TestDisk } from '../integration/support/test-disk';
import { buildTestDisk, recordTestDiskBuild } from '../integration/support/test-disk';
import { guestTakesPasswordOnly, removeAllVms } from '../integration/support/test-vms';
import type { AuditedExtension } from './support/audit-extension';
import { startAuditedExtension } from './support/audit-extension';
import { addCount } from './support/counts';
import { processesMentioning } from './support/listening-sockets';
import type { FileEntry, Secret } from './support/secret-scan';
import { modeOf, octal, privateKeyNeedles, scanFiles, scanMessages, textNeedles, walk } from './support/secret-scan';
import { ed25519KeyPair } from '../unit/support/ssh-keys';

const SPEC = 'secrets-audit';
const cli = resolve(__dirname, '../../dist/cli.js');
const IMAGE = 'localhost/audit-bootc:1';
const SLOW = 'localhost/stand-in-audit-slow:latest';
const VM_BUILD_ID = '5ec2e75ec2e7';
const KEYLESS_BUILD_ID = '5ec2e7000001';

/** Each one distinct, so that a finding names which door let it out. */
const PASSWORDS = {
  quotes: `it's "quoted" \`tick\` $(id) \\back ;|& q-1`,
  unicode: 'pässwörd-密码-🔐-Ωμέγα-u-2',
  // A ':' in it: the CLI's --user then needs a trailing ':' (no groups).
  awkward: '  {{.Password}} %n%s =#[x] a:b *? ~3 ',
  bridge: `bridge "pw" \\ 'x' ü <b>&amp; 4`,
  vm: `vm "login" pa$$ 'wörd 5`,
};

describe('secrets audit: no password, hash or private key outside its own file', () => {
  let podman: PodmanService;
  let disk: TestDisk;
  let root: string;
  let store: string;
  let tmp: string;
  let home: string;
  let ext: AuditedExtension | undefined;
  const machineTmp = tmpdir();
  let machineTmpBefore: Set<string>;
  const saved = { HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  const userKey = ed25519KeyPair({ comment: 'audit@laptop' });
  let userKeyPath: string;
  /** Hashes the builder received (read from the stand-in's copy of its config), by password name. */
  const hashes = new Map<string, string>();
  /** What the CLI printed: a terminal's or a CI log's. */
  const cliOutputs: string[] = [];
  /** Config dirs seen while builds ran: their modes, and the config's. */
  const configsSeen = new Map<string, { dir: number; file?: number; text?: string }>();
  let vm: VmInfo | undefined;
  let localJobs: JobRegistry;
  let localVms: VmService | undefined;
  let keylessStarting: Promise<{ started: Job; created: VmInfo }> | undefined;
  let vmKey: string | undefined;

  function cliEnv(): NodeJS.ProcessEnv {
    const { CONTAINER_HOST: _h, BOOTC_STUDIO_HOME: _s, SSH_AUTH_SOCK: _a, ...base } = process.env;
    return { ...base, HOME: home, TMPDIR: tmp };
  }

  /** Runs the CLI; while it runs, records every builder config dir that appears in its temp dir. */
  async function bootcStudio(args: string[]): Promise<{ code: number | null; output: string }> {
    const engine = args[0] === 'disk' ? ['--url', podman.url] : [];
    const child = spawn(process.execPath, [cli, '--store', store, ...args, ...engine], {
      env: cliEnv(),
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exited = false;
    const code = new Promise<number | null>(done =>
      child.on('close', status => {
        exited = true;
        done(status);
      }),
    );
    while (!exited) {
      watchConfigDirs(tmp);
      await new Promise(done => setTimeout(done, 15));
    }
    cliOutputs.push(output);
    return { code: await code, output };
  }

  function watchConfigDirs(parent: string): void {
    for (const name of readdirSync(parent)) {
      if (!name.startsWith(CONFIG_DIR_PREFIX)) continue;
      const dir = join(parent, name);
      try {
        const seen = configsSeen.get(dir) ?? { dir: modeOf(statSync(dir)) };
        const file = join(dir, 'config.toml');
        // Read until its text is there: it is created (0600) first, then written.
        if (!seen.text && existsSync(file)) {
          seen.file = modeOf(statSync(file));
          seen.text = readFileSync(file, 'utf8');
        }
        configsSeen.set(dir, seen);
      } catch {
        // removed in between: the build ended
      }
    }
  }

  /** The hashes in the stand-in's copy of the config it received; the copy (the stand-in's, not ours) is then removed. */
  function takeReceivedConfig(outputDir: string): string[] {
    const path = join(outputDir, 'stand-in-config.toml');
    const text = readFileSync(path, 'utf8');
    rmSync(path);
    return [...text.matchAll(/password = "(\$6\$[^"]+)"/g)].map(match => match[1]);
  }

  function rememberHash(name: keyof typeof PASSWORDS, received: string[]): void {
    const hash = received.find(candidate => verifyPassword(PASSWORDS[name], candidate));
    expect(hash, `the builder got no hash of the ${name} password`).toBeDefined();
    hashes.set(name, hash as string);
  }

  beforeAll(async () => {
    machineTmpBefore = new Set(readdirSync(machineTmp));
    podman = await startPodmanService();
    disk = await buildTestDisk();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInVariant(podman, SLOW, { STANDIN_STEP_SECONDS: '0.25', STANDIN_STAGES: '4' });

    root = await mkdtemp(join(machineTmp, 'bootc-studio-secrets-audit-'));
    store = join(root, 'store');
    tmp = join(root, 'tmp');
    home = join(root, 'home');
    for (const dir of [tmp, join(home, '.ssh')]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    userKeyPath = join(home, '.ssh', 'id_audit');
    writeFileSync(userKeyPath, userKey.private, { mode: 0o600 });
    writeFileSync(`${userKeyPath}.pub`, `${userKey.public}\n`);
    // The in-process doors (the extension) use the same private temp dir and home as the CLI.
    process.env.TMPDIR = tmp;
    process.env.HOME = home;
    delete process.env.SSH_AUTH_SOCK;
  });

  afterAll(async () => {
    try {
      if (ext && vm) {
        await ext.call('deleteVm', vm.id).catch(() => undefined);
      }
      ext?.stop();
      await removeAllVms(localVms);
    } finally {
      // A QEMU the product left behind (its command line names our store) is ours to end.
      if (root) for (const pid of processesMentioning(root)) process.kill(pid, 'SIGKILL');
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await podman?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    }
  });

  test('CLI builds: passwords with quotes, unicode and spaces, and an SSH key, reach the builder only hashed', async () => {
    const out = join(root, 'out-cli');
    const firstRun = bootcStudio([
      'disk',
      'build',
      IMAGE,
      '--type',
      'qcow2',
      '--user',
      `alice:${PASSWORDS.quotes}:wheel`,
      '--user',
      `bob:${PASSWORDS.unicode}`,
      '--ssh-key',
      `alice=${userKeyPath}.pub`,
      '--output',
      out,
      '--builder',
      STAND_IN_BUILDER,
    ]);
    // Beside it, a slower builder, so that its config is seen while it runs.
    const slowOut = join(root, 'out-cli-slow');
    const secondRun = bootcStudio([
      'disk',
      'build',
      IMAGE,
      '--type',
      'raw',
      '--user',
      `carol:${PASSWORDS.awkward}:`,
      '--output',
      slowOut,
      '--builder',
      SLOW,
      '--json',
    ]);
    const [first, second] = await Promise.all([firstRun, secondRun]);
    expect(first.code, first.output).toBe(0);
    const received = takeReceivedConfig(out);
    rememberHash('quotes', received);
    rememberHash('unicode', received);

    expect(second.code, second.output).toBe(0);
    rememberHash('awkward', takeReceivedConfig(slowOut));
  });

  test('a webview build: the password and key cross the bridge once, inbound', async () => {
    ext = await startAuditedExtension({
      socketPath: podman.socketPath,
      storagePath: store,
      settingsFile: join(root, 'settings.json'),
    });
    const out = join(root, 'out-bridge');
    const request: DiskBuildRequest = {
      image: IMAGE,
      outputDir: out,
      types: ['qcow2'],
      arch: 'amd64',
      builder: { image: SLOW },
      config: {
        users: [{ name: 'dave', password: PASSWORDS.bridge, sshKey: userKey.public, groups: ['wheel'] }],
        groups: [],
        kernelArgs: [],
        filesystems: [],
      },
    };
    const audited = ext;
    await audited.call('previewDiskBuild', request);
    const id = await audited.call<string>('startDiskBuild', request, { createOutputDir: true });
    const job = await waitFor(async () => {
      watchConfigDirs(tmp);
      const current = await audited.call<Job>('getJob', id);
      return ['succeeded', 'failed', 'cancelled', 'lost'].includes(current.status) && current;
    }, 120_000);
    expect(job.status, job.error?.message).toBe('succeeded');
    await ext.call('readJobLog', id, 0);
    rememberHash('bridge', takeReceivedConfig(out));
  });

  test('a VM session through the bridge: start, `vm ssh`, day-2 status, console, stop (a second, keyless VM boots meanwhile)', async () => {
    const audited = ext as AuditedExtension;
    await recordTestDiskBuild(disk, store, join(root, 'out-vm'), VM_BUILD_ID);
    await recordTestDiskBuild(disk, store, join(root, 'out-vm-keyless'), KEYLESS_BUILD_ID, undefined, [
      { name: 'root', sshKey: userKey.public, groups: ['wheel'] },
    ]);
    const qemu = qemuBackend(realQemuHost());
    // As a Fusion or Hyper-V VM: the guest gets the user's key (the image's), never one of the VM's.
    const keyless: VmBackend = {
      ...qemu,
      injectsKey: false,
      async launch(record, paths, options) {
        copyFileSync(userKeyPath, paths.key);
        copyFileSync(`${userKeyPath}.pub`, `${paths.key}.pub`);
        const launched = await qemu.launch(record, paths, options);
        await unlink(paths.key);
        return launched;
      },
    };
    localJobs = new JobRegistry();
    localVms = new VmService({
      storeDir: store,
      jobs: localJobs,
      buildDisk: buildDiskFinder(new BuildStore(store)),
      sshTimeoutMs: 120_000,
      powerdownTimeoutMs: 30_000,
      backends: { qemu: keyless },
    });
    const created = await localVms.create({
      source: { buildId: KEYLESS_BUILD_ID },
      cpus: 1,
      memoryMiB: 384,
      name: 'audit-keyless',
    });
    // Booted while the bridge's VM boots: two emulated guests at once take less time than one after the other.
    keylessStarting = localJobs.wait(localVms.start(created.id).id).then(started => ({ started, created }));
    keylessStarting.catch(() => undefined);
    const { vmId, jobId } = await audited.call<{ vmId: string; jobId: string }>('launchVm', {
      source: { buildId: VM_BUILD_ID },
      name: 'audit-vm',
      cpus: 1,
      memoryMiB: 384,
    });
    const started = await waitFor(async () => {
      const current = await audited.call<Job>('getJob', jobId);
      return ['succeeded', 'failed', 'cancelled', 'lost'].includes(current.status) && current;
    }, 240_000);
    expect(started.status, started.error?.message).toBe('succeeded');
    vm = (await audited.call<{ vms: VmInfo[] }>('listVms')).vms.find(candidate => candidate.id === vmId) as VmInfo;
    vmKey = readFileSync(vm.sshKeyPath, 'utf8');

    const ssh = await bootcStudio(['vm', 'ssh', 'audit-vm', '--', 'echo', 'audit-$((1+1))']);
    expect(ssh.output).toContain('audit-2');
    await audited.call('getVmStatus', vmId);

    await audited.call('readVmConsole', vmId, 0);

    const stopJob = await audited.call<string>('stopVm', vmId);
    const stopped = await waitFor(async () => {
      const current = await audited.call<Job>('getJob', stopJob);
      return ['succeeded', 'failed', 'cancelled', 'lost'].includes(current.status) && current;
    }, 120_000);
    expect(stopped.status, stopped.error?.message).toBe('succeeded');
  });

  test('a password login (vm-login.spec’s keyless VM): a wrong password refused, the right one gets in, day 2 runs', async () => {
    const { started, created } = await (keylessStarting as Promise<{ started: Job; created: VmInfo }>);
    expect(started.error).toBeUndefined();
    const vms = localVms as VmService;
    const day2 = new Day2Service({ vms, jobs: localJobs, rebootTimeoutMs: 180_000 });
    const keylessVm = await vms.get(created.id);
    await guestTakesPasswordOnly(keylessVm, PASSWORDS.vm, userKey.private);
    const wrong = await vms.logIn(keylessVm.id, 'not the password').catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(ValidationError);
    await vms.logIn(keylessVm.id, PASSWORDS.vm);
    expect(await day2.status(keylessVm.id)).toMatchObject({ manager: 'bootc' });
    const stopped = await localJobs.wait(vms.stop(keylessVm.id).id);
    expect(stopped.error).toBeUndefined();
  });

  test('every file written and every message sent is free of passwords, hashes and private keys', async () => {
    expect(hashes.size).toBe(4);
    expect(vm && vmKey).toBeTruthy();
    const secrets: Secret[] = [
      ...Object.entries(PASSWORDS).map(([name, value]) => ({ name: `password ${name}`, needles: textNeedles(value) })),
      ...[...hashes].map(([name, hash]) => ({ name: `hash of password ${name}`, needles: textNeedles(hash) })),
      { name: 'the user’s private key', needles: privateKeyNeedles(userKey.private), allowedIn: [userKeyPath] },
      { name: 'the VM’s private key', needles: privateKeyNeedles(vmKey as string), allowedIn: [vm?.sshKeyPath ?? ''] },
    ];

    // What the product wrote: all of our private root (store, outputs, the temp dir and home it was
    // given); the podman service's dir (where a builder container left behind would keep its log);
    // and any new entry of the machine's temp dir of the kinds the product makes (config dirs, VM
    // socket dirs, podman services): one would mean it ignored its TMPDIR.
    const newMachineEntries = readdirSync(machineTmp)
      .filter(name => !machineTmpBefore.has(name) && /^bootc-studio-(config|vm|service)-/.test(name))
      .map(name => join(machineTmp, name));
    const entries: FileEntry[] = [root, podman.dir, ...newMachineEntries].flatMap(dir => walk(dir));
    const files = scanFiles(entries, secrets);

    const messages = [
      scanMessages(audited().posted, secrets, 'webview message'),
      scanMessages(audited().hostEvents, secrets, 'host event'),
      scanMessages(audited().telemetry, secrets, 'telemetry call'),
      scanMessages(audited().consoleLines, secrets, 'console line'),
      scanMessages(cliOutputs, secrets, 'CLI output'),
    ];
    expect([...files.findings, ...messages.flatMap(result => result.findings)]).toEqual([]);
    expect(files.files).toBeGreaterThan(20);
    expect(audited().posted.length).toBeGreaterThan(20);

    // The builder's podman container (whose log holds what the builder printed) is gone.
    const { stdout } = await podman.podman(['ps', '-a', '--filter', `label=${BUILD_ID_LABEL}`, '--format', '{{.ID}}']);
    expect(stdout.trim()).toBe('');

    addCount(SPEC, 'files scanned for secrets', files.files, `${files.bytes} bytes`);
    const messageCount =
      audited().posted.length +
      audited().hostEvents.length +
      audited().telemetry.length +
      audited().consoleLines.length +
      cliOutputs.length;
    addCount(
      SPEC,
      'webview/telemetry messages scanned',
      messageCount,
      `${audited().posted.length} webview, ${audited().hostEvents.length} host events, ${audited().telemetry.length} telemetry calls (${audited().telemetryLoggers} loggers), ${audited().consoleLines.length} console lines, ${cliOutputs.length} CLI runs; ${messages.reduce((sum, result) => sum + result.bytes, 0)} bytes`,
    );
    addCount(SPEC, 'secrets searched for', secrets.length, 'passwords, their crypt hashes, private keys');
  });

  test('the builder config lived only while its build ran: 0700 dir, 0600 file, hashes only; then gone', () => {
    expect(configsSeen.size).toBeGreaterThanOrEqual(2);
    for (const [dir, seen] of configsSeen) {
      expect(octal(seen.dir), dir).toBe('0700');
      expect(seen.file === undefined ? undefined : octal(seen.file), dir).toBe('0600');
      for (const [name, value] of Object.entries(PASSWORDS)) expect(seen.text, name).not.toContain(value);
      expect(seen.text).toMatch(/password = "\$6\$/);
      expect(existsSync(dir), `${dir} is left after its build`).toBe(false);
    }
    addCount(SPEC, 'builder configs watched while running', configsSeen.size);
  });

  test('modes: private keys, records and store dirs are private', () => {
    const problems: string[] = [];
    let checked = 0;
    const expectMode = (path: string, wanted: number) => {
      checked++;
      const mode = modeOf(statSync(path));
      if (mode !== wanted) problems.push(`${path}: ${octal(mode)}, want ${octal(wanted)}`);
    };
    expectMode((vm as VmInfo).sshKeyPath, 0o600);
    for (const { path, stats } of walk(store)) {
      if (stats.isSymbolicLink() || stats.isSocket()) continue;
      if (stats.isDirectory()) expectMode(path, 0o700);
      else if (/\.(json|lease)$|[/\\]id_|known_hosts$|\.toml$/.test(path) && !path.endsWith('.pub'))
        expectMode(path, 0o600);
      else {
        checked++;
        if (modeOf(stats) & 0o022) problems.push(`${path}: ${octal(modeOf(stats))} is writable by others`);
      }
    }
    for (const { path, stats } of walk(root).filter(entry => entry.path.startsWith(join(root, 'out-')))) {
      checked++;
      if (!stats.isSymbolicLink() && modeOf(stats) & 0o002) problems.push(`${path}: world-writable`);
    }
    expect(problems).toEqual([]);
    addCount(SPEC, 'file modes checked', checked);
  });

  function audited(): AuditedExtension {
    if (!ext) throw new Error('the extension did not start');
    return ext;
  }
});
