/**
 * The hand-off script's decisions and failure paths, run by a real sh against stand-ins for podman
 * and runuser that record what they were asked (the integration test runs it against real
 * podmans; here every failure can be provoked): skip the copy when root has the image ID, never
 * leave the archive behind, stop the builder on the cancel file, remove partial artifacts on failure.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../../src/api/disk-build';
import { planBuild } from '../../../src/builds/builder-plan';
import {
  CANCEL_FILE,
  HANDOFF_FAILURE_PREFIX,
  handoffScript,
  ROOT_GRAPH_ROOT,
  type HandoffInput,
} from '../../../src/builds/linux-handoff';

const ID = 'a'.repeat(64);
const OTHER_ID = 'b'.repeat(64);

/**
 * podman: `info` answers the graph root, `image inspect` the ID in $FAKE/root-id, `save -o F` writes F,
 * `load` takes $FAKE/load-exit (and then "has" the image), `run` writes a partial artifact then
 * sleeps until `stop` (or exits with $FAKE/run-exit). Every call is appended to $FAKE/calls.
 */
const FAKE_PODMAN = `#!/bin/sh
echo "podman $*" >> "$FAKE/calls"
case "$1" in
  info) echo /fake/storage ;;
  image)
    case "$2" in
      inspect) [ -f "$FAKE/root-id" ] && cat "$FAKE/root-id" || exit 125 ;;
      exists) exit 0 ;;
    esac ;;
  save) while [ $# -gt 0 ]; do [ "$1" = -o ] && { echo archive > "$2"; ls "$2" >> "$FAKE/archives"; }; shift; done ;;
  load) code=$(cat "$FAKE/load-exit" 2>/dev/null || echo 0); [ "$code" = 0 ] && cat "$FAKE/loaded-id" > "$FAKE/root-id"; exit "$code" ;;
  run)
    for arg; do out=\${arg%%:/output}; [ "$out" != "$arg" ] && mkdir -p "$out/qcow2" && echo partial > "$out/qcow2/disk.qcow2"; done
    echo "  [1 / 2] Stage org.osbuild.rpm"
    if [ -f "$FAKE/run-exit" ]; then exit "$(cat "$FAKE/run-exit")"; fi
    i=0; while [ ! -f "$FAKE/stopped" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    exit 143 ;;
  stop) touch "$FAKE/stopped" ;;
  rm) ;;
esac
`;
/**
 * runuser -u NAME -- CMD…: runs CMD as the caller (the user switch is what is recorded), with the
 * fakes first on the PATH the script gives the owner, and $FAKE kept through its `env -i`.
 */
const FAKE_RUNUSER = `#!/bin/sh
echo "runuser $*" >> "$FAKE/calls"
while [ "$1" != -- ]; do shift; done; shift
for arg; do
  shift
  case "$arg" in PATH=*) set -- "$@" "FAKE=$FAKE"; arg="PATH=$FAKE/bin:\${arg#PATH=}" ;; esac
  set -- "$@" "$arg"
done
exec "$@"
`;

let dir: string;
let fake: string;
let out: string;
let work: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'handoff-script-'));
  fake = join(dir, 'fake');
  out = join(dir, "out 'disks'");
  work = join(dir, 'work');
  for (const sub of [fake, join(fake, 'bin'), out, work]) mkdirSync(sub);
  writeFileSync(join(fake, 'bin/podman'), FAKE_PODMAN, { mode: 0o755 });
  writeFileSync(join(fake, 'bin/runuser'), FAKE_RUNUSER, { mode: 0o755 });
  writeFileSync(join(fake, 'loaded-id'), ID);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function input(overrides: Partial<DiskBuildRequest> = {}, more: Partial<HandoffInput> = {}): HandoffInput {
  const request = {
    image: 'localhost/os:1',
    outputDir: out,
    types: ['qcow2', 'raw'] as DiskBuildRequest['types'],
    arch: 'amd64' as const,
    builder: { image: 'localhost/builder:1' },
    ...overrides,
  };
  const plan = planBuild(request, { graphRoot: ROOT_GRAPH_ROOT, engineRootful: true, buildId: '0123456789ab' });
  return {
    image: request.image,
    imageId: ID,
    owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    workDir: work,
    archive: join(out, '.bootc-studio-image-0123456789ab.tar'),
    outputDir: out,
    plan,
    stopTimeoutSeconds: 3,
    ...more,
  };
}

