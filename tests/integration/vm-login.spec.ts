/**
 * A VM its own key cannot reach at boot (what VMware Fusion and Hyper-V VMs are), against a real
 * VM: QEMU boots the tiny test disk through a back end that, like those hypervisors, gives the guest
 * no key of the VM's — the guest gets the user's key instead, as an image built with the build
 * form's user key has it — and the VM's private key is removed. The start logs in with the user's
 * key (found in ~/.ssh by the build's public key) and pins the host key; day 2 and `vm ssh` use it.
 * Then the guest takes a password only: day 2 says a password is needed, a wrong one is refused on
 * its field, the right one gets in and is kept in memory only; `vm ssh` asks for it on a terminal.
 */

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { VM_PASSWORD_NEEDED, type VmInfo } from '../../src/api/vms';
import { ValidationError } from '../../src/api/validation';
import { BuildStore } from '../../src/builds/build-store';
import { Day2Service } from '../../src/day2/day2-service';
import { JobRegistry } from '../../src/jobs/job-registry';
import { shellCommand } from '../../src/platform/shell-quote';
import { qemuBackend } from '../../src/vms/qemu/qemu-backend';
import type { VmBackend } from '../../src/vms/vm-backend';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import { realQemuHost } from '../../src/vms/vm-launch';
import { VmService } from '../../src/vms/vm-service';
import { guestTakesPasswordOnly, removeAllVms } from './support/test-vms';
import { buildTestDisk, recordTestDiskBuild } from './support/test-disk';
import { ProcessError, runProcess } from './support/run-process';
import { ed25519KeyPair } from '../unit/support/ssh-keys';

const cli = resolve(__dirname, '../../dist/cli.js');
const BUILD_ID = '10610610610a';
const PASSWORD = `tiny "os" pa$$ 'word`;

