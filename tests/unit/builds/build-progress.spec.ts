import { describe, expect, test } from 'vitest';

import { BuildProgressParser, type BuildProgressUpdate } from '../../../src/builds/build-progress';

/*
 * Log samples RECONSTRUCTED from the documented formats, not captured from a real builder (it cannot
 * be pulled on these machines):
 * - `--progress debug` prints `<two spaces per level>[<done> / <total>] <message>` for every osbuild
 *   status (level 0 "Pipeline <name>", level 1 "Stage <name>"), `msg: …` and `pulse: …` for messages,
 *   `Start progressbar` / `Stop progressbar` (image-builder-cli pkg/progress, osbuild/images StatusScanner);
 * - bootc-image-builder's own lines (Generating manifest…, Building manifest-…, Build complete!, Results
 *   saved in …) and its setup errors (reference §2.1, §2.5);
 * - osbuild's verbose log (`Pipeline <name>: <id>`, `<stage>: <id> {options}`, `⏱  Duration`, `manifest - failed`).
 */

const id = (seed: string) => seed.repeat(64).slice(0, 64);

/** One pipeline of a debug-mode log: its start, each stage started, traced and finished, its end. */
function pipeline(index: number, total: number, name: string, stages: string[], traces = 2): string[] {
  const lines: string[] = [];
  const status = (done: number, stage: string, msg?: string) => {
    lines.push(`[${index} / ${total}] Pipeline ${name}`);
    lines.push(`  [${done} / ${stages.length}] ${stage ? `Stage ${stage}` : ''}`.trimEnd());
    if (msg) lines.push(`msg: ${msg}`);
  };
  status(0, '', `Starting pipeline ${name}`);
  stages.forEach((stage, done) => {
    status(done, stage, `Starting module ${stage}`);
    for (let i = 0; i < traces; i++) status(done, stage);
    status(done + 1, stage, `Finished module ${stage}`);
  });
  lines.push(`[${index + 1} / ${total}] Pipeline ${name}`);
  lines.push(`msg: Finished pipeline ${name}`);
  return lines;
}

const DEBUG_PREAMBLE = [
  'msg: Generating manifest manifest-qcow2.json',
  'pulse: Manifest generation step',
  'Start progressbar',
  'msg: Done generating manifest',
  'pulse: Disk image building step',
  'msg: Building manifest-qcow2.json',
];

const SUCCESS_DEBUG = [
  ...DEBUG_PREAMBLE,
  ...pipeline(0, 4, 'build', ['org.osbuild.container-deploy', 'org.osbuild.selinux']),
  ...pipeline(1, 4, 'image', [
    'org.osbuild.truncate',
    'org.osbuild.sfdisk',
    'org.osbuild.mkfs.fat',
    'org.osbuild.mkfs.xfs',
    'org.osbuild.bootc.install-to-filesystem',
    'org.osbuild.fstab',
  ]),
  ...pipeline(2, 4, 'qcow2', ['org.osbuild.qemu']),
  'msg: Build complete!',
  'msg: Results saved in /output',
  'Stop progressbar',
  '',
].join('\n');

const NO_SPACE_DEBUG = [
  ...DEBUG_PREAMBLE,
  ...pipeline(0, 4, 'build', ['org.osbuild.container-deploy', 'org.osbuild.selinux']),
  '[1 / 4] Pipeline image',
  '  [4 / 6] Stage org.osbuild.bootc.install-to-filesystem',
  'msg: Starting module org.osbuild.bootc.install-to-filesystem',
  'Stop progressbar',
  'error: cannot run osbuild: error running osbuild: exit status 1',
  'BuildLog:',
  'Starting module org.osbuild.bootc.install-to-filesystem',
  'Installing image: docker://quay.io/fedora/fedora-bootc:42',
  'error: Installing to filesystem: Creating ostree deployment: Writing content object: No space left on device (os error 28)',
  'Output:',
  'manifest - failed',
  '',
].join('\n');

const STAGE_FAILURE_DEBUG = [
  ...DEBUG_PREAMBLE,
  '[0 / 4] Pipeline build',
  '  [0 / 2] Stage org.osbuild.container-deploy',
  'msg: Starting module org.osbuild.container-deploy',
  'Stop progressbar',
  'error: cannot run osbuild: error running osbuild: exit status 1',
  'manifest - failed',
  '',
].join('\n');

const ROOTLESS = 'error: cannot validate the setup: this command must be run in rootful (not rootless) podman\n';
const NOT_PRIVILEGED = 'error: cannot validate the setup: this command requires a privileged container\n';
const NO_STORAGE =
  'msg: Generating manifest manifest-qcow2.json\nerror: cannot build manifest: could not access container storage, did you forget -v /var/lib/containers/storage:/var/lib/containers/storage? (cannot find "/var/lib/containers/storage/overlay": stat /var/lib/containers/storage/overlay: no such file or directory)\n';
