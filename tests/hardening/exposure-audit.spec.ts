/**
 * Exposure audit (issue 13, item 5). The built standalone mode runs in a child process over a real
 * podman service; through its own WebSocket bridge a disk build (the stand-in builder, slowed down)
 * and a VM of the tiny test disk are started, and a CLI build runs beside them. While all of them
 * run, the listening sockets of every process of ours are read from /proc: TCP only on 127.0.0.1,
 * UNIX sockets only in private dirs or private themselves. The standalone server is sent what a
 * hostile page or local process would send (no token, a wrong one, another origin, another Host, a
 * WebSocket without the cookie…) and must refuse each. Then the sources: only
 * src/platform/process.ts starts processes, never with a shell, and shell text is made only by the
 * one quoting function, whose output `sh` must read back byte for byte for ≥ 1000 random strings.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import type { DiskBuildRequest } from '../../src/api/disk-build';
import type { Job } from '../../src/api/jobs';
import type { RpcMessage, RpcResponse } from '../../src/api/rpc-protocol';
import type { VmInfo } from '../../src/api/vms';
import { buildShellScript, shellQuote } from '../../src/platform/shell-quote';
import { waitFor } from '../integration/support/extension-driver';
import { createBusyboxBase } from '../integration/support/images';
import type { PodmanService } from '../integration/support/podman-service';
import { startPodmanService } from '../integration/support/podman-service';
import { createBootcTestImage, createStandInBuilder, standInVariant } from '../integration/support/stand-in-builder';
import { buildTestDisk, recordTestDiskBuild } from '../integration/support/test-disk';
import { addCount } from './support/counts';
import { runSeed, seededRandom } from './support/crash-kit';
import type { ListeningSocket } from './support/listening-sockets';
import { listeningSockets, processesMentioning, processTree } from './support/listening-sockets';
import { modeOf, octal } from './support/secret-scan';
import type { StandaloneChild } from './support/standalone-client';
import { openSocket, send, startStandaloneChild, upgrade } from './support/standalone-client';

const SPEC = 'exposure-audit';
const ROOT = resolve(__dirname, '../..');
const cli = join(ROOT, 'dist/cli.js');
const IMAGE = 'localhost/exposure-bootc:1';
/** Slow enough to be running while the sockets are read; cancelled afterwards. */
const CRAWLING = 'localhost/stand-in-exposure-crawling:latest';
const VM_BUILD_ID = 'e4905ede4905';

