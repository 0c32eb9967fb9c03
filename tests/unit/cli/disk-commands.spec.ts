/**
 * `bootc-studio disk …` through runCli with an in-memory engine: the seed one-liner parses into the
 * request it means, bad flags exit 2 before anything starts (most before the engine is contacted),
 * a build streams its log and exits 0/1, Ctrl-C cancels, --json prints the final record, and
 * ls / show / logs / cancel / rm work on the store.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { diskBuildCommand, flagOf, parseUserFlag, requestFromFlags } from '../../../src/cli/commands/disk-build';
import { diskCancelCommand } from '../../../src/cli/commands/disk-cancel';
import { diskLogsCommand } from '../../../src/cli/commands/disk-logs';
import { diskLsCommand } from '../../../src/cli/commands/disk-ls';
import { diskRmCommand } from '../../../src/cli/commands/disk-rm';
import { diskShowCommand } from '../../../src/cli/commands/disk-show';
import { progressBar } from '../../../src/cli/job-follower';
import { runCli } from '../../../src/cli/run';
import type { CliIo } from '../../../src/cli/cli-context';
import { verifyPassword } from '../../../src/builds/password-hash';
import type { EngineInfo } from '../../../src/engine/container-engine';
import type { FakeContainer } from '../support/fake-containers';
import { ENGINE, FakeEngine } from '../support/fake-engine';

interface JsonEvent {
  type: 'job' | 'log' | 'end';
  job?: { status: string; detail: unknown };
  lines?: string[];
}

/** Every line of the output parsed: --json prints nothing else. */
function jsonLines(stdout: string): JsonEvent[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map(line => JSON.parse(line) as JsonEvent);
}

/** The record a `disk build --json` ended with: its last line's job's detail. */
function builtRecord(stdout: string): DiskBuildRecord {
  const end = jsonLines(stdout).at(-1);
  expect(end?.type).toBe('end');
  return end?.job?.detail as DiskBuildRecord;
}

const SEED = [
  'disk',
  'build',
  'quay.io/fedora/fedora-bootc:42',
  '--type',
  'vmdk',
  '--arch',
  'arm64',
  '--rootfs',
  'xfs',
  '--user',
  'demo:changeit:wheel',
  '--kernel-arg',
  'audit=0',
  '--output',
  './out',
];

class CliEngine extends FakeEngine {
  info: EngineInfo = { ...ENGINE, graphRoot: '/var/lib/containers/storage', rootful: true };
  override async listEngines() {
    return [this.info];
  }
}

let dir: string;
let engine: CliEngine;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-disk-'));
  engine = new CliEngine();
  engine.images.set('quay.io/fedora/fedora-bootc:42', {
    arch: 'arm64',
    labels: { 'containers.bootc': '1', 'redhat.id': 'fedora' },
    size: 10,
  });
  engine.images.set('quay.io/centos-bootc/bootc-image-builder:latest', { arch: 'amd64' });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Builds that write their artifacts and exit 0 after a few progress lines. */
/** The builder containers made (not `bootc container lint`'s, which runs first). */
function builderCreates(engine: FakeEngine) {
  return engine.calls.filter(
    call =>
      call.method === 'createContainer' && !(call.args[1] as FakeContainer['spec']).labels['io.bootc-studio.lint'],
  );
}

function succeed(container: FakeContainer) {
  const output = container.spec.binds.find(bind => bind.endsWith(':/output'))?.split(':')[0] as string;
  container.write('[0 / 2] Pipeline build\n  [1 / 2] Stage org.osbuild.rpm\n');
  setTimeout(() => {
    mkdirSync(join(output, 'vmdk'), { recursive: true });
    writeFileSync(join(output, 'vmdk/disk.vmdk'), 'vmdk');
    container.write('[1 / 2] Pipeline image\nBuild complete!\n');
    container.exit(0);
  }, 30);
}

function invoke(
  argv: string[],
  options: { tty?: boolean; stdin?: CliIo['stdin']; onStderr?(text: string): void } = {},
) {
  let stdout = '';
  let stderr = '';
  let connects = 0;
  let interrupt: (() => void) | undefined;
  const done = runCli(
    [...argv, '--store', join(dir, 'store')],
    {
      stdout: { write: (text: string) => (stdout += text), isTTY: options.tty, columns: 80 },
      stderr: {
        write: (text: string) => {
          stderr += text;
          options.onStderr?.(text);
        },
      },
      env: { HOME: dir },
      cwd: dir,
      stdin: options.stdin,
      onInterrupt: handler => {
        interrupt = handler;
        return () => (interrupt = undefined);
      },
    },
    {
      commands: [diskBuildCommand, diskLsCommand, diskShowCommand, diskLogsCommand, diskCancelCommand, diskRmCommand],
      version: '0.0.0',
      connect: async () => {
        connects++;
        return engine;
      },
    },
  ).then(code => ({ code, stdout, stderr, connects }));
  return { done, interrupt: () => interrupt?.(), stdout: () => stdout };
}

