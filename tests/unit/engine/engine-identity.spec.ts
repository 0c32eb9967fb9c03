/**
 * Which engine a stored id means (engine-identity.ts), and a disk build record read back after
 * the engine's service moved to another socket (standalone mode's private service does on every run).
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { ValidationError } from '../../../src/api/validation';
import { DiskBuildService } from '../../../src/builds/disk-build-service';
import type { EngineInfo } from '../../../src/engine/container-engine';
import { engineGoneMessage, findEngine, localEngineId } from '../../../src/engine/engine-identity';
import { chooseEngine } from '../../../src/images/engine-choice';
import { FakeEngine } from '../support/fake-engine';

const STORE = '/var/lib/containers/storage';
const LOCAL: EngineInfo = {
  id: localEngineId({ hostname: 'box', graphRoot: STORE, rootful: true })!,
  aliases: ['podman:/tmp/bootc-studio-service-NEW/podman.sock'],
  hostname: 'box',
  name: 'podman (rootful)',
  type: 'podman',
  rootful: true,
  graphRoot: STORE,
  remote: false,
};
const REMOTE: EngineInfo = {
  id: 'podman:ssh://core@vm:22/run/podman/podman.sock',
  name: 'podman (rootful) on vm',
  type: 'podman',
  rootful: true,
  graphRoot: STORE,
  remote: true,
};
const OLD_ID = 'podman:/tmp/bootc-studio-service-OLD/podman.sock';

describe('engine identity', () => {
  test('a local id names host, mode and store, never a socket; none without a store', () => {
    expect(LOCAL.id).toBe('podman:rootful@box:/var/lib/containers/storage');
    expect(localEngineId({ hostname: 'box', graphRoot: '/home/me/s', rootful: false })).toBe(
      'podman:rootless@box:/home/me/s',
    );
    expect(localEngineId({ hostname: 'box' })).toBeUndefined();
  });

  test('findEngine: the id, an alias, the same store under another id, an old socket id of the only local podman', () => {
    expect(findEngine([REMOTE, LOCAL], LOCAL.id)).toBe(LOCAL);
    expect(findEngine([REMOTE, LOCAL], 'podman:/tmp/bootc-studio-service-NEW/podman.sock')).toBe(LOCAL);
    // Podman Desktop names the same engine `podman.podman`: the store says it is the same one.
    const pd = { ...LOCAL, id: 'podman.podman', aliases: undefined };
    expect(findEngine([pd], LOCAL.id)).toBe(pd);
    expect(findEngine([REMOTE, LOCAL], OLD_ID)).toBe(LOCAL);
    expect(findEngine([REMOTE, LOCAL], REMOTE.id)).toBe(REMOTE);
  });

  test('findEngine: another store, another mode, a remote engine or two local ones are not guessed', () => {
    expect(findEngine([LOCAL], 'podman:rootful@box:/srv/other')).toBeUndefined();
    expect(findEngine([LOCAL], 'podman:rootless@box:/var/lib/containers/storage')).toBeUndefined();
    expect(findEngine([LOCAL], 'podman:rootful@elsewhere:/var/lib/containers/storage')).toBeUndefined();
    expect(findEngine([REMOTE], OLD_ID)).toBeUndefined();
    expect(findEngine([LOCAL, { ...LOCAL, id: 'podman:rootless@box:/home/me/s' }], OLD_ID)).toBeUndefined();
    expect(findEngine([LOCAL], 'podman:ssh://core@gone:22/run/podman/podman.sock')).toBeUndefined();
    // An old socket that is still there serves another podman.
    expect(findEngine([LOCAL], OLD_ID, path => path === '/tmp/bootc-studio-service-OLD/podman.sock')).toBeUndefined();
  });

  test('an engine that is really gone: the message names it and offers the running ones', async () => {
    const engine = new (class extends FakeEngine {
      override async listEngines() {
        return [LOCAL];
      }
    })();
    const gone = REMOTE.id;
    const error = await chooseEngine(engine, gone).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`the engine ${gone} is not running`);
    expect((error as ValidationError).message).toContain(`podman (rootful) (${LOCAL.id})`);
    expect(await chooseEngine(engine, OLD_ID)).toBe(LOCAL);
    expect(engineGoneMessage(gone, [])).toMatch(/no other engine is: start podman first/);
  });
});

describe('a disk build record after its engine moved to another socket', () => {
  let dir: string;
  let builds: DiskBuildService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'engine-identity-'));
    mkdirSync(join(dir, 'out'));
    const engine = new (class extends FakeEngine {
      override async listEngines() {
        return [LOCAL];
      }
    })();
    builds = new DiskBuildService({ engine, storeDir: join(dir, 'store'), warn: () => undefined });
  });

  afterEach(async () => {
    await builds.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  function record(engineId: string, id: string): DiskBuildRecord {
    return {
      id,
      request: {
        image: 'localhost/os:1',
        outputDir: join(dir, 'out'),
        types: ['qcow2'],
        arch: 'amd64',
        builder: { image: 'quay.io/centos-bootc/bootc-image-builder:latest' },
        engineId,
        config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
      },
      status: 'succeeded',
      created: 1,
      engineId,
      engineName: 'podman (unix:///tmp/bootc-studio-service-OLD/podman.sock)',
      remote: false,
      builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
      artifacts: [],
      logPath: join(dir, 'out', 'image-build.log'),
    };
  }

  test('an old socket-path id reads back as the engine it was: Rebuild gets an engine that runs', async () => {
    await builds.store.write(record(OLD_ID, '00000000000a'));
    const read = await builds.get('00000000000a');
    expect(read.engineId).toBe(LOCAL.id);
    expect(read.request.engineId).toBe(LOCAL.id);
  });

  test("a remote engine's record is left as it is, without asking the engines", async () => {
    await builds.store.write(record(REMOTE.id, '00000000000b'));
    const read = await builds.get('00000000000b');
    expect(read.engineId).toBe(REMOTE.id);
  });
});
