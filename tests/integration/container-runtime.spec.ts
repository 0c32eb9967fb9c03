/**
 * The container part of the engine port (container-runtime.ts), one contract run against both
 * adapters on a real podman: the podman-socket adapter, and the Podman Desktop adapter over
 * standalone mode's containerEngine (Podman Desktop's semantics on the same podman).
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ContainerEngine } from '../../src/engine/container-engine';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { PodmanDesktopEngine } from '../../src/engine/pd/podman-desktop';
import { engineIdFor, PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import type { StandaloneContainerEngine } from '../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../src/standalone/standalone-container-engine';
import { BUSYBOX_BASE, createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';

let podman: PodmanService;
let standalone: StandaloneContainerEngine;
let engineId: string;
const adapters: Record<string, () => ContainerEngine> = {};

beforeAll(async () => {
  podman = await startPodmanService();
  await createBusyboxBase(podman);
  const endpoint = unixEndpoint(podman.socketPath);
  engineId = engineIdFor(endpoint);
  standalone = createStandaloneContainerEngine({ endpoint, engineId, engineName: 'podman' });
  const connections = [containerConnectionFor({ endpoint, engineName: 'podman' })];
  adapters.socket = () => new PodmanSocketEngine(podman.url);
  adapters['podman-desktop'] = () =>
    new PodmanDesktopEngine(standalone, { getContainerConnections: () => connections });
});

afterAll(async () => {
  standalone?.dispose();
  await podman?.stop();
});

describe.each(['socket', 'podman-desktop'])('the %s adapter runs containers', name => {
  const label = `contract.adapter=${name}`;

  test('engine facts: the graph root and rootful state of the real engine', async () => {
    const [info] = await adapters[name]().listEngines();
    expect(info.graphRoot).toBe(podman.root);
    expect(info.rootful).toBe(process.getuid?.() === 0);
  });

  test('create (not started), start, follow stdout and stderr in order, wait for the exit code', async () => {
    const engine = adapters[name]();
    const id = await engine.createContainer(engineId, {
      name: `contract-${name}`,
      image: BUSYBOX_BASE,
      cmd: ['sh', '-c', 'echo one; echo two >&2; sleep 0.3; echo "três"; exit 7'],
      binds: [`${podman.dir}:/host:ro`],
      volumes: [{ name: `contract-volume-${name}`, target: '/cache' }],
      privileged: true,
      securityOpt: ['label=type:unconfined_t'],
      labels: { 'contract.adapter': name },
    });
    expect((await engine.inspectContainer(engineId, id)).state).toBe('created');
    await engine.startContainer(engineId, id);
    let text = '';
    const logs = engine.followContainerLogs(engineId, id, chunk => (text += chunk));
    expect(await engine.waitContainer(engineId, id)).toBe(7);
    await logs;
    expect(text.replace(/\r\n/g, '\n')).toBe('one\ntwo\ntrês\n');

    const inspected = await engine.inspectContainer(engineId, id);
    expect(inspected).toMatchObject({
      name: `contract-${name}`,
      state: 'exited',
      exitCode: 7,
      labels: { 'contract.adapter': name },
    });
    const listed = await engine.listContainers(engineId, label);
    expect(listed.map(container => container.name)).toEqual([`contract-${name}`]);
    expect(await engine.listContainers(engineId, 'contract.adapter=nobody')).toEqual([]);
    // The named volume was created.
    await podman.podman(['volume', 'exists', `contract-volume-${name}`]);

    await engine.removeContainer(engineId, id);
    expect(await engine.listContainers(engineId, label)).toEqual([]);
    await engine.removeContainer(engineId, id); // already gone: fine
  });

  test('stop ends a running container; following and waiting end with it', async () => {
    const engine = adapters[name]();
    const id = await engine.createContainer(engineId, {
      image: BUSYBOX_BASE,
      cmd: ['sh', '-c', 'trap "echo stopping; exit 143" TERM; echo started; while :; do sleep 0.1; done'],
      binds: [],
      volumes: [],
      privileged: false,
      securityOpt: [],
      labels: { 'contract.adapter': `${name}-stop` },
    });
    await engine.startContainer(engineId, id);
    let text = '';
    const logs = engine.followContainerLogs(engineId, id, chunk => (text += chunk));
    const exit = engine.waitContainer(engineId, id);
    const deadline = Date.now() + 10_000;
    while (!text.includes('started') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
    expect((await engine.inspectContainer(engineId, id)).state).toBe('running');
    await engine.stopContainer(engineId, id, 5);
    expect(await exit).toBe(143);
    await logs;
    expect(text).toContain('stopping');
    await engine.stopContainer(engineId, id, 5); // already stopped: fine
    await engine.removeContainer(engineId, id);
  });

  test('following can be aborted while the container runs', async () => {
    const engine = adapters[name]();
    const id = await engine.createContainer(engineId, {
      image: BUSYBOX_BASE,
      cmd: ['sh', '-c', 'trap "exit 0" TERM; echo hello; while :; do sleep 0.1; done'],
      binds: [],
      volumes: [],
      privileged: false,
      securityOpt: [],
      labels: {},
    });
    await engine.startContainer(engineId, id);
    const abort = new AbortController();
    let text = '';
    const logs = engine.followContainerLogs(engineId, id, chunk => (text += chunk), abort.signal);
    const deadline = Date.now() + 10_000;
    while (!text.includes('hello') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
    abort.abort();
    await logs;
    await engine.removeContainer(engineId, id);
  });
});