describe('exposure audit: what listens, who may talk to the standalone server, what becomes shell text', () => {
  let podman: PodmanService;
  let root: string;
  let store: string;
  let standalone: StandaloneChild | undefined;
  let cookie: string;
  let bridge: Awaited<ReturnType<typeof openSocket>> | undefined;
  let cliBuild: ReturnType<typeof spawn> | undefined;
  let vm: VmInfo | undefined;

  function env(): NodeJS.ProcessEnv {
    const { CONTAINER_HOST: _h, BOOTC_STUDIO_HOME: _s, SSH_AUTH_SOCK: _a, ...base } = process.env;
    return { ...base, HOME: join(root, 'home'), TMPDIR: join(root, 'tmp') };
  }

  let nextId = 1;
  async function call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (!bridge) throw new Error('no bridge');
    const id = nextId++;
    bridge.ws.send(JSON.stringify({ kind: 'message', data: { kind: 'rpc-request', id, method, args } }));
    const messages = bridge.messages as { kind: string; data: RpcMessage }[];
    const response = await waitFor(
      () =>
        messages.find(m => m.kind === 'message' && m.data.kind === 'rpc-response' && m.data.id === id)?.data as
          RpcResponse | undefined,
    );
    if (!response.ok) throw new Error(`${method}: ${response.error?.message}`);
    return response.result as T;
  }

  beforeAll(async () => {
    podman = await startPodmanService();
    const disk = await buildTestDisk();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInVariant(podman, CRAWLING, { STANDIN_STEP_SECONDS: '2', STANDIN_STAGES: '60' });
    root = await mkdtemp(join(tmpdir(), 'bootc-studio-exposure-audit-'));
    store = join(root, 'store');
    for (const dir of ['home', 'tmp']) mkdirSync(join(root, dir), { recursive: true, mode: 0o700 });
    await recordTestDiskBuild(disk, store, join(root, 'out-vm'), VM_BUILD_ID);

    standalone = await startStandaloneChild(['--url', podman.url, '--store', store, '--port', '0'], env());
    const traded = await send(standalone.port, `/?token=${standalone.token}`, {
      headers: { Host: `127.0.0.1:${standalone.port}` },
    });
    expect(traded.status).toBe(303);
    cookie = String(traded.headers['set-cookie']).split(';')[0];
  });

  afterAll(async () => {
    try {
      cliBuild?.kill('SIGTERM');
      if (vm) await call('deleteVm', vm.id).catch(() => undefined);
      bridge?.ws.close();
      await standalone?.stop();
    } finally {
      // Whatever of ours outlived the standalone process (a QEMU names our store in its command line).
      if (root) for (const pid of processesMentioning(root)) process.kill(pid, 'SIGKILL');
      await podman?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    }
  });

  test('the standalone server refuses token-less, wrong-token, cross-origin and misdirected requests', async () => {
    const { port, origin } = standalone as StandaloneChild;
    const host = `127.0.0.1:${port}`;
    const evil = 'http://evil.example';
    const own = { Host: host, Cookie: cookie };
    const wrongCookie = cookie.replace(/=.*/, `=${'0'.repeat(cookie.length - cookie.indexOf('=') - 1)}`);

    // Control: with the cookie, from its own origin, the page and its sockets are served.
    expect((await send(port, '/', { headers: own })).status).toBe(200);
    expect(await upgrade(port, '/ws/host', { ...own, Origin: origin })).toBe(101);

    const refusals: [string, Promise<number>][] = [
      ['GET / without a token', send(port, '/', { headers: { Host: host } }).then(a => a.status)],
      ['GET /host.js without a token', send(port, '/host.js', { headers: { Host: host } }).then(a => a.status)],
      [
        'GET / with a wrong token in the URL',
        send(port, '/?token=wrong', { headers: { Host: host } }).then(a => a.status),
      ],
      [
        'GET / with a token one character short',
        send(port, `/?token=${(standalone as StandaloneChild).token.slice(0, -1)}`, { headers: { Host: host } }).then(
          a => a.status,
        ),
      ],
      [
        'GET / with a wrong cookie',
        send(port, '/', { headers: { Host: host, Cookie: wrongCookie } }).then(a => a.status),
      ],
      [
        'GET / with an empty cookie',
        send(port, '/', { headers: { Host: host, Cookie: 'bootc_studio_token=' } }).then(a => a.status),
      ],
      [
        'GET / with the cookie from another origin',
        send(port, '/', { headers: { ...own, Origin: evil, 'Sec-Fetch-Site': 'cross-site' } }).then(a => a.status),
      ],
      [
        'GET / with the cookie from another port of 127.0.0.1 (same site, other origin)',
        send(port, '/', { headers: { ...own, Origin: 'http://127.0.0.1:1', 'Sec-Fetch-Site': 'same-site' } }).then(
          a => a.status,
        ),
      ],
      [
        'GET the webview media with the cookie from another origin',
        send(port, '/ext/media/index.html', { headers: { ...own, Origin: evil, 'Sec-Fetch-Site': 'cross-site' } }).then(
          a => a.status,
        ),
      ],
      [
        'GET / with the cookie, Host of another name (DNS rebinding)',
        send(port, '/', { headers: { ...own, Host: `evil.example:${port}` } }).then(a => a.status),
      ],
      ['POST / with the cookie', send(port, '/', { method: 'POST', headers: own }).then(a => a.status)],
      [
        'GET /ext/../package.json with the cookie',
        send(port, '/ext/..%2fpackage.json', { headers: own }).then(a => a.status),
      ],
      [
        'GET /ext/dist/extension.js with the cookie (not a resource root)',
        send(port, '/ext/dist/extension.js', { headers: own }).then(a => a.status),
      ],
      ['WebSocket /ws/host without a cookie', upgrade(port, '/ws/host', { Host: host, Origin: origin })],
      [
        'WebSocket /ws/host with a wrong cookie',
        upgrade(port, '/ws/host', { Host: host, Origin: origin, Cookie: wrongCookie }),
      ],
      ['WebSocket /ws/host with the cookie from another origin', upgrade(port, '/ws/host', { ...own, Origin: evil })],
      ['WebSocket /ws/host with the cookie and no Origin', upgrade(port, '/ws/host', own)],
      [
        'WebSocket /ws/host with the cookie, Origin null (a sandboxed page)',
        upgrade(port, '/ws/host', { ...own, Origin: 'null' }),
      ],
      [
        'WebSocket /ws/host with the cookie, Host of another name',
        upgrade(port, '/ws/host', { ...own, Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` }),
      ],
      [
        'WebSocket /ws/webview/x without a cookie',
        upgrade(port, '/ws/webview/bootc-studio', { Host: host, Origin: origin }),
      ],
      [
        'WebSocket with the token in the URL instead of the cookie',
        upgrade(port, `/ws/host?token=${(standalone as StandaloneChild).token}`, { Host: host, Origin: origin }),
      ],
    ];
    const answers = await Promise.all(refusals.map(async ([what, status]) => [what, await status] as const));
    const served = answers.filter(([, status]) => status === 101 || (status >= 200 && status < 400));
    expect(served, 'requests that were not refused').toEqual([]);
    addCount(
      SPEC,
      'cross-origin/token-less requests refused',
      answers.length,
      `${answers.length} kinds; the page with its cookie still served`,
    );
  });

  test('while a build (standalone and CLI) and a VM run, our listening sockets are loopback TCP and private UNIX sockets', async () => {
    const { origin } = standalone as StandaloneChild;
    const host = await openSocket(origin, '/ws/host', cookie);
    const snapshot = await waitFor(
      () =>
        host.messages.find(m => (m as { type?: string }).type === 'snapshot') as
          { panels: { id: string }[] } | undefined,
    );
    host.ws.close();
    expect(snapshot.panels.length).toBeGreaterThan(0);
    bridge = await openSocket(origin, `/ws/webview/${snapshot.panels[0].id}`, cookie);

    const request: DiskBuildRequest = {
      image: IMAGE,
      outputDir: join(root, 'out-standalone'),
      types: ['qcow2'],
      arch: 'amd64',
      builder: { image: CRAWLING },
      config: {
        users: [{ name: 'eve', password: 'exposure-pw', groups: [] }],
        groups: [],
        kernelArgs: [],
        filesystems: [],
      },
    };
    // The VM first: its emulated boot is the longest wait.
    const { vmId, jobId } = await call<{ vmId: string; jobId: string }>('launchVm', {
      source: { buildId: VM_BUILD_ID },
      name: 'exposure-vm',
      cpus: 1,
      memoryMiB: 384,
    });
    const buildId = await call<string>('startDiskBuild', request, { createOutputDir: true });
    cliBuild = spawn(
      process.execPath,
      [
        cli,
        '--store',
        store,
        'disk',
        'build',
        IMAGE,
        '--type',
        'raw',
        '--output',
        join(root, 'out-cli'),
        '--builder',
        CRAWLING,
        '--url',
        podman.url,
      ],
      { env: env(), stdio: 'ignore' },
    );
    const started = await waitFor(async () => {
      const job = await call<Job>('getJob', jobId);
      return ['succeeded', 'failed', 'cancelled', 'lost'].includes(job.status) && job;
    }, 240_000);
    expect(started.status, started.error?.message).toBe('succeeded');
    vm = (await call<{ vms: VmInfo[] }>('listVms')).vms.find(candidate => candidate.id === vmId) as VmInfo;
    // Both builds' builders are running (not merely queued).
    await waitFor(async () => {
      const builds = (await call<Job<DiskBuildRecord>[]>('listJobs', 'disk-build')).map(job => job.detail);
      return builds.filter(record => record?.status === 'building').length >= 2;
    }, 120_000);

    const pids = new Set([
      ...processTree((standalone as StandaloneChild).child.pid as number),
      ...processTree(cliBuild.pid as number),
      ...processesMentioning(root),
    ]);
    const sockets = listeningSockets([...pids]);
    const problems = sockets.flatMap(socket => exposureProblem(socket));
    expect(problems).toEqual([]);

    // What must be among them, or the listing missed something: the server, the VM's SSH forward, its QMP socket.
    const tcp = sockets.filter(socket => socket.kind !== 'unix').map(socket => socket.port);
    expect(tcp).toContain((standalone as StandaloneChild).port);
    expect(tcp).toContain(vm.sshPort);
    const unix = sockets.filter(socket => socket.kind === 'unix');
    expect(unix.length).toBeGreaterThan(0);
    const described = sockets.map(socket =>
      socket.kind === 'unix'
        ? `unix ${socket.path} (${socket.command.split(' ')[0].split('/').pop()})`
        : `${socket.address}:${socket.port} (${socket.command.split(' ')[0].split('/').pop()})`,
    );
    addCount(
      SPEC,
      'listening sockets checked',
      sockets.length,
      `of ${pids.size} processes (standalone server, CLI build, QEMU): ${described.join(', ')}`,
    );

    await call('cancelJob', buildId);
    cliBuild.kill('SIGTERM');
    await new Promise(done => cliBuild?.once('close', done));
    cliBuild = undefined;
  });

  test('no process is started through a shell: child_process only in platform/process.ts, argv only, shell text only from the quoting function', () => {
    const files = sourceFiles(join(ROOT, 'src'));
    const problems: string[] = [];
    let callSites = 0;
    for (const file of files) {
      const path = relative(ROOT, file);
      const text = readFileSync(file, 'utf8');
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      if (/child_process/.test(code) && path !== 'src/platform/process.ts')
        problems.push(`${path}: uses node:child_process (only src/platform/process.ts may)`);
      if (/shell\s*:\s*(true|['"`])/.test(code)) problems.push(`${path}: a process option shell: true`);
      if (/\b(execSync|execFileSync|spawnSync|execFile)\b/.test(code))
        problems.push(`${path}: a synchronous or exec-style child_process call`);
      callSites += (code.match(/\bspawn\(|\brunProcess\(|\bstartProcess\(|\.exec\(\s*(?:command|argv|'podman')/g) ?? [])
        .length;
      // Shell text: only from the tested quoting function, and only where it is meant to be.
      if (/from '(\.\.\/)+platform\/shell-quote'|from '\.\/shell-quote'/.test(code) && !(path in SHELL_TEXT_ALLOWED))
        problems.push(`${path}: makes shell text; allowed only in ${Object.keys(SHELL_TEXT_ALLOWED).join(', ')}`);
      if (/['"]-c['"]/.test(code) && path !== 'src/day2/day2-service.ts')
        problems.push(`${path}: a '-c' argument (sh -c?)`);
      if (/execOverSsh\(client,\s*`/.test(code)) problems.push(`${path}: an SSH command made by string interpolation`);
    }
    const processTs = readFileSync(join(ROOT, 'src/platform/process.ts'), 'utf8');
    const spawns = processTs.match(/spawn\([^;]*\)/g) ?? [];
    expect(spawns.length).toBeGreaterThan(0);
    for (const call of spawns)
      if (!/shell: false/.test(call)) problems.push(`src/platform/process.ts: ${call} without shell: false`);
    // The admin script is run as `sh <file>`, the file written by the hand-off, never `sh -c <text>`.
    const handoff = readFileSync(join(ROOT, 'src/builds/builder-handoff.ts'), 'utf8');
    expect(handoff).toMatch(/\['\/bin\/sh', this\.scriptPath\]/);
    expect(problems).toEqual([]);
    addCount(SPEC, 'source files checked for shell use', files.length, `${callSites} process call sites`);
  });

  test('the quoting function: ≥ 1000 random byte strings reach sh unchanged; NUL is refused', async () => {
    const seed = runSeed(`${SPEC} shell-quote fuzz`);
    const random = seededRandom(seed);
    const dir = await mkdtemp(join(tmpdir(), 'bootc-studio-quote-fuzz-'));
    let fuzzed = 0;
    try {
      for (const encoding of ['latin1', 'utf8'] as const) {
        for (let batch = 0; batch < 6; batch++) {
          const args = Array.from({ length: 100 }, (_, index) =>
            batch === 0 && index < EDGE_CASES.length ? EDGE_CASES[index] : randomString(random, encoding),
          );
          // The product's own script builder, as the admin script is made: every argument through shellQuote.
          const script = buildShellScript([['printf', '%s\\0', ...args]]);
          const file = join(dir, `fuzz-${encoding}-${batch}.sh`);
          writeFileSync(file, Buffer.from(script, encoding), { mode: 0o700 });
          const output = await runSh(file);
          const received = splitNul(output);
          const expected = args.map(arg => Buffer.from(arg, encoding));
          expect(received.length, `seed ${seed}: argument count`).toBe(expected.length);
          for (let i = 0; i < expected.length; i++) {
            if (!received[i].equals(expected[i]))
              throw new Error(
                `seed ${seed}: ${JSON.stringify(args[i])} came back as ${JSON.stringify(received[i].toString(encoding))}`,
              );
          }
          fuzzed += args.length;
        }
      }
      for (const withNul of ['\0', 'a\0b', `${randomString(random, 'utf8')}\0`]) {
        expect(() => shellQuote(withNul)).toThrow(/NUL/);
        fuzzed++;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(fuzzed).toBeGreaterThanOrEqual(1000);
    addCount(SPEC, 'quoted argument strings fuzzed', fuzzed, `seed ${seed}; sh reads each back byte for byte`);
  });
});

/** Which files may make shell text, and why each is not a command built through a shell. */
const SHELL_TEXT_ALLOWED: Record<string, string> = {
  'src/builds/linux-handoff.ts': 'the single quoted admin script (run as `sh <file>` by pkexec/sudo)',
  'src/builds/builder-plan.ts': 'the `podman run …` line the preview shows for pasting; never run',
  'src/vms/vm-request.ts': 'the `ssh …` command the VM page shows for copying; never run',
  'src/day2/day2-service.ts':
    'SSH exec: the remote sshd runs a command line through the user’s shell; argv quoted by shellQuote',
};

function exposureProblem(socket: ListeningSocket): string[] {
  const who = `pid ${socket.pid} (${socket.command})`;
  if (socket.kind !== 'unix') {
    const loopback = socket.address === '127.0.0.1' || socket.address === '::ffff:127.0.0.1';
    return loopback ? [] : [`${who} listens on ${socket.address}:${socket.port}`];
  }
  const path = socket.path ?? '';
  if (path === '' || path.startsWith('@'))
    return [`${who} listens on an abstract or unnamed UNIX socket "${path}": no file mode guards it`];
  let parentMode: number;
  let socketMode: number;
  try {
    parentMode = modeOf(statSync(dirname(path)));
    socketMode = modeOf(statSync(path));
  } catch {
    return [`${who} listens on ${path}, which is gone`];
  }
  if ((parentMode & 0o077) === 0 || (socketMode & 0o077) === 0) return [];
  return [`${who} listens on ${path} (${octal(socketMode)}) in ${dirname(path)} (${octal(parentMode)})`];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs|svelte)$/.test(entry.name) ? [path] : [];
  });
}

/** Strings a quoting function gets wrong first. */
const EDGE_CASES = [
  '',
  "'",
  "''",
  "'\\''",
  '"',
  '\\',
  '$HOME',
  '$(id)',
  '`id`',
  '~',
  '~root',
  '*',
  '?',
  '[a]',
  '-n',
  '-e',
  '--',
  '=x',
  'a=b',
  '!',
  '#',
  ' ',
  '\n',
  '\t',
  'a\nb',
  '\r\n',
  '%s',
  '\\0',
  ';',
  '&&',
  '|',
  '>',
  '<',
  '{a,b}',
  '\x7f',
  '\x01',
];

/**
 * latin1: bytes 1–255 (one char per byte: written as latin1, the script holds exactly these bytes,
 * invalid UTF-8 included); utf8: code points from all planes (no NUL, no lone surrogates).
 */
function randomString(random: () => number, encoding: 'latin1' | 'utf8'): string {
  const length = Math.floor(random() * 40);
  let text = '';
  for (let i = 0; i < length; i++) {
    if (encoding === 'latin1') {
      // Half the time a shell-special ASCII character, so that quotes and escapes meet often.
      text +=
        random() < 0.5
          ? SPECIAL[Math.floor(random() * SPECIAL.length)]
          : String.fromCharCode(1 + Math.floor(random() * 255));
    } else {
      const pick = random();
      let code: number;
      if (pick < 0.4) code = SPECIAL.charCodeAt(Math.floor(random() * SPECIAL.length));
      else if (pick < 0.7) code = 1 + Math.floor(random() * 0x7ff);
      else if (pick < 0.9) code = 0x800 + Math.floor(random() * (0xffff - 0x800));
      else code = 0x10000 + Math.floor(random() * 0xfffff);
      if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
      text += String.fromCodePoint(code);
    }
  }
  return text;
}

const SPECIAL = `'"\\\`$!*?[]{}()<>|&;#~=%\n\t\r -`;

function runSh(file: string): Promise<Buffer> {
  return new Promise((done, fail) => {
    const child = spawn('/bin/sh', [file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', fail);
    child.on('close', code => (code === 0 ? done(Buffer.concat(out)) : fail(new Error(`sh exited ${code}: ${err}`))));
  });
}

function splitNul(output: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < output.length; i++) {
    if (output[i] === 0) {
      parts.push(output.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}
