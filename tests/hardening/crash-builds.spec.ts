/**
 * Crash safety of disk builds: `bootc-studio disk build` (the built CLI, on a real podman service
 * with the stand-in builder) is SIGKILLed at seeded random moments of its run — before its record,
 * while preparing (lint, config file, builder container), while the builder runs, while it ends.
 * After each kill the backend is started again as the extension starts it (a new DiskBuildService
 * on the same store, `reconcile('adopt')`), and the test checks: every file of the store parses and
 * no temp file of a write is left; a build whose builder still ran was re-attached and ended with
 * the builder's outcome, one whose builder was gone or never started is `lost` with why; no build
 * is left active; no builder (or lint) container and no config temp dir is left behind.
 */

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { FINISHED_STATUSES } from '../../src/api/disk-builds';
import { CONFIG_DIR_PREFIX } from '../../src/builds/build-config-tempdir';
import { DiskBuildService } from '../../src/builds/disk-build-service';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { createBusyboxBase } from '../integration/support/images';
import { startPodmanService, type PodmanService } from '../integration/support/podman-service';
import { createBootcTestImage, createStandInBuilder, standInVariant } from '../integration/support/stand-in-builder';
import { addCount } from './support/counts';
import {
  auditStore,
  cliEnv,
  diskBuildArgs,
  fillDisk,
  killAfter,
  mountTmpfs,
  requireBuiltCli,
  runCli,
  runSeed,
  seededRandom,
  startCli,
} from './support/crash-kit';

const SPEC = 'crash-builds';
const IMAGE = 'localhost/crash-bootc:1';
const BUILDER = 'localhost/stand-in-crash:latest';
/** Build kills; each is cheap (a few seconds of stand-in builder). */
const KILLS = Number(process.env.HARDENING_BUILD_KILLS ?? 20);