describe('disk build flags', () => {
  test('the seed one-liner parses into the request it means', async () => {
    const values = {
      type: ['vmdk'],
      arch: 'arm64',
      rootfs: 'xfs',
      user: ['demo:changeit:wheel'],
      'kernel-arg': ['audit=0'],
      output: './out',
    };
    expect(await requestFromFlags(values, 'quay.io/fedora/fedora-bootc:42', '/home/me')).toEqual({
      image: 'quay.io/fedora/fedora-bootc:42',
      outputDir: '/home/me/out',
      types: ['vmdk'],
      arch: 'arm64',
      rootfs: 'xfs',
      builder: 'centos',
      config: {
        users: [{ name: 'demo', password: 'changeit', groups: ['wheel'] }],
        groups: [],
        kernelArgs: ['audit=0'],
        filesystems: [],
      },
    });
  });

  test('--user NAME[:PASSWORD[:GROUP,GROUP…]]', () => {
    expect(parseUserFlag('demo')).toEqual({ name: 'demo', groups: [] });
    expect(parseUserFlag('demo:pw')).toEqual({ name: 'demo', password: 'pw', groups: [] });
    expect(parseUserFlag('demo::wheel,adm')).toEqual({ name: 'demo', groups: ['wheel', 'adm'] });
    expect(parseUserFlag('demo:pa:ss:')).toEqual({ name: 'demo', password: 'pa:ss', groups: [] });
  });

  test('the other flags: ssh keys from .pub files, groups, filesystems, builder, chown, AWS, --config', async () => {
    writeFileSync(
      join(dir, 'id.pub'),
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host\n',
    );
    writeFileSync(
      join(dir, 'config.toml'),
      '[[customizations.user]]\nname = "ops"\n[customizations.kernel]\nappend = "quiet"\n',
    );
    const request = await requestFromFlags(
      {
        output: '/abs',
        user: ['demo'],
        'ssh-key': ['demo=id.pub', 'other=id.pub'],
        group: ['devs:1500', 'ops'],
        filesystem: ['/var/data=10 GiB'],
        builder: 'rhel10',
        chown: '1000:1000',
        'aws-ami-name': 'x',
        config: 'config.toml',
      },
      'localhost/os:1',
      dir,
    );
    expect(request.config.users.map(user => [user.name, user.sshKey?.slice(0, 11)])).toEqual([
      ['ops', undefined],
      ['demo', 'ssh-ed25519'],
      ['other', 'ssh-ed25519'],
    ]);
    expect(request.config.kernelArgs).toEqual(['quiet']);
    expect(request.config.groups).toEqual([{ name: 'devs', gid: 1500 }, { name: 'ops' }]);
    expect(request.config.filesystems).toEqual([{ mountpoint: '/var/data', minSize: '10 GiB' }]);
    expect(request.builder).toBe('rhel10');
    expect(request.chown).toBe('1000:1000');
    expect(request.aws).toEqual({ amiName: 'x', bucket: '', region: '' });
    expect((await requestFromFlags({ output: 'o', builder: 'localhost/b:1' }, 'x', '/')).builder).toEqual({
      image: 'localhost/b:1',
    });
  });

  test('field names become flag names', () => {
    expect(flagOf('outputDir')).toBe('--output');
    expect(flagOf('types.1')).toBe('--type');
    expect(flagOf('config.users.0.name')).toBe('--user (1)');
    expect(flagOf('config.users.1.sshKey')).toBe('--ssh-key (2)');
    expect(flagOf('config.kernelArgs.2')).toBe('--kernel-arg (3)');
    expect(flagOf('config.filesystems.0.minSize')).toBe('--filesystem (1)');
    expect(flagOf('aws.bucket')).toBe('--aws-bucket');
    expect(flagOf('config.installer.kickstart')).toBe('--config');
  });

  test('bad flags exit 2 before the engine is contacted; nothing is started', async () => {
    const cases: [string[], RegExp][] = [
      [['disk', 'build', 'x:1'], /--output DIR is required/],
      [['disk', 'build', 'x:1', '-o', 'o', '--type', 'floppy'], /--type: an image type is one of/],
      [
        ['disk', 'build', 'x:1', '-o', 'o', '--type', 'qcow2', '--type', 'iso'],
        /--type: ISO types cannot be built together/,
      ],
      [['disk', 'build', 'x:1', '-o', 'o', '--user', 'Root Beer'], /--user \(1\): a user name/],
      [['disk', 'build', 'x:1', '-o', 'o', '--ssh-key', 'demo=id_ed25519'], /--ssh-key: .*not a \.pub file/],
      [['disk', 'build', 'x:1', '-o', 'o', '--group', 'devs:x'], /--group: expected NAME\[:GID\]/],
      [['disk', 'build', 'x:1', '-o', 'o', '--filesystem', '/var/data'], /--filesystem: expected MOUNTPOINT=SIZE/],
      [['disk', 'build', 'x:1', '-o', 'o', '--filesystem', '/etc=1GiB'], /--filesystem \(1\)/],
      [['disk', 'build', 'x:1', '-o', 'o', '--chown', 'me'], /--chown: chown is UID:GID/],
      [['disk', 'build', 'x:1', '-o', 'o', '--arch', 'mips'], /--arch: the architecture is amd64 or arm64/],
      [['disk', 'build', 'x:1', '-o', 'o', '--tls-verify'], /Unknown option '--tls-verify'/],
      [['disk', 'build', 'NOT A REF', '-o', 'o'], /IMAGE: not an image reference/],
      [['disk', 'build', 'x:1', '-o', 'o', '--config', 'missing.toml'], /--config: /],
      [['disk', 'build', 'x:1', 'y:2', '-o', 'o'], /unexpected argument 'y:2'/],
    ];
    for (const [argv, message] of cases) {
      const result = await invoke(argv).done;
      expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.connects, argv.join(' ')).toBe(0);
    }
    expect(engine.calls).toEqual([]);
  });

  test('keys of --config this tool does not know are said, then passed to the builder as written', async () => {
    engine.onStart = succeed;
    writeFileSync(
      join(dir, 'config.toml'),
      '[customizations]\nhostname = "edge-1"\n[[customizations.user]]\nname = "ops"\nhome = "/srv/ops"\n',
    );
    const result = await invoke([...SEED, '--config', 'config.toml']).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'bootc-studio: note: --config: not checked here, passed to the builder as written: customizations.hostname, customizations.user[0].home',
    );
  });

  test('a password with a control character is refused, naming the user, from --user and from --config', async () => {
    writeFileSync(
      join(dir, 'config.toml'),
      '[[customizations.user]]\nname = "bob"\npassword = "pa\\nss"\n', // TOML's \n: a newline in the value
    );
    const cases: [string[], RegExp][] = [
      [
        ['--user', 'alice:pa\nss'],
        /User alice: the password contains a control character \(newline\); nobody could type it/,
      ],
      [['--config', 'config.toml'], /User bob: the password contains a control character \(newline\)/],
    ];
    for (const [flags, message] of cases) {
      const result = await invoke(['disk', 'build', 'x:1', '-o', 'o', ...flags]).done;
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('pa\nss');
      // Not "--user (1)" for a user that came from the file.
      expect(result.stderr).toMatch(/^bootc-studio: User /);
    }
    expect(engine.calls).toEqual([]);
  });

  test('input only the image can refuse (an architecture it lacks) still exits 2 with nothing started', async () => {
    const result = await invoke([...SEED.filter(word => word !== 'arm64' && word !== '--arch'), '--arch', 'amd64'])
      .done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--arch: the image offers arm64, not amd64/);
    expect(engine.started()).not.toContain('createContainer');
  });
});

