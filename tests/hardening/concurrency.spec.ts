/**
 * The extension and the CLI share one store. Two or more processes start disk builds and make VMs
 * at the same moment: the built CLI (`disk build`, several at once) on a real podman service with the
 * stand-in builder, a second backend process (support/vm-creator.ts: VmService.create, many at once),
 * and this process as the extension (DiskBuildService.start and VmService.create, many at once).
 * Afterwards every record each of them reported is in the store, whole, with what its own starter
 * asked (nobody overwrote anybody), every build ended as it should, and VM names are still unique.
 */

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { BuildStore } from '../../src/builds/build-store';
import { DiskBuildService } from '../../src/builds/disk-build-service';
import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { JobRegistry } from '../../src/jobs/job-registry';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import { VmService } from '../../src/vms/vm-service';
import { finalRecord } from '../integration/support/cli-json';
import { createBusyboxBase } from '../integration/support/images';
import { startPodmanService, type PodmanService } from '../integration/support/podman-service';
import { createBootcTestImage, createStandInBuilder, STAND_IN_BUILDER } from '../integration/support/stand-in-builder';
import { buildTestDisk, recordTestDiskBuild } from '../integration/support/test-disk';
import { addCount } from './support/counts';
import { auditStore, cliEnv, diskBuildArgs, requireBuiltCli, runCli } from './support/crash-kit';

const SPEC = 'concurrency';
const IMAGE = 'localhost/concurrent-bootc:1';
const BUILD_ID = 'c0c0c0c0c0c0';
const CLI_BUILDS = 3;
const OWN_BUILDS = 3;
const CHILD_VMS = 6;
const OWN_VMS = 6;

/** The second backend process: VMs made by VmService in a process of their own. */
function createVmsElsewhere(store: string, count: number): Promise<{ id: string; name: string }[]> {
  const script = resolve(__dirname, 'support/vm-creator.ts');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'jiti/register', script, store, BUILD_ID, String(count)], {
      cwd: resolve(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', code =>
      code === 0
        ? done(JSON.parse(stdout) as { id: string; name: string }[])
        : fail(new Error(`vm-creator exited ${code}: ${stderr}`)),
    );
  });
}

describe('two processes on one store', () => {
  let podman: PodmanService;
  let root: string;
  let store: string;

  beforeAll(async () => {
    requireBuiltCli();
    podman = await startPodmanService();
    root = await mkdtemp(join(podman.dir, 'concurrency-'));
    store = join(root, 'store');
    await mkdir(join(root, 'tmp'), { recursive: true });
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await recordTestDiskBuild(await buildTestDisk(), store, join(root, 'disk'), BUILD_ID);
  }, 180_000);

  afterAll(async () => {
    await podman?.stop();
  });

  test('builds and VMs started at once by the CLI, a second backend and this one: every record kept, whole and its own', async () => {
    const env = cliEnv({ TMPDIR: join(root, 'tmp') });
    const engine = new PodmanSocketEngine(podman.url);
    const builds = new DiskBuildService({ engine, storeDir: store, warn: () => undefined });
    const vms = new VmService({
      storeDir: store,
      jobs: new JobRegistry(),
      buildDisk: buildDiskFinder(new BuildStore(store)),
    });
    const request = (outputDir: string) => ({
      image: IMAGE,
      outputDir,
      types: ['qcow2'],
      arch: 'amd64',
      builder: { image: STAND_IN_BUILDER },
      config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
    });

    const [cliBuilds, ownBuilds, childVms, ownVms] = await Promise.all([
      Promise.all(
        Array.from({ length: CLI_BUILDS }, (_, i) =>
          runCli(
            diskBuildArgs({ url: podman.url, store }, IMAGE, join(root, `cli-${i}`), STAND_IN_BUILDER, [
              '--skip-lint',
              '--json',
            ]),
            env,
          ),
        ),
      ),
      Promise.all(Array.from({ length: OWN_BUILDS }, (_, i) => builds.start(request(join(root, `own-${i}`))))).then(
        ids => Promise.all(ids.map(id => builds.wait(id))),
      ),
      createVmsElsewhere(store, CHILD_VMS),
      Promise.all(
        Array.from({ length: OWN_VMS }, () => vms.create({ source: { buildId: BUILD_ID }, cpus: 1, memoryMiB: 256 })),
      ),
    ]);

    // Each starter's own view of what it made.
    const expectedBuilds = new Map<string, string>();
    for (const [i, result] of cliBuilds.entries()) {
      expect(result.code, result.stderr).toBe(0);
      const record = finalRecord<DiskBuildRecord>(result.stdout);
      expectedBuilds.set(record.id, join(root, `cli-${i}`));
    }
    for (const [i, record] of ownBuilds.entries()) {
      expect(record.status, record.error).toBe('succeeded');
      expectedBuilds.set(record.id, join(root, `own-${i}`));
    }
    const expectedVms = new Map<string, string>([
      ...childVms.map(vm => [vm.id, vm.name] as [string, string]),
      ...ownVms.map(vm => [vm.id, vm.name] as [string, string]),
    ]);
    expect(expectedBuilds.size).toBe(CLI_BUILDS + OWN_BUILDS);
    expect(expectedVms.size).toBe(CHILD_VMS + OWN_VMS);

    // The store, read afresh: all of them, whole, each with what its starter asked.
    const audit = await auditStore(store);
    expect(audit.damaged).toEqual([]);
    expect(audit.tempFiles).toEqual([]);
    const fresh = new DiskBuildService({ engine, storeDir: store, warn: () => undefined });
    const { records, problems } = await fresh.listWithProblems();
    expect(problems).toEqual([]);
    for (const [id, output] of expectedBuilds) {
      const record = records.find(candidate => candidate.id === id);
      expect(record, `build ${id}`).toBeDefined();
      expect(record?.status).toBe('succeeded');
      expect(record?.request.outputDir).toBe(output);
    }
    const listed = await new VmService({
      storeDir: store,
      jobs: new JobRegistry(),
      buildDisk: buildDiskFinder(new BuildStore(store)),
    }).list();
    expect(listed.problems).toEqual([]);
    for (const [id, name] of expectedVms) {
      expect(listed.vms.find(vm => vm.id === id)?.name, `VM ${id}`).toBe(name);
    }
    const names = listed.vms.map(vm => vm.name);
    expect(new Set(names).size, `VM names: ${names.join(', ')}`).toBe(names.length);

    addCount(
      SPEC,
      'concurrent record writes kept',
      expectedBuilds.size + expectedVms.size,
      `${CLI_BUILDS} CLI + ${OWN_BUILDS} in-process builds, ${CHILD_VMS} + ${OWN_VMS} VMs from two processes, at once`,
    );
    await builds.dispose();
    vms.dispose();
  }, 240_000);
});
