/**
 * ssh:// endpoints as podman's remote client uses them: a real OpenSSH server (started by the test)
 * forwards each request to a real podman service's unix socket. The engine and the built CLI run
 * with a HOME of the test's own (its known_hosts, no real ~/.ssh) and the key of CONTAINER_SSHKEY,
 * without an ssh-agent.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { verifyPassword } from '../../src/builds/password-hash';
import { EngineError } from '../../src/engine/container-engine';
import { parseEndpointUrl } from '../../src/engine/engine-endpoint';
import { checkEndpoint } from '../../src/engine/socket/podman-socket-connection';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import type { SshEndpoint } from '../../src/ssh/ssh-endpoint';
import { closeSharedSshTunnels } from '../../src/ssh/ssh-tunnel-leases';
import { finalRecord } from './support/cli-json';
import { BUSYBOX_BASE, buildImage, createBusyboxBase, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import type { LocalRegistry } from './support/registry';
import { freePort } from '../../src/platform/free-port';
import { startRegistry } from './support/registry';
import { createStandInBuilder, STAND_IN_BUILDER } from './support/stand-in-builder';
import { ProcessError, requireExecutable, runProcess } from './support/run-process';
import type { SshServer } from './support/sshd';
import { SSHD_APT_PACKAGES, startSshServer, writeKnownHosts } from './support/sshd';

const cli = resolve(__dirname, '../../dist/cli.js');
const BOOTC = 'localhost/ssh-bootc:1';
const APP = 'localhost/ssh-app:1';

describe('podman over ssh:// (OpenSSH unix-socket forwarding)', () => {
  let podman: PodmanService;
  let registry: LocalRegistry;
  let sshd: SshServer;
  let home: string;
  let knownHosts: string;
  let url: string;
  let env: Record<string, string | undefined>;
  /** A public key (`ssh-ed25519 AAAA…`) that belongs to no server here. */
  let strangerKey: string;
  const engines: PodmanSocketEngine[] = [];

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    requireExecutable('ssh-keygen', SSHD_APT_PACKAGES);
    registry = await startRegistry();
    podman = await startPodmanService({ insecureRegistries: [registry.url] });
    await createBusyboxBase(podman);
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, BOOTC);
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL role=app\n` }, APP);
    sshd = await startSshServer();
    home = mkdtempSync(join(tmpdir(), 'bootc-studio-ssh-home-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    const stranger = join(home, 'stranger');
    await runProcess(requireExecutable('ssh-keygen', SSHD_APT_PACKAGES), [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      stranger,
    ]);
    strangerKey = readFileSync(`${stranger}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    knownHosts = join(home, '.ssh', 'known_hosts');
    url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${podman.socketPath}`;
    // No SSH_AUTH_SOCK: the key must come from CONTAINER_SSHKEY, never from an agent of the machine.
    env = { HOME: home, CONTAINER_SSHKEY: sshd.clientKey, PATH: process.env.PATH };
  });

  beforeEach(async () => {
    await writeKnownHosts(knownHosts, [sshd.knownHostsLine()]);
  });

  afterEach(() => {
    // Each test starts without a connection (checkEndpoint's lingers for the engine after it).
    for (const engine of engines.splice(0)) engine.dispose();
    closeSharedSshTunnels();
  });

  afterAll(async () => {
    await sshd?.stop();
    await podman?.stop();
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function engine(options: { url?: string; env?: Record<string, string | undefined> } = {}): PodmanSocketEngine {
    const created = new PodmanSocketEngine(options.url ?? url, { env: options.env ?? env });
    engines.push(created);
    return created;
  }

  async function failure(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a failure');
  }

  test('checkEndpoint reaches podman through sshd', async () => {
    const endpoint = parseEndpointUrl(url) as SshEndpoint;
    const { apiVersion } = await checkEndpoint(endpoint, { env });
    const { stdout } = await podman.podman(['version', '--format', '{{.Server.APIVersion}}']);
    expect(apiVersion).toBe(stdout.trim());
  });

  test('lists and inspects images; the engine is named after the host; one SSH login serves it all', async () => {
    const before = sshd.acceptedLogins();
    const remote = engine();
    const [info] = await remote.listEngines();
    expect(info).toMatchObject({ id: `podman:${url}`, type: 'podman', graphRoot: podman.root });
    expect(info.name).toMatch(/^podman \(root(ful|less)\) on 127\.0\.0\.1$/);

    const images = await remote.listImages();
    const bootc = images.find(image => image.repoTags.includes(BOOTC));
    expect(bootc?.labels['containers.bootc']).toBe('1');
    expect(images.some(image => image.repoTags.includes(APP))).toBe(true);

    const details = await remote.inspectImage(remote.id, BOOTC);
    expect(details.id).toBe(bootc?.id);
    expect(details.labels).toMatchObject({ 'containers.bootc': '1' });
    const missing = await failure(remote.inspectImage(remote.id, 'localhost/none:1'));
    expect(missing.message).toContain('Image localhost/none:1 not found');

    // Many requests at once, each on its own channel of the one connection.
    const many = await Promise.all(Array.from({ length: 24 }, () => remote.inspectImage(remote.id, BOOTC)));
    expect(new Set(many.map(item => item.id))).toEqual(new Set([bootc?.id]));
    expect(sshd.acceptedLogins() - before).toBe(1);
  });

  test('runs a container, follows its log and waits for its exit', async () => {
    const remote = engine();
    const id = await remote.createContainer(remote.id, {
      image: BUSYBOX_BASE,
      cmd: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done; echo done >&2; exit 3'],
      binds: [],
      volumes: [],
      privileged: false,
      securityOpt: [],
      labels: { 'test.ssh': '1' },
    });
    await remote.startContainer(remote.id, id);
    let text = '';
    const logs = remote.followContainerLogs(remote.id, id, chunk => (text += chunk));
    expect(await remote.waitContainer(remote.id, id)).toBe(3);
    await logs;
    expect(text.replace(/\r\n/g, '\n')).toBe('line 1\nline 2\nline 3\ndone\n');
    expect((await remote.listContainers(remote.id, 'test.ssh=1')).map(container => container.id)).toContain(id);
    await remote.removeContainer(remote.id, id);
  });

  test('builds from an uploaded context with a streamed log, then pushes with progress', async () => {
    const remote = engine();
    const contextDir = mkdtempSync(join(podman.dir, 'ssh-context-'));
    // 8 MiB of noise: the upload spans many SSH windows.
    writeFileSync(join(contextDir, 'noise.bin'), randomBytes(8 * 1024 * 1024));
    writeFileSync(
      join(contextDir, 'Containerfile'),
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nCOPY noise.bin /noise.bin\nRUN echo "built over ssh" && wc -c < /noise.bin\n`,
    );
    const tag = `${registry.url}/ssh-built:1`;
    const lines: string[] = [];
    const { imageId } = await remote.buildImage(
      remote.id,
      {
        contextDir,
        containerfile: 'Containerfile',
        tag,
        platforms: [`linux/${machineArch()}`],
        buildArgs: {},
        noCache: false,
        pull: false,
      },
      { log: line => lines.push(line) },
    );
    expect(lines).toContain('built over ssh');
    expect(lines).toContain(String(8 * 1024 * 1024));
    expect((await remote.inspectImage(remote.id, tag)).id).toBe(imageId);

    const layers: string[] = [];
    const pushed = await remote.pushImage(
      remote.id,
      tag,
      { tlsVerify: false },
      { log: () => undefined, layer: update => layers.push(update.status) },
    );
    expect(layers.length).toBeGreaterThan(0);
    expect(await registry.tags('ssh-built')).toEqual(['1']);
    if (pushed.digest) expect(await registry.manifestDigest('ssh-built', '1')).toBe(pushed.digest);
  });

  test('a dropped SSH connection fails the open stream clearly, and the next request reconnects', async () => {
    const remote = engine();
    const id = await remote.createContainer(remote.id, {
      image: BUSYBOX_BASE,
      cmd: ['sh', '-c', 'trap "exit 0" TERM; echo up; while :; do sleep 0.1; done'],
      binds: [],
      volumes: [],
      privileged: false,
      securityOpt: [],
      labels: {},
    });
    await remote.startContainer(remote.id, id);
    let text = '';
    const logs = remote.followContainerLogs(remote.id, id, chunk => (text += chunk));
    const deadline = Date.now() + 10_000;
    while (!text.includes('up') && Date.now() < deadline) await new Promise(done => setTimeout(done, 50));
    expect(text).toContain('up');

    const outcome = failure(logs); // handled before it rejects
    await sshd.dropConnections();
    const broken = await outcome;
    expect(broken).toBeInstanceOf(EngineError);
    expect(broken.message).toMatch(/SSH connection to 127\.0\.0\.1:\d+ for ssh:\/\/.* was lost/);

    const before = sshd.acceptedLogins();
    expect((await remote.inspectContainer(remote.id, id)).state).toBe('running');
    expect(sshd.acceptedLogins()).toBe(before + 1);
    await remote.stopContainer(remote.id, id, 5);
    await remote.removeContainer(remote.id, id);
  });

  test('dispose closes the connection: later requests say so', async () => {
    const remote = engine();
    await remote.listImages();
    remote.dispose();
    const error = await failure(remote.listImages());
    expect(error.message).toContain('has been closed');
  });

  test('hashed known_hosts names (ssh-keygen -H) are recognised', async () => {
    await writeKnownHosts(knownHosts, ['# comment', `other.example ${strangerKey}`, sshd.knownHostsLine()], true);
    const images = await engine().listImages();
    expect(images.some(image => image.repoTags.includes(BOOTC))).toBe(true);
  });

  test('an unknown host key is refused with its fingerprint and how to add it', async () => {
    await writeKnownHosts(knownHosts, []);
    const error = await failure(engine().listImages());
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toContain(
      `The SSH host key of 127.0.0.1:${sshd.port} (ssh-ed25519 ${await sshd.hostKeyFingerprint()})`,
    );
    expect(error.message).toContain(`is not in ${knownHosts}`);
    expect(error.message).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ~/.ssh/known_hosts`);
  });

  test('a changed host key is refused as a possible interception', async () => {
    await writeKnownHosts(knownHosts, [`[127.0.0.1]:${sshd.port} ${strangerKey}`]);
    const error = await failure(engine().listImages());
    expect(error.message).toContain(`The SSH host key of 127.0.0.1:${sshd.port} has changed`);
    expect(error.message).toContain(`${knownHosts} line 1`);
    expect(error.message).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
  });

  test('a key the server does not accept is an authentication failure naming the key', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'bootc-studio-ssh-wrong-key-'));
    try {
      const wrongKey = join(keyDir, 'id_ed25519');
      await runProcess(requireExecutable('ssh-keygen', SSHD_APT_PACKAGES), [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-f',
        wrongKey,
      ]);
      const error = await failure(engine({ env: { ...env, CONTAINER_SSHKEY: wrongKey } }).listImages());
      expect(error.message).toContain(`SSH authentication as ${sshd.user}@127.0.0.1:${sshd.port} failed for ${url}`);
      expect(error.message).toContain(`the key ${wrongKey} (CONTAINER_SSHKEY)`);
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  test('a socket path with no podman behind it: is `podman system service` running there?', async () => {
    const wrong = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${podman.dir}/missing.sock`;
    const error = await failure(engine({ url: wrong }).listImages());
    expect(error.message).toContain(`nothing accepts connections at ${podman.dir}/missing.sock there`);
    expect(error.message).toContain('Is `podman system service` running there?');
    expect(error.message).toContain('systemctl --user enable --now podman.socket');
  });

  test('nothing listening on the port: connection refused, naming the endpoint', async () => {
    const port = await freePort();
    const refused = `ssh://${sshd.user}@127.0.0.1:${port}${podman.socketPath}`;
    const error = await failure(engine({ url: refused }).listImages());
    expect(error.message).toContain(
      `Cannot reach the SSH server of ${refused} at 127.0.0.1:${port} (connection refused)`,
    );
  });

  describe('the CLI', () => {
    async function bootcStudio(args: string[], extra: Record<string, string> = {}) {
      const {
        CONTAINER_HOST: _host,
        SSH_AUTH_SOCK: _agent,
        CONTAINER_SSHKEY: _key,
        HOME: _home,
        ...base
      } = process.env;
      const started = Date.now();
      try {
        const { stdout, stderr } = await runProcess(process.execPath, [cli, ...args], {
          env: { ...base, HOME: home, CONTAINER_SSHKEY: sshd.clientKey, ...extra },
          timeoutMs: 60_000,
        });
        return { code: 0, stdout, stderr, ms: Date.now() - started };
      } catch (error) {
        if (error instanceof ProcessError) {
          return { code: error.exitCode, stdout: error.stdout, stderr: error.stderr, ms: Date.now() - started };
        }
        throw error;
      }
    }

    test('images --url ssh://… --json lists the bootc image over one SSH login, and the CLI exits', async () => {
      const before = sshd.acceptedLogins();
      const { code, stdout, stderr } = await bootcStudio(['images', '--url', url, '--json']);
      // The endpoint check and the engine after it share the connection.
      expect(sshd.acceptedLogins() - before).toBe(1);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const refs = (JSON.parse(stdout) as { ref: string }[]).map(image => image.ref);
      expect(refs).toContain(BOOTC);
      expect(refs).not.toContain(APP);
    });

    test('CONTAINER_HOST=ssh://… works the same', async () => {
      const { code, stdout } = await bootcStudio(['images', '--json'], { CONTAINER_HOST: url });
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as { ref: string }[]).map(image => image.ref)).toContain(BOOTC);
    });

    test('disk build on the ssh:// engine: remote record, config copied in over SSH, artifacts on that machine', async () => {
      await createStandInBuilder(podman);
      const out = join(podman.dir, 'remote-out');
      mkdirSync(out);
      const store = join(home, 'store');
      const build = await bootcStudio([
        'disk',
        'build',
        BOOTC,
        '--type',
        'qcow2',
        '--user',
        'demo:changeit:wheel',
        '--output',
        out,
        '--builder',
        STAND_IN_BUILDER,
        '--url',
        url,
        '--store',
        store,
        '--json',
      ]);
      expect(build.code, build.stderr).toBe(0);
      const record = finalRecord<DiskBuildRecord>(build.stdout);
      expect(record.status).toBe('succeeded');
      expect(record.remote).toBe(true);
      expect(record.engineName).toContain('127.0.0.1');
      expect(record.logPath.startsWith(store)).toBe(true);
      expect(readFileSync(record.logPath, 'utf8')).toContain('Build complete!');
      expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
      expect(existsSync(join(out, `image-build-${record.id}.log`))).toBe(false);
      const received = readFileSync(join(out, 'stand-in-config.toml'), 'utf8');
      const hash = /password = "(\$6\$[^"]+)"/.exec(received)?.[1] as string;
      expect(verifyPassword('changeit', hash)).toBe(true);
      expect(build.stdout + build.stderr).not.toContain('changeit');
      const show = await bootcStudio(['disk', 'show', record.id, '--url', url, '--store', store]);
      expect(show.stdout).toContain('(remote: the output folder is on that machine)');
    }, 120_000);

    test('an unknown host: exit 1 with how to add its key', async () => {
      await writeKnownHosts(knownHosts, []);
      const { code, stderr } = await bootcStudio(['images', '--url', url]);
      expect(code).toBe(1);
      expect(stderr).toContain('is not in');
      expect(stderr).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ~/.ssh/known_hosts`);
    });
  });
});