describe('disk alone', () => {
  test('`bootc-studio disk` prints the disk commands’ help on stdout and exits 0, touching nothing', async () => {
    const result = await invoke(['disk']).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Usage: bootc-studio disk COMMAND [options]');
    for (const name of ['disk build', 'disk ls', 'disk show', 'disk logs', 'disk cancel', 'disk rm']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(result.connects).toBe(0);
  });

  test('an unknown disk command exits 2 and lists the disk commands', async () => {
    const result = await invoke(['disk', 'nope']).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'disk nope'; the disk commands are:");
    expect(result.stderr).toMatch(/^ {2}disk build +\S/m);
  });
});

describe('disk build', () => {
  test('the seed one-liner builds: the log streams, the summary names the artifacts, exit 0', async () => {
    engine.onStart = succeed;
    const result = await invoke(SEED).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('--- builder output ---');
    expect(result.stdout).toContain('Build complete!');
    expect(result.stdout).toContain(`vmdk     ${join(dir, 'out/vmdk/disk.vmdk')}`);
    expect(result.stdout + result.stderr).not.toContain('changeit');
    const spec = builderCreates(engine)[0]?.args[1] as FakeContainer['spec'];
    expect(spec.cmd).toEqual(expect.arrayContaining(['--target-arch', 'arm64', '--rootfs', 'xfs', '--type', 'vmdk']));
    expect(spec.image).toBe('quay.io/centos-bootc/bootc-image-builder:latest');
  });

  test('--json prints only JSON lines of the job’s events on stdout, the last its end with the record; the log also goes to stderr', async () => {
    engine.onStart = succeed;
    const result = await invoke([...SEED, '--json']).done;
    expect(result.code).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ type: 'job', job: { kind: 'disk-build' } });
    expect(events.filter(event => event.type === 'log').flatMap(event => event.lines)).toContain('Build complete!');
    const end = events.at(-1);
    expect(end).toMatchObject({
      type: 'end',
      job: { status: 'succeeded', steps: [{ status: 'succeeded' }, { status: 'succeeded' }] },
    });
    expect((end?.job?.detail as DiskBuildRecord).status).toBe('succeeded');
    expect(result.stderr).toContain('Build complete!');
  });

  test('a failed build exits 1 and says why', async () => {
    engine.onStart = container => {
      container.write('manifest - failed\n');
      container.exit(1);
    };
    const result = await invoke(SEED).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/build [0-9a-f]{12} failed: osbuild failed/);
  });

  test('Ctrl-C cancels the build: exit 1, record cancelled, builder removed', async () => {
    engine.onStart = container => container.write('[0 / 2] Pipeline build\n  [1 / 2] Stage org.osbuild.rpm\n');
    const running = invoke(SEED);
    while (!running.stdout().includes('Stage org.osbuild.rpm')) await new Promise(resolve => setTimeout(resolve, 20));
    running.interrupt();
    const result = await running.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cancelling');
    // One "cancelled", not "cancelled: Cancelled".
    expect(result.stderr).toMatch(/build [0-9a-f]{12} cancelled\n/);
    expect(result.stderr).not.toMatch(/Cancelled/);
    expect(engine.containers.size).toBe(0);
  });

  test('a progress bar on a terminal', () => {
    expect(progressBar({ percent: 45, message: 'org.osbuild.rpm' }, 60)).toBe(
      '[================>                    ]  45% org.osbuild.rpm'.slice(0, 60),
    );
  });
});