describe('disk builds survive SIGKILL of their backend', () => {
  let podman: PodmanService;
  let root: string;
  let store: string;
  let tmp: string;
  let engine: PodmanSocketEngine;
  let random: () => number;

  const env = () => cliEnv({ HOME: join(root, 'home'), TMPDIR: tmp });
  // A config file (hashed password) in a private temp dir: it must go however the build ends.
  const buildArgs = (output: string) =>
    diskBuildArgs({ url: podman.url, store }, IMAGE, output, BUILDER, ['--user', 'crash:not-a-real-secret', '--json']);
  const containers = async () => {
    const { stdout } = await podman.podman(['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.State}}']);
    return stdout.split('\n').filter(Boolean);
  };
  const configDirs = async () => (await readdir(tmp)).filter(name => name.startsWith(CONFIG_DIR_PREFIX));

  beforeAll(async () => {
    requireBuiltCli();
    podman = await startPodmanService();
    root = await mkdtemp(join(podman.dir, 'crash-'));
    store = join(root, 'store');
    tmp = join(root, 'tmp');
    await mkdir(tmp, { recursive: true });
    await mkdir(join(root, 'home'), { recursive: true });
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    // Slow enough that a kill lands inside the builder's run often: 4 pipelines × 4 stages × 0.12 s.
    await standInVariant(podman, BUILDER, { STANDIN_STEP_SECONDS: '0.12', STANDIN_STAGES: '4' });
    engine = new PodmanSocketEngine(podman.url);
    random = seededRandom(runSeed(SPEC));
  });

  afterAll(async () => {
    await podman?.stop();
  });

  test(`${KILLS} kills at random moments of a build: records intact, builders re-attached or marked lost, nothing left behind`, async () => {
    // One build to its end, unkilled: how long a build takes here, so the kills spread over all of it.
    const t0 = Date.now();
    const calibration = await runCli(buildArgs(join(root, 'out-calibration')), env());
    const fullMs = Date.now() - t0;
    expect(calibration.code, calibration.stderr).toBe(0);

    const outcomes = { noRecord: 0, reattached: 0, lost: 0, endedBeforeKill: 0, outcomeRecorded: 0 };
    let kills = 0;
    let recordsChecked = 0;
    const warnings: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const at = Math.round(random() * fullMs * 1.05);
      const before = new Set((await auditIds()).map(r => r.id));
      const backend = startCli(buildArgs(join(root, `out-${i}`)), env());
      const { killed, exit } = await killAfter(backend, at);
      // Ended before its kill: done, or (on a machine this loaded) refused because podman was slow to answer.
      if (!killed) outcomes.endedBeforeKill += exit.code === 0 ? 1 : 0;
      else kills += 1;

      // What the kill left, before anyone cleans up: never a damaged file.
      const left = await auditStore(store);
      expect(left.damaged, `after a kill at ${at} ms`).toEqual([]);
      const mine = (await auditIds()).filter(record => !before.has(record.id));
      expect(mine.length).toBeLessThanOrEqual(1);
      const atKill = mine[0];

      // The backend starts again, as the extension's activation does.
      const service = new DiskBuildService({ engine, storeDir: store, warn: message => warnings.push(message) });
      try {
        await service.reconcile('adopt');
        if (!atKill) {
          outcomes.noRecord += 1;
        } else if (service.isRunningHere(atKill.id)) {
          const final = await service.wait(atKill.id);
          outcomes.reattached += 1;
          expect(final.status, final.error).toBe('succeeded');
        }
        const { records, problems } = await service.listWithProblems();
        expect(problems).toEqual([]);
        for (const record of records) {
          expect(FINISHED_STATUSES, `build ${record.id} is left ${record.status}`).toContain(record.status);
        }
        if (atKill) {
          const final = records.find(record => record.id === atKill.id) as DiskBuildRecord;
          expect(final).toBeDefined();
          if (final.status === 'lost') {
            outcomes.lost += 1;
            expect(final.error).toMatch(/interrupted|gone|went away/);
            expect(final.artifacts).toEqual([]);
          } else if (!service.isRunningHere(atKill.id) && !FINISHED_STATUSES.includes(atKill.status)) {
            outcomes.outcomeRecorded += 1;
          }
          if (final.status === 'succeeded') expect(final.artifacts.length).toBeGreaterThan(0);
        }
      } finally {
        await service.dispose();
      }

      // The next start cleaned up: no temp file of a write, no builder or lint container, no config dir.
      const audit = await auditStore(store);
      expect(audit.damaged).toEqual([]);
      expect(audit.tempFiles, `after a kill at ${at} ms`).toEqual([]);
      expect(await containers(), `after a kill at ${at} ms`).toEqual([]);
      expect(await configDirs(), `after a kill at ${at} ms`).toEqual([]);
      recordsChecked += audit.records;
    }

    console.log(`[hardening] ${SPEC}: a build takes ${fullMs} ms here; outcomes ${JSON.stringify(outcomes)}`);
    expect(kills).toBeGreaterThan(KILLS / 2);
    addCount(
      SPEC,
      'backend kills survived (records intact, state recovered)',
      kills,
      `disk builds: ${outcomes.reattached} re-attached to a running builder, ${outcomes.outcomeRecorded} exited builders recorded, ${outcomes.lost} marked lost, ${outcomes.noRecord} before any record`,
    );
    addCount(SPEC, 'records checked after kills', recordsChecked);
  }, 900_000);

  test('a full disk: the store or the output folder on a full tmpfs gives an error that says so; no record is damaged', async () => {
    const tmpfs = await mountTmpfs('2m');
    try {
      const fullStore = join(tmpfs.dir, 'store');
      const args = (storeDir: string, output: string) => buildArgs(output).map(arg => (arg === store ? storeDir : arg));
      // A build recorded on it while there is room.
      const first = await runCli(args(fullStore, join(root, 'out-full-1')), env());
      expect(first.code, first.stderr).toBe(0);
      const before = await snapshot(fullStore);
      expect(Object.keys(before).length).toBeGreaterThan(0);
      await fillDisk(tmpfs.dir);
      let clear = 0;

      // The store's disk is full: the build is refused with that said, nothing is started.
      const refused = await runCli(args(fullStore, join(root, 'out-full-2')), env());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(`the disk that holds ${fullStore}/builds is full \\(no space left on device\\)`),
      );
      clear += 1;
      expect(await snapshot(fullStore)).toEqual(before);
      expect((await auditStore(fullStore)).tempFiles).toEqual([]);
      expect(await containers()).toEqual([]);
      expect(await configDirs()).toEqual([]);

      // The output folder's disk is full: refused before it starts, naming the folder.
      const output = join(tmpfs.dir, 'out');
      const noRoom = await runCli(buildArgs(output), env());
      expect(noRoom.code).toBe(1);
      expect(noRoom.stderr).toMatch(new RegExp(`only [0-9.]+ \\w*B? ?free in ${output}`));
      clear += 1;
      expect(await containers()).toEqual([]);

      // The store's disk fills while a build runs: its record stays whole (the last state that fit).
      await rm(join(tmpfs.dir, 'filler'));
      const running = startCli(args(fullStore, join(root, 'out-full-3')), env());
      // Filled once it builds (or, on a slow poll, has just ended: the final write then went through).
      const id = await waitForRecord(fullStore, record => record.status === 'building');
      await fillDisk(tmpfs.dir);
      // It must end (not hang) once the store cannot take its records any more.
      const limit = new Promise<'hung'>(done => setTimeout(() => done('hung'), 180_000));
      const ended = await Promise.race([running.exited, limit]);
      if (ended === 'hung') {
        running.child.kill('SIGKILL');
        throw new Error('disk build did not end within 3 minutes after its store filled up');
      }
      expect((await auditStore(fullStore)).damaged).toEqual([]);
      expect(`${ended.stdout}${ended.stderr}`).toMatch(/is full \(no space left on device\)/);
      clear += 1;
      // Room again: the next start finds every record whole and none left running.
      await rm(join(tmpfs.dir, 'filler'));
      const service = new DiskBuildService({ engine, storeDir: fullStore, warn: () => undefined });
      await service.reconcile('adopt');
      if (service.isRunningHere(id)) await service.wait(id);
      const { records, problems } = await service.listWithProblems();
      await service.dispose();
      expect(problems).toEqual([]);
      expect(records.map(record => record.status).filter(status => !FINISHED_STATUSES.includes(status))).toEqual([]);
      const audit = await auditStore(fullStore);
      expect(audit.damaged).toEqual([]);
      expect(audit.tempFiles).toEqual([]);
      expect(await containers()).toEqual([]);
      addCount(
        SPEC,
        'disk-full errors clear, records intact',
        clear,
        `${audit.records} records whole on a full 2 MiB tmpfs`,
      );
    } finally {
      await tmpfs.unmount();
    }
  }, 600_000);

  test('a damaged (truncated) record is set aside with a warning; the other records load; a dead writer’s temp file goes', async () => {
    const service = new DiskBuildService({ engine, storeDir: store, warn: () => undefined });
    const { records } = await service.store.list();
    expect(records.length).toBeGreaterThan(2);
    const [victim, ...others] = records;
    const file = join(store, 'builds', victim.id, 'build.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
    // The temp file of a write whose process was killed before its rename (a real dead pid).
    const dead = startCli(['--version'], env());
    await dead.exited;
    const temp = join(store, 'builds', others[0].id, `.build.json.${dead.pid}.0badc0de.tmp`);
    await writeFile(temp, text.slice(0, 10));

    const listed = await runCli(['--url', podman.url, '--store', store, 'disk', 'ls', '--json'], env());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toContain(
      `warning: skipped the record of build ${victim.id}: not valid JSON (truncated?): set aside as ${file}.damaged`,
    );
    const shown = (JSON.parse(listed.stdout) as DiskBuildRecord[]).map(record => record.id).sort();
    expect(shown).toEqual(others.map(record => record.id).sort());
    expect(await readFile(`${file}.damaged`, 'utf8')).toBe(text.slice(0, Math.floor(text.length / 2)));
    const audit = await auditStore(store);
    expect(audit.damaged).toEqual([]);
    expect(audit.tempFiles).toEqual([]);
    addCount(SPEC, 'damaged records set aside, the rest loaded', 1, `${others.length} other records loaded`);
  });

  async function snapshot(storeDir: string): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const id of await readdir(join(storeDir, 'builds')).catch(() => [] as string[])) {
      files[id] = await readFile(join(storeDir, 'builds', id, 'build.json'), 'utf8');
    }
    return files;
  }

  async function waitForRecord(storeDir: string, ready: (record: DiskBuildRecord) => boolean): Promise<string> {
    const store = new DiskBuildService({ engine, storeDir, warn: () => undefined }).store;
    const known = new Set(Object.keys(await snapshot(storeDir)));
    for (;;) {
      const found = (await store.list()).records.find(
        record => !known.has(record.id) && (ready(record) || FINISHED_STATUSES.includes(record.status)),
      );
      if (found) return found.id;
      await new Promise(done => setTimeout(done, 100));
    }
  }

  async function auditIds(): Promise<DiskBuildRecord[]> {
    const service = new DiskBuildService({ engine, storeDir: store, warn: () => undefined });
    return (await service.store.list()).records;
  }
});
