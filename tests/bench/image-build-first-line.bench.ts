/**
 * How soon an image build's log says something after the click: from startBuild() (what the
 * webview's RPC and the CLI call) to the first log line, and to the engine's first step line, on a
 * real podman through both engine adapters (the CLI's podman socket, and Podman Desktop's API as
 * standalone mode stands it in). Figures only: `npm run bench`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, bench, describe } from 'vitest';

import type { ContainerEngine } from '../../src/engine/container-engine';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { PodmanDesktopEngine } from '../../src/engine/pd/podman-desktop';
import { engineIdFor, PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { startBuild } from '../../src/images/image-build';
import { ImageOperations } from '../../src/images/image-operations';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../src/standalone/standalone-container-engine';
import { BUSYBOX_BASE, createBusyboxBase, machineArch } from '../integration/support/images';
import { startPodmanService } from '../integration/support/podman-service';

// Benchmarks run their functions outside the describe hooks, so the service starts at import.
const podman = await startPodmanService();
await createBusyboxBase(podman);
const contextDir = join(podman.dir, 'first-line');
await mkdir(contextDir, { recursive: true });
await writeFile(join(contextDir, 'Containerfile'), `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n`);
for (let i = 0; i < 200; i++) await writeFile(join(contextDir, `file-${i}.txt`), 'x'.repeat(10_000));

const endpoint = unixEndpoint(podman.socketPath);
const standalone = createStandaloneContainerEngine({ endpoint, engineId: engineIdFor(endpoint), engineName: 'podman' });
const connection = containerConnectionFor({ endpoint, engineName: 'podman' });

afterAll(async () => {
  standalone.dispose();
  await podman.stop();
});

/** Builds once; prints ms to the first log line and to the engine's first STEP line. */
async function timeBuild(label: string, engine: ContainerEngine): Promise<void> {
  const operations = new ImageOperations();
  const clicked = performance.now();
  let firstLine: number | undefined;
  let firstStep: number | undefined;
  operations.onDidChange(operation => {
    const now = performance.now();
    if (firstLine === undefined && operation.logLines > 0) firstLine = now - clicked;
    if (firstStep === undefined && operation.message?.startsWith('STEP')) firstStep = now - clicked;
  });
  const id = await startBuild(
    { engine, operations },
    {
      contextDir,
      tag: 'localhost/first-line:1',
      platforms: [`linux/${machineArch()}`],
      buildArgs: {},
      noCache: false,
      pull: false,
    },
  );
  const done = await operations.wait(id);
  operations.dispose();
  if (done.status !== 'succeeded') throw new Error(done.error);
  console.log(
    `${label}: first log line ${firstLine?.toFixed(0)} ms, first STEP ${firstStep?.toFixed(0)} ms, done ${(done.ended! - done.started).toFixed(0)} ms`,
  );
}

describe('image build: time to the first log line', () => {
  bench(
    'podman socket adapter (CLI path), fresh engine each time',
    () => timeBuild('socket', new PodmanSocketEngine(podman.url)),
    { iterations: 5, warmupIterations: 1 },
  );
  bench(
    'Podman Desktop adapter over the standalone API (UI path)',
    () =>
      timeBuild('podman-desktop', new PodmanDesktopEngine(standalone, { getContainerConnections: () => [connection] })),
    { iterations: 5, warmupIterations: 1 },
  );
});