describe('disk ls / show / logs / cancel / rm', () => {
  test('work on the store: list, show by prefix, print the log, cancel, remove', async () => {
    engine.onStart = succeed;
    const built = builtRecord((await invoke([...SEED, '--json']).done).stdout);

    const ls = await invoke(['disk', 'ls']).done;
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(
      new RegExp(
        `^ID +STATUS +IMAGE +TYPES +ARCH +CREATED +DURATION +OUTPUT\\n${built.id} +succeeded +quay.io/fedora/fedora-bootc:42 +vmdk +arm64`,
      ),
    );
    expect(JSON.parse((await invoke(['disk', 'ls', '--json']).done).stdout)).toHaveLength(1);

    const show = await invoke(['disk', 'show', built.id.slice(0, 4)]).done;
    expect(show.stdout).toContain(`ID:        ${built.id}`);
    expect(show.stdout).toContain('Status:    succeeded');
    expect((await invoke(['disk', 'show', 'abc']).done).code).toBe(2);

    const logs = await invoke(['disk', 'logs', built.id]).done;
    expect(logs.stdout).toContain('Build complete!');
    const followed = await invoke(['disk', 'logs', built.id, '--follow']).done;
    expect(followed.stdout).toContain('Build complete!');

    const cancel = await invoke(['disk', 'cancel', built.id]).done;
    expect(cancel.stdout).toBe(`Build ${built.id} had already ended: succeeded\n`);

    const rm = await invoke(['disk', 'rm', built.id]).done;
    expect(rm.stdout).toMatch(new RegExp(`^Removed .*\\n(Removed .*\\n)*Deleted ${built.id}\\n$`));
    expect((await invoke(['disk', 'ls']).done).stdout).toMatch(/^No disk builds yet/);
  });
});