const NOT_BOOTC =
  'msg: Generating manifest manifest-qcow2.json\npulse: Manifest generation step\nerror: cannot build manifest: image quay.io/fedora/fedora:42 is not a bootc image\n';
const NO_DEFAULT_FS =
  'pulse: Manifest generation step\nStart progressbar\nerror: cannot build manifest: no default fs set: mount "/boot" requires a filesystem but none set\n';
const UNKNOWN_ERROR =
  'msg: Generating manifest manifest-qcow2.json\nerror: cannot build manifest: something new went wrong\n';

/** What the existing extension's `--progress verbose` produced: osbuild's own log, no step counts. */
const VERBOSE_LOG = `Generating manifest manifest-qcow2.json
Done generating manifest
Disk image building step
Building manifest-qcow2.json
Pipeline build: ${id('a1')}
Build
  root: <host>
  runner: org.osbuild.fedora38 (org.osbuild.fedora38)
org.osbuild.container-deploy: ${id('b2')} {}
⏱  Duration: 12s
org.osbuild.selinux: ${id('c3')} {
  "file_contexts": "etc/selinux/targeted/contexts/files/file_contexts"
}
⏱  Duration: 3s
Pipeline image: ${id('d4')}
org.osbuild.ostree.init-fs: ${id('e5')} {}
⏱  Duration: 7s
org.osbuild.qemu: ${id('f6')} {
  "format": { "type": "qcow2", "compat": "1.1" }
}
⏱  Duration: 30s
manifest - finished successfully
Build complete!
Results saved in
/output
`;

function parseAll(
  log: string,
  chunkSizes?: () => number,
): { updates: BuildProgressUpdate[]; parser: BuildProgressParser } {
  const parser = new BuildProgressParser();
  const updates: BuildProgressUpdate[] = [];
  if (!chunkSizes) updates.push(...parser.push(log));
  else {
    for (let i = 0; i < log.length;) {
      const size = chunkSizes();
      updates.push(...parser.push(log.slice(i, i + size)));
      i += size;
    }
  }
  updates.push(...parser.end());
  return { updates, parser };
}

/** A deterministic pseudo-random chunk size between 1 and `max`. */
function chunker(max: number, seed = 7): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 1 + (state % max);
  };
}

describe('progress from --progress debug', () => {
  test('a real percentage from the step counts, monotonic, 100 only at Build complete!', () => {
    const { updates, parser } = parseAll(SUCCESS_DEBUG);
    const percents = updates.map(update => update.percent);
    for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]);
    const complete = updates.findIndex(update => update.message === 'Build complete');
    expect(complete).toBeGreaterThan(0);
    expect(percents.slice(0, complete).every(percent => percent < 100)).toBe(true);
    expect(percents[complete]).toBe(100);
    expect(parser.percent).toBe(100);
    expect(parser.completed).toBe(true);
    expect(parser.resultsDir).toBe('/output');
    expect(parser.failureReason).toBeUndefined();
  });

  test('the percentage is (pipelines done + stages done / stages) / pipelines total', () => {
    const parser = new BuildProgressParser();
    expect(parser.push('[1 / 4] Pipeline image\n  [3 / 6] Stage org.osbuild.mkfs.xfs\n').at(-1)).toEqual({
      percent: 37, // (1 + 3/6) / 4
      message: 'org.osbuild.mkfs.xfs',
      stage: 'org.osbuild.mkfs.xfs',
      pipeline: 'image',
    });
    // A pipeline finishing resets the stage level; the percentage never goes back.
    expect(parser.push('[2 / 4] Pipeline image\n').at(-1)?.percent).toBe(50);
    expect(parser.push('[1 / 4] Pipeline image\n')).toEqual([]);
    expect(parser.percent).toBe(50);
    // Counts past the end stay below 100 until the builder says it is complete.
    parser.push('[4 / 4] Pipeline qcow2\n');
    expect(parser.percent).toBe(99);
  });

  test('the stage names are the messages, in order', () => {
    const { updates } = parseAll(SUCCESS_DEBUG);
    const stages = [...new Set(updates.map(update => update.stage).filter(Boolean))];
    expect(stages).toEqual([
      'org.osbuild.container-deploy',
      'org.osbuild.selinux',
      'org.osbuild.truncate',
      'org.osbuild.sfdisk',
      'org.osbuild.mkfs.fat',
      'org.osbuild.mkfs.xfs',
      'org.osbuild.bootc.install-to-filesystem',
      'org.osbuild.fstab',
      'org.osbuild.qemu',
    ]);
    const messages = updates.map(update => update.message);
    expect(messages.slice(0, 5)).toEqual([
      'Generating manifest manifest-qcow2.json',
      'Manifest generation step',
      'Done generating manifest',
      'Disk image building step',
      'Building manifest-qcow2.json',
    ]);
    expect(messages.at(-1)).toBe('Results saved in /output');
    expect(updates.find(update => update.stage === 'org.osbuild.qemu')?.pipeline).toBe('qcow2');
  });

  test('repeated status lines do not repeat updates', () => {
    const { updates } = parseAll(SUCCESS_DEBUG);
    for (let i = 1; i < updates.length; i++) {
      const same = updates[i].message === updates[i - 1].message && updates[i].percent === updates[i - 1].percent;
      expect(same).toBe(false);
    }
  });

  test.each([1, 3, 17, 200])('lines split across chunks of up to %i characters give the same updates', max => {
    const whole = parseAll(SUCCESS_DEBUG).updates;
    expect(parseAll(SUCCESS_DEBUG, chunker(max)).updates).toEqual(whole);
    expect(parseAll(SUCCESS_DEBUG.replace(/\n/g, '\r\n'), chunker(max)).updates).toEqual(whole);
  });

  test('a last line without a newline is read at the end', () => {
    const parser = new BuildProgressParser();
    expect(parser.push('msg: Build compl')).toEqual([]);
    expect(parser.push('ete!')).toEqual([]);
    expect(parser.end()).toEqual([{ percent: 100, message: 'Build complete' }]);
  });

  test('terminal colours and noise are ignored', () => {
    const parser = new BuildProgressParser();
    expect(parser.push('\x1b[1m[0 / 2] Pipeline build\x1b[0m\nsome other output\n\n')).toEqual([
      { percent: 0, message: 'Pipeline build', pipeline: 'build' },
    ]);
    expect(parser.push('  [1 / 2] Stage org.osbuild.rpm\n')).toEqual([
      { percent: 25, message: 'org.osbuild.rpm', stage: 'org.osbuild.rpm', pipeline: 'build' },
    ]);
    // A sub-level without its parent is not a status line.
    expect(new BuildProgressParser().push('  [1 / 2] Stage org.osbuild.rpm\n')).toEqual([]);
  });
});