describe('a VM whose own key cannot reach it: the user’s key from the build, then a password', () => {
  let store: string;
  let home: string;
  let jobs: JobRegistry;
  let vms: VmService;
  let day2: Day2Service;
  let vm: VmInfo;
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  const userKey = ed25519KeyPair({ comment: 'me@laptop' });

  /** What a user's shell would run: the CLI on the test's store, as the user whose home holds the key. */
  function cliEnv(): NodeJS.ProcessEnv {
    const { CONTAINER_HOST: _host, BOOTC_STUDIO_HOME: _studio, SSH_AUTH_SOCK: _agent, ...env } = process.env;
    return { ...env, HOME: home };
  }

  async function bootcStudio(args: string[]) {
    try {
      const { stdout, stderr } = await runProcess(process.execPath, [cli, '--store', store, ...args], {
        env: cliEnv(),
        timeoutMs: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err: unknown) {
      if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
      throw err;
    }
  }

  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'bootc-studio-vm-login-'));
    home = join(store, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    // Not a default key name: only the build's public key leads to it.
    writeFileSync(join(home, '.ssh', 'laptop'), userKey.private, { mode: 0o600 });
    writeFileSync(join(home, '.ssh', 'laptop.pub'), `${userKey.public}\n`);
    process.env.HOME = home;
    delete process.env.SSH_AUTH_SOCK;
    await recordTestDiskBuild(await buildTestDisk(), store, join(store, 'output'), BUILD_ID, undefined, [
      { name: 'root', sshKey: userKey.public, groups: ['wheel'] },
    ]);
    const qemu = qemuBackend(realQemuHost());
    // The hypervisor gives the guest no key of the VM's: the guest carries the user's key (the
    // credential here stands for the image's own authorized_keys), and the VM's key is gone.
    const keyless: VmBackend = {
      ...qemu,
      injectsKey: false,
      async launch(record, paths, options) {
        copyFileSync(join(home, '.ssh', 'laptop'), paths.key);
        copyFileSync(join(home, '.ssh', 'laptop.pub'), `${paths.key}.pub`);
        const launched = await qemu.launch(record, paths, options);
        await unlink(paths.key);
        return launched;
      },
    };
    jobs = new JobRegistry();
    vms = new VmService({
      storeDir: store,
      jobs,
      buildDisk: buildDiskFinder(new BuildStore(store)),
      sshTimeoutMs: 120_000,
      powerdownTimeoutMs: 30_000,
      backends: { qemu: keyless },
    });
    day2 = new Day2Service({ vms, jobs, rebootTimeoutMs: 180_000 });
  }, 300_000);

  afterAll(async () => {
    await removeAllVms(vms);
    process.env.HOME = saved.HOME;
    if (saved.SSH_AUTH_SOCK) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    if (store) await rm(store, { recursive: true, force: true });
  }, 120_000);

  test('the start logs in with the user’s key the build named, and pins the host key', async () => {
    const created = await vms.create({ source: { buildId: BUILD_ID }, cpus: 1, memoryMiB: 384, name: 'keyless-1' });
    expect(created.authorizedKeys).toEqual([userKey.public]);
    const started = await jobs.wait(vms.start(created.id).id);
    expect(started.error).toBeUndefined();
    expect(started.steps.at(-1)).toMatchObject({ name: 'Waiting for SSH', status: 'succeeded' });
    vm = await vms.get(created.id);
    expect(vm).toMatchObject({ state: 'running', keyAtBoot: false });
    expect(vm.hostKeyFingerprint).toMatch(/^SHA256:/);
    expect(existsSync(vm.sshKeyPath)).toBe(false);
    // The command to copy offers the user's keys, not the VM's.
    expect(vm.sshCommand).not.toContain(' -i ');
  }, 300_000);

  test('day 2 and `vm ssh` get in with the user’s key', async () => {
    const status = await day2.status(vm.id);
    expect(status).toMatchObject({ manager: 'bootc', booted: { image: { image: 'quay.io/example/tiny-os:1' } } });
    const ssh = await bootcStudio(['vm', 'ssh', 'keyless-1', '--', 'echo', 'key-$((2+3))']);
    expect(ssh.stderr).toBe('');
    expect(ssh).toMatchObject({ code: 0, stdout: 'key-5\n' });
  }, 120_000);

  test('a guest that takes only a password: day 2 says so; a wrong password is refused on its field; the right one gets in', async () => {
    await guestTakesPasswordOnly(vm, PASSWORD, userKey.private);

    const refused = (await day2.status(vm.id).catch((error: unknown) => error)) as Error & { code?: string };
    expect(refused.code).toBe(VM_PASSWORD_NEEDED);
    expect(refused.message).toMatch(/the key .*laptop \(the build gave its public half to this user\)/);
    expect(refused.message).toMatch(/it takes the password of root/);

    const wrong = (await vms.logIn(vm.id, 'not it').catch((error: unknown) => error)) as ValidationError;
    expect(wrong).toBeInstanceOf(ValidationError);
    expect(wrong.errors).toEqual([{ field: 'password', message: expect.stringMatching(/did not take the password/) }]);
    expect(wrong.message).not.toContain('not it');

    await vms.logIn(vm.id, PASSWORD);
    const status = await day2.status(vm.id);
    expect(status).toMatchObject({ manager: 'bootc', booted: { image: { image: 'quay.io/example/tiny-os:1' } } });

    // Kept in memory only: no file the product wrote holds it.
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
        entry.isDirectory() ? files(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : [],
      );
    const written = files(store).filter(path => !path.startsWith(home) && statSync(path).size < 64 * 1024 * 1024);
    expect(written.length).toBeGreaterThan(3);
    for (const path of written) expect(readFileSync(path).includes(PASSWORD), path).toBe(false);
  }, 180_000);

  test('`vm ssh` asks for the password on a terminal, without echo, and again after a wrong one', async () => {
    const command = shellCommand([
      process.execPath,
      cli,
      '--store',
      store,
      'vm',
      'ssh',
      'keyless-1',
      '--',
      'echo',
      'pw-$((3+4))',
    ]);
    // `script` gives the CLI a terminal, as a user's shell has.
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answers = ['wrong one\r', `${PASSWORD}\r`];
    const seen: number[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const prompts = output.split('Password of root on VM keyless-1: ').length - 1;
      if (prompts > seen.length && answers.length > 0) {
        seen.push(prompts);
        child.stdin.write(answers[0]);
        answers = answers.slice(1);
      }
    });
    const code = await new Promise<number | null>(done => child.on('close', done));
    expect(output).toMatch(/did not take the password; try again/);
    expect(output).toContain('pw-7');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain('wrong one');
    expect(code).toBe(0);
  }, 120_000);
});