describe('disk build --user NAME:- (the password kept out of argv)', () => {
  /** Passes the build, keeping the hashes of the config the builder was given. */
  function succeedKeepingHashes(hashes: string[]) {
    return (container: FakeContainer) => {
      const bind = container.spec.binds.find(each => each.endsWith(':/config.toml:ro'));
      const config = bind ? readFileSync(bind.split(':')[0], 'utf8') : (container.spec.files?.[0]?.content ?? '');
      hashes.push(...[...config.matchAll(/password = "([^"]+)"/g)].map(match => match[1]));
      succeed(container);
    };
  }
  const ASKING = [...SEED.map(word => (word === 'demo:changeit:wheel' ? 'demo:-:wheel' : word)), '--user', 'ops:-'];

  test('standard input gives one line per asking user, in order; only their hashes reach the builder', async () => {
    const hashes: string[] = [];
    engine.onStart = succeedKeepingHashes(hashes);
    const result = await invoke(ASKING, { stdin: Readable.from(['first pw\n', 'sec:ond\n']) }).done;
    expect(result.code, result.stderr).toBe(0);
    expect(hashes).toHaveLength(2);
    expect(verifyPassword('first pw', hashes[0])).toBe(true);
    expect(verifyPassword('sec:ond', hashes[1])).toBe(true);
    expect(result.stdout + result.stderr).not.toMatch(/first pw|sec:ond/);
  });

  test('a user standard input has no line for is refused by name, exit 2, nothing started', async () => {
    const result = await invoke(ASKING, { stdin: Readable.from(['only one\n']) }).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--user ops:-: standard input has no password for this user');
    expect(result.connects).toBe(0);
    expect(engine.calls).toEqual([]);
  });

  test('on a terminal each is typed twice without echo; two that differ are refused', async () => {
    const terminal = () => Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const typing = (stdin: PassThrough, answers: string[]) => (text: string) => {
      if (/^(Password for user|The same password)/.test(text)) stdin.write(`${answers.shift()}\r`);
    };
    const hashes: string[] = [];
    engine.onStart = succeedKeepingHashes(hashes);
    const stdin = terminal();
    const result = await invoke(ASKING, { stdin, onStderr: typing(stdin, ['tty-1', 'tty-1', 'tty-2', 'tty-2']) }).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Password for user demo: ');
    expect(result.stderr).toContain('Password for user ops: ');
    expect(result.stdout + result.stderr).not.toContain('tty-');
    expect(hashes.map((hash, index) => verifyPassword(`tty-${index + 1}`, hash))).toEqual([true, true]);

    const mistyped = terminal();
    const refused = await invoke(ASKING, { stdin: mistyped, onStderr: typing(mistyped, ['abc', 'abd']) }).done;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--user demo:-: the two passwords typed differ');
    expect(refused.stderr).not.toMatch(/abc|abd/);
  });
});

describe('disk build into a folder that holds another build', () => {
  test('refused with exit 2 naming the build and a fresh folder; --overwrite builds; each log only its own', async () => {
    engine.onStart = succeed;
    const first = builtRecord((await invoke([...SEED, '--json']).done).stdout);

    const refusedRun = await invoke(SEED).done;
    expect(refusedRun.code).toBe(2);
    expect(refusedRun.stderr).toContain(`--output: this folder already holds the files of build ${first.id}`);
    expect(refusedRun.stderr).toContain('add --overwrite');
    expect(refusedRun.stderr).toMatch(/fedora-bootc-\d{8}-\d{4}/);
    expect(builderCreates(engine)).toHaveLength(1);

    const second = await invoke([...SEED, '--overwrite']).done;
    expect(second.code, second.stderr).toBe(0);
    // The new build's output starts with its own header, not the previous build's log.
    expect(second.stdout.startsWith('Bootc Studio disk build ')).toBe(true);
    expect(second.stdout).not.toContain(first.id);

    const show = await invoke(['disk', 'show', first.id]).done;
    expect(show.stdout).toMatch(/vmdk +\S+vmdk\/disk\.vmdk {2}replaced by build [0-9a-f]{12}/);
    const ls = await invoke(['disk', 'ls']).done;
    expect(ls.stdout).toMatch(new RegExp(`${first.id} +succeeded \\(files: 1 replaced\\)`));

    const logs = await invoke(['disk', 'logs', first.id]).done;
    expect(logs.stdout).toContain(`Bootc Studio disk build ${first.id}`);
    expect(logs.stdout.match(/Bootc Studio disk build/g)).toHaveLength(1);

    rmSync(first.logPath);
    const gone = await invoke(['disk', 'logs', first.id]).done;
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`the log of build ${first.id} is gone`);

    const rm = await invoke(['disk', 'rm', first.id]).done;
    expect(rm.code).toBe(0);
    expect(rm.stdout).toMatch(/^Left \S+vmdk\/disk\.vmdk: replaced by build [0-9a-f]{12} since this build wrote it\n/);
    expect(existsSync(join(dir, 'out/vmdk/disk.vmdk'))).toBe(true);
  });
});