describe('progress from a verbose log', () => {
  test('stage names still come through; the percentage waits for Build complete!', () => {
    const { updates, parser } = parseAll(VERBOSE_LOG, chunker(11));
    expect(updates.map(update => update.message)).toEqual([
      'Generating manifest manifest-qcow2.json',
      'Done generating manifest',
      'Disk image building step',
      'Building manifest-qcow2.json',
      'org.osbuild.container-deploy',
      'org.osbuild.selinux',
      'org.osbuild.ostree.init-fs',
      'org.osbuild.qemu',
      'Build complete',
      'Results saved in',
      'Results saved in /output',
    ]);
    expect(updates.slice(0, -3).every(update => update.percent === 0)).toBe(true);
    expect(parser.percent).toBe(100);
    expect(parser.resultsDir).toBe('/output');
    expect(parser.failureReason).toBeUndefined();
  });
});

describe('failure reasons', () => {
  test.each([
    [
      'no space left',
      NO_SPACE_DEBUG,
      'no space left on device: free space in the output folder and in the engine’s storage (podman machine disk), then retry',
    ],
    ['rootless engine', ROOTLESS, 'the builder must run on a rootful podman: this engine is rootless'],
    ['not privileged', NOT_PRIVILEGED, 'the builder container was not privileged'],
    [
      'storage not mounted',
      NO_STORAGE,
      'the engine’s image storage is not mounted at /var/lib/containers/storage, or it is not an overlay store',
    ],
    [
      'not a bootc image',
      NOT_BOOTC,
      'quay.io/fedora/fedora:42 is not a bootc image (it lacks the containers.bootc=1 label)',
    ],
    ['no default filesystem', NO_DEFAULT_FS, 'the image has no default root filesystem: choose xfs, ext4 or btrfs'],
    ['a failing stage', STAGE_FAILURE_DEBUG, 'osbuild failed in stage org.osbuild.container-deploy (pipeline build)'],
    ['an unknown error', UNKNOWN_ERROR, 'cannot build manifest: something new went wrong'],
    [
      'the reference’s osbuild lines',
      `Pipeline build: ${id('9')}\norg.osbuild.rpm: ${id('8')} {}\nmanifest - failed\nerror: cannot run osbuild: running osbuild failed: exit status 1\n`,
      'osbuild failed in stage org.osbuild.rpm (pipeline build)',
    ],
  ])('%s', (_name, log, reason) => {
    const { parser } = parseAll(log, chunker(13));
    expect(parser.failureReason).toBe(reason);
    expect(parser.completed).toBe(false);
    expect(parser.percent).toBeLessThan(100);
  });

  test('a long error line is cut short', () => {
    const parser = new BuildProgressParser();
    parser.push(`error: ${'x'.repeat(1000)}\n`);
    expect(parser.failureReason).toHaveLength(240);
    expect(parser.failureReason?.endsWith('…')).toBe(true);
  });

  test('the first error of a kind is the cause', () => {
    const parser = new BuildProgressParser();
    parser.push('error: first problem\nerror: its echo\n');
    expect(parser.failureReason).toBe('first problem');
  });
});
