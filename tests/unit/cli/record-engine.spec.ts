/**
 * `bootc-studio disk show` of a build whose engine moved or is gone (issue 8, item 3): an old
 * socket-path id of the local podman shows the engine as it is named now; a gone engine is said
 * so, with the engines that run.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, expect, test } from 'vitest';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { BuildStore } from '../../../src/builds/build-store';
import { diskShowCommand } from '../../../src/cli/commands/disk-show';
import { runCli } from '../../../src/cli/run';
import type { EngineInfo } from '../../../src/engine/container-engine';
import { FakeEngine } from '../support/fake-engine';

const LOCAL: EngineInfo = {
  id: 'podman:rootful@box:/var/lib/containers/storage',
  name: 'podman (rootful)',
  type: 'podman',
  rootful: true,
  graphRoot: '/var/lib/containers/storage',
  remote: false,
};

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-record-engine-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(id: string, engineId: string, remote: boolean): DiskBuildRecord {
  return {
    id,
    request: {
      image: 'localhost/os:1',
      outputDir: join(dir, 'out'),
      types: ['qcow2'],
      arch: 'amd64',
      engineId,
      builder: { image: 'quay.io/centos-bootc/bootc-image-builder:latest' },
      config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
    },
    status: 'succeeded',
    created: 1,
    ended: 2,
    engineId,
    engineName: 'podman (rootful)',
    remote,
    builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
    artifacts: [],
    logPath: join(dir, 'out', 'image-build.log'),
  };
}

async function show(id: string, json = false): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const engine = new (class extends FakeEngine {
    override async listEngines() {
      return [LOCAL];
    }
  })();
  const code = await runCli(
    ['disk', 'show', id, '--store', join(dir, 'store'), ...(json ? ['--json'] : [])],
    {
      stdout: { write: (text: string) => (stdout += text), columns: 100 },
      stderr: { write: () => undefined },
      env: { HOME: dir },
      cwd: dir,
      onInterrupt: () => () => undefined,
    },
    { commands: [diskShowCommand], version: '0.0.0', connect: async () => engine },
  );
  return { code, stdout };
}

test('an old socket-path id reads as the engine it is now; a gone engine is named with the running ones', async () => {
  const store = new BuildStore(join(dir, 'store'));
  await store.write(record('0000000000aa', 'podman:/tmp/bootc-studio-service-OLD/podman.sock', false));
  await store.write(record('0000000000bb', 'podman:ssh://core@gone:22/run/podman/podman.sock', true));

  const moved = await show('0000000000aa', true);
  expect(moved.code).toBe(0);
  expect(JSON.parse(moved.stdout).engineId).toBe(LOCAL.id);
  expect((await show('0000000000aa')).stdout).not.toContain('not running');

  const gone = await show('0000000000bb');
  expect(gone.code).toBe(0);
  expect(gone.stdout).toContain(
    `the engine podman:ssh://core@gone:22/run/podman/podman.sock is not running; choose one that is: podman (rootful) (${LOCAL.id})`,
  );
});
