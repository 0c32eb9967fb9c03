/**
 * Records the page benchmarks put in a store, written with the product's own BuildStore (atomic,
 * as the disk-build service writes them): finished builds for the history, and a build "run by
 * another process" (this one, holding its lease) whose log the benchmark writes as a builder would.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { BuildStore, newBuildId } from '../../src/builds/build-store';

function record(store: string, id: string, fields: Partial<DiskBuildRecord>): DiskBuildRecord {
  const outputDir = join(store, 'output', id);
  return {
    id,
    request: {
      image: 'quay.io/bench/os:1',
      types: ['qcow2'],
      arch: 'amd64',
      outputDir,
      config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
    } as unknown as DiskBuildRecord['request'],
    status: 'succeeded',
    created: Date.now(),
    engineId: 'bench',
    engineName: 'bench',
    remote: false,
    builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
    artifacts: [],
    logPath: join(outputDir, 'build.log'),
    ...fields,
  };
}

/** `count` finished builds of `quay.io/bench/os-N:1`, each with a log of `logLines` lines; their ids. */
export async function writeFinishedBuilds(store: string, count: number, logLines = 20): Promise<string[]> {
  const builds = new BuildStore(store);
  const now = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = newBuildId();
    const built = record(store, id, {
      status: i % 10 === 9 ? 'failed' : 'succeeded',
      created: now - i * 60_000,
      started: now - i * 60_000 + 1000,
      ended: now - i * 60_000 + 300_000,
      ...(i % 10 === 9 ? { error: 'the builder exited with 1' } : {}),
    });
    built.request = { ...built.request, image: `quay.io/bench/os-${i}:1` };
    mkdirSync(built.request.outputDir, { recursive: true });
    writeFileSync(built.logPath, Array.from({ length: logLines }, (_, n) => `builder line ${n}\n`).join(''));
    if (built.status === 'succeeded') {
      const path = join(built.request.outputDir, 'qcow2', 'disk.qcow2');
      built.artifacts = [{ type: 'qcow2', path, size: 1 << 30, mtimeMs: now, ino: i + 1, dev: 1 }];
    }
    await builds.write(built);
    ids.push(id);
  }
  return ids;
}

/**
 * A build in the `building` state whose runner is this process (its lease: this pid, renewed by
 * `renew()`); its log file is empty. The standalone backend follows it as it follows a build the CLI runs.
 */
export async function writeRunningBuild(
  store: string,
): Promise<{ id: string; logPath: string; renew(): Promise<void> }> {
  const builds = new BuildStore(store);
  const id = newBuildId();
  const running = record(store, id, { status: 'building', started: Date.now(), message: 'Building' });
  mkdirSync(running.request.outputDir, { recursive: true });
  writeFileSync(running.logPath, '');
  const renew = () => builds.writeLease(id, { pid: process.pid, host: hostname(), heartbeat: Date.now() });
  await renew();
  await builds.write(running);
  return { id, logPath: running.logPath, renew };
}