function run(script: string, setup: () => void = () => undefined) {
  setup();
  const file = join(work, 'handoff.sh');
  writeFileSync(file, script);
  const result = spawnSync('/bin/sh', [file], {
    encoding: 'utf8',
    env: { PATH: `${join(fake, 'bin')}:/usr/bin:/bin`, FAKE: fake },
    cwd: dir,
    timeout: 30_000,
  });
  const calls = existsSync(join(fake, 'calls')) ? readFileSync(join(fake, 'calls'), 'utf8').split('\n') : [];
  return { code: result.status, output: result.stdout + result.stderr, calls };
}

const archives = () => (existsSync(join(fake, 'archives')) ? readFileSync(join(fake, 'archives'), 'utf8') : '');

describe('the hand-off script', () => {
  test('root already has the image ID: nothing is saved or loaded; the builder runs with root’s graph root', () => {
    writeFileSync(join(fake, 'root-id'), ID);
    writeFileSync(join(fake, 'run-exit'), '0');
    const { code, output, calls } = run(handoffScript(input()));
    expect(code, output).toBe(0);
    expect(output).toContain(`root's podman already has localhost/os:1 (${ID.slice(0, 12)}): nothing to copy`);
    expect(calls.some(call => /^podman save|^podman load|^runuser/.test(call))).toBe(false);
    const runCall = calls.find(call => call.startsWith('podman run'));
    expect(runCall).toContain('--name bootc-studio-build-0123456789ab');
    expect(runCall).toContain('-v /fake/storage:/var/lib/containers/storage');
    expect(runCall).toContain(`-v ${out}:/output`);
    // Success: the artifacts are given to the owner, not removed.
    expect(existsSync(join(out, 'qcow2/disk.qcow2'))).toBe(true);
  });

  test('another ID: saved as the owner, loaded by root, checked; the archive is gone', () => {
    writeFileSync(join(fake, 'root-id'), OTHER_ID);
    writeFileSync(join(fake, 'run-exit'), '0');
    const { code, output, calls } = run(handoffScript(input()));
    expect(code, output).toBe(0);
    expect(output).toContain("copying localhost/os:1 to root's podman");
    expect(output).toContain("copied localhost/os:1 to root's podman");
    const save = calls.findIndex(call => call.startsWith('runuser -u'));
    expect(calls[save]).toMatch(/^runuser -u \S+ -- env -i -C \S+ HOME=/);
    expect(calls[save + 1]).toMatch(
      /^podman save --format docker-archive -o .*\.bootc-studio-image-0123456789ab\.tar localhost\/os:1$/,
    );
    expect(calls.find(call => call.startsWith('podman load'))).toMatch(
      /^podman load --quiet --input .*\.bootc-studio-image-0123456789ab\.tar$/,
    );
    expect(archives()).toContain('.bootc-studio-image-0123456789ab.tar');
    expect(existsSync(input().archive)).toBe(false);
  });

  test('a failing load: the hand-off fails with the reason, the archive is removed, the builder never runs', () => {
    writeFileSync(join(fake, 'load-exit'), '5');
    const { code, output, calls } = run(handoffScript(input()));
    expect(code).toBe(1);
    expect(output).toContain(`${HANDOFF_FAILURE_PREFIX}loading localhost/os:1 into root's podman failed`);
    expect(archives()).not.toBe('');
    expect(existsSync(input().archive)).toBe(false);
    expect(calls.some(call => call.startsWith('podman run'))).toBe(false);
  });

  test('a copy that comes out with another ID is refused', () => {
    writeFileSync(join(fake, 'loaded-id'), OTHER_ID);
    const { code, output } = run(handoffScript(input()));
    expect(code).toBe(1);
    expect(output).toContain(
      `${HANDOFF_FAILURE_PREFIX}the copy of localhost/os:1 in root's podman has another image ID`,
    );
    expect(existsSync(input().archive)).toBe(false);
  });

  test('a failing builder: its exit code, and the partial artifacts are removed', () => {
    writeFileSync(join(fake, 'root-id'), ID);
    writeFileSync(join(fake, 'run-exit'), '3');
    writeFileSync(join(out, 'keep.txt'), 'the user’s own file');
    const { code, output } = run(handoffScript(input()));
    expect(code).toBe(3);
    expect(output).toContain('Stage org.osbuild.rpm');
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
    expect(existsSync(join(out, 'keep.txt'))).toBe(true);
  });

  test('the cancel file stops the running builder, which is then removed', () => {
    writeFileSync(join(fake, 'root-id'), ID);
    const script = handoffScript(input());
    // Cancel shortly after the start: the script polls the file once a second.
    const file = join(work, 'handoff.sh');
    writeFileSync(file, script);
    const child = spawnSync(
      '/bin/sh',
      ['-c', `(sleep 1; touch "$1") & exec /bin/sh "$2"`, 'sh', join(work, CANCEL_FILE), file],
      { encoding: 'utf8', env: { PATH: `${join(fake, 'bin')}:/usr/bin:/bin`, FAKE: fake }, timeout: 30_000 },
    );
    const calls = readFileSync(join(fake, 'calls'), 'utf8');
    expect(child.status).toBe(143);
    // At once: osbuild ignores SIGTERM, a grace period would let it run on.
    expect(calls).toContain('podman stop --time 0 bootc-studio-build-0123456789ab');
    expect(calls).toMatch(/podman rm -f bootc-studio-build-0123456789ab\n$/);
    expect(existsSync(join(out, 'qcow2'))).toBe(false);
  });

  test('cancelled before the builder started: it never runs', () => {
    writeFileSync(join(fake, 'root-id'), ID);
    writeFileSync(join(work, CANCEL_FILE), '');
    const { code, output, calls } = run(handoffScript(input()));
    expect(code).toBe(1);
    expect(output).toContain('cancelled before the builder started');
    expect(calls.some(call => call.startsWith('podman run'))).toBe(false);
  });

  test('hostile names and paths reach the commands as exactly one word each, and nothing is executed', () => {
    const image = 'localhost/os:1$(touch pwned)';
    const hostileOut = join(dir, "o'ut `touch pwned` $HOME");
    mkdirSync(hostileOut);
    writeFileSync(join(fake, 'root-id'), ID);
    writeFileSync(join(fake, 'run-exit'), '0');
    const { code, output } = run(
      handoffScript(input({ outputDir: hostileOut }, { image, outputDir: hostileOut, workDir: work })),
    );
    expect(code, output).toBe(0);
    expect(output).toContain(`already has ${image} (`);
    for (const where of [dir, work, hostileOut]) expect(existsSync(join(where, 'pwned'))).toBe(false);
    expect(existsSync(join(hostileOut, 'qcow2/disk.qcow2'))).toBe(true);
  });

  test('refuses a plan it cannot run and an image ID that is not one', () => {
    expect(() => handoffScript(input({}, { imageId: 'abc' }))).toThrow(/not a full image ID/);
    const plan = planBuild(
      { image: 'x', outputDir: out, types: ['qcow2'], arch: 'amd64', builder: { image: 'b' } },
      { graphRoot: '/elsewhere', engineRootful: true, buildId: '0123456789ab' },
    );
    expect(() => handoffScript(input({}, { plan }))).toThrow(/must mount ROOT_GRAPH_ROOT/);
  });
});
