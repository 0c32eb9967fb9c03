/**
 * Disk builds through the built extension (dist/extension.js) loaded the way standalone mode loads
 * it: Podman Desktop's API over a real podman, so the PD adapter of the engine port runs the
 * stand-in builder (createContainer with start:false and a TTY, logsContainer, wait by polling, the
 * graph root read from the connection's socket). Asked for through the webview bridge: an id at
 * once, `diskBuildsChanged` pushes, a host task with the real percentage, a notification with
 * "Open folder", the log readable from an offset; cancel through the bridge; the time limit from
 * the `bootc-studio.build.timeout` preference.
 */

import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../src/api/disk-build';
import type { BuildableImage, DiskBuildPreview, DiskBuildRecord } from '../../src/api/disk-builds';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import type { RpcMessage, RpcResponse } from '../../src/api/rpc-protocol';
import { BUILD_ID_LABEL } from '../../src/builds/builder-plan';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { engineIdFor } from '../../src/engine/podman-socket';
import type { HostEvent, HostTask } from '../../src/standalone/host-ui';
import { HostUi } from '../../src/standalone/host-ui';
import { overrideModuleLoad } from '../../src/standalone/module-loader';
import { PdUri } from '../../src/standalone/pd-uri';
import { createStandaloneApi } from '../../src/standalone/standalone-api';
import { StandaloneConfiguration } from '../../src/standalone/standalone-configuration';
import type { StandaloneContainerEngine } from '../../src/standalone/standalone-container-engine';
import {
  containerConnectionFor,
  createStandaloneContainerEngine,
} from '../../src/standalone/standalone-container-engine';
import type { StandalonePanel } from '../../src/standalone/webview-host';
import { WebviewRegistry } from '../../src/standalone/webview-host';
import { createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  standInVariant,
} from './support/stand-in-builder';

const ROOT = resolve(__dirname, '../..');
const IMAGE = 'localhost/test-bootc:1';
const SLOW = 'localhost/stand-in-slow:latest';
const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
};

describe('disk builds through the built extension on Podman Desktop’s API (standalone)', () => {
  let podman: PodmanService;
  let engine: StandaloneContainerEngine;
  let panel: StandalonePanel;
  let restore: () => void;
  let configuration: StandaloneConfiguration;
  const subscriptions: { dispose(): unknown }[] = [];
  const posted: RpcMessage[] = [];
  const hostEvents: HostEvent[] = [];
  const opened: string[] = [];
  let ui: HostUi;
  let nextId = 1;

  function call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = nextId++;
    panel.receive({ kind: 'rpc-request', id, method, args });
    return waitFor(() => posted.find((m): m is RpcResponse => m.kind === 'rpc-response' && m.id === id)).then(
      response => {
        if (!response.ok) throw new Error(response.error);
        return response.result as T;
      },
    );
  }

  async function ended(id: string): Promise<DiskBuildRecord> {
    return waitFor(async () => {
      const record = await call<DiskBuildRecord>('getDiskBuild', id);
      return ['succeeded', 'failed', 'cancelled', 'lost'].includes(record.status) ? record : undefined;
    });
  }

  function tasks(): HostTask[] {
    return hostEvents.filter((e): e is Extract<HostEvent, { type: 'task' }> => e.type === 'task').map(e => e.task);
  }

  function request(outputDir: string, overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
    return {
      image: IMAGE,
      outputDir,
      types: ['qcow2', 'gce'],
      arch: 'amd64',
      builder: { image: STAND_IN_BUILDER },
      config: {
        users: [{ name: 'demo', password: 'bridge-secret-1', groups: ['wheel'] }],
        groups: [],
        kernelArgs: [],
        filesystems: [],
      },
      ...overrides,
    };
  }

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/extension.js')))
      throw new Error('dist/extension.js is missing: run `npm run build` first');
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInVariant(podman, SLOW, { STANDIN_STEP_SECONDS: '0.3', STANDIN_STAGES: '5' });

    const endpoint = unixEndpoint(podman.socketPath);
    engine = createStandaloneContainerEngine({ endpoint, engineId: engineIdFor(endpoint), engineName: 'podman' });
    ui = new HostUi();
    ui.attach(event => hostEvents.push(event));
    const webviews = new WebviewRegistry({
      origin: () => 'http://127.0.0.1:1',
      extensionRoot: ROOT,
      changed: () => undefined,
    });
    configuration = new StandaloneConfiguration(
      join(podman.dir, 'settings.json'),
      manifest.contributes.configuration.properties,
    );
    const { api } = createStandaloneApi({
      ui,
      webviews,
      containerEngine: engine,
      connections: [containerConnectionFor({ endpoint, engineName: 'podman' })],
      configuration,
      openExternal: async url => {
        opened.push(url);
        return true;
      },
    });
    restore = overrideModuleLoad(ROOT, api);
    const main = join(ROOT, 'dist/extension.js');
    const requireFromRoot = createRequire(main);
    delete requireFromRoot.cache[main];
    const extension = requireFromRoot(main) as { activate(context: unknown): Promise<void> };
    await extension.activate({
      subscriptions,
      storagePath: join(podman.dir, 'store'),
      extensionUri: PdUri.file(ROOT),
      secrets: {},
    });
    panel = webviews.all()[0];
    panel.connections.add({ send: message => posted.push(message as RpcMessage), reload: () => undefined });
  });

  afterAll(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.dispose();
    restore?.();
    engine?.dispose();
    await podman?.stop();
  });

  test('describe and preview: the image choices, the exact command with the real graph root, passwords masked', async () => {
    const engineId = engineIdFor(unixEndpoint(podman.socketPath));
    const image = await call<BuildableImage>('describeImageForBuild', engineId, IMAGE);
    expect(image.architectures).toEqual(['amd64']);
    expect(image.labels['containers.bootc']).toBe('1');
    const preview = await call<DiskBuildPreview>('previewDiskBuild', request('/tmp/out'));
    expect(preview.command).toContain(`-v ${podman.root}:/var/lib/containers/storage`);
    expect(preview.configToml).toContain('password = "********"');
    expect(JSON.stringify(preview)).not.toContain('bridge-secret-1');
  });

  test('the builder preference is what a new form starts with (the manifest’s default first)', async () => {
    expect(await call('getBuildDefaults')).toEqual({ builder: 'centos' });
    await configuration.getConfiguration('bootc-studio').update('build.builder', 'rhel9');
    expect(await call('getBuildDefaults')).toEqual({ builder: 'rhel9' });
    await configuration.getConfiguration('bootc-studio').update('build.builder', 'centos');
  });

  test('a build: id at once, pushes, a host task with percentages, "Open folder", the log from offsets', async () => {
    const out = join(podman.dir, 'out');
    await mkdir(out);
    const id = await call<string>('startDiskBuild', request(out));
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const record = await ended(id);
    expect(record.status, record.error).toBe('succeeded');
    expect(record.artifacts.map(artifact => [artifact.type, artifact.path])).toEqual([
      ['qcow2', join(out, 'qcow2/disk.qcow2')],
      ['gce', join(out, 'gce/image.tar.gz')],
    ]);
    expect(record.artifacts.every(artifact => (artifact.size ?? 0) > 4096)).toBe(true);
    expect((await call<DiskBuildRecord[]>('listDiskBuilds')).map(build => build.id)).toContain(id);
    expect(posted.some(m => m.kind === 'rpc-push' && m.channel === PUSH_CHANNELS.diskBuildsChanged)).toBe(true);

    const task = await waitFor(() =>
      tasks().find(t => t.title.startsWith('Building disk image') && t.state !== 'running'),
    );
    expect(task.state).toBe('succeeded');
    const percents = tasks()
      .map(t => t.percent)
      .filter((p): p is number => p !== undefined);
    expect(percents.some(p => p > 0 && p < 100)).toBe(true);

    const toast = await waitFor(() =>
      hostEvents
        .filter((e): e is Extract<HostEvent, { type: 'toast' }> => e.type === 'toast')
        .find(e => e.toast.message.startsWith('Disk image of localhost/test-bootc:1 built')),
    );
    expect(toast.toast.actions).toEqual(['Open folder']);
    await ui.handle({ type: 'toast-action', id: toast.toast.id, action: 'Open folder' }, () => undefined);
    await waitFor(() => opened.find(url => url === `file://${out}`));

    let text = '';
    let from = 0;
    for (;;) {
      const chunk = await call<{ text: string; next: number }>('readDiskBuildLog', id, from);
      if (!chunk.text) break;
      text += chunk.text;
      from = chunk.next;
    }
    expect(text).toContain('Build complete!');
    // The PD adapter runs the builder with a TTY: its \r\n line ends are made plain.
    expect(text).not.toContain('\r');
    expect(text).not.toContain('bridge-secret-1');
    expect(text).not.toContain('$6$');
  });

  test('cancel through the bridge; the time limit from the preference', async () => {
    const out = join(podman.dir, 'cancel');
    await mkdir(out);
    const id = await call<string>('startDiskBuild', request(out, { builder: { image: SLOW } }));
    await waitFor(async () => ((await call<DiskBuildRecord>('getDiskBuild', id)).percent ?? 0) > 0 || undefined);
    await call('cancelDiskBuild', id);
    const cancelled = await ended(id);
    expect(cancelled.status).toBe('cancelled');
    expect(existsSync(join(out, 'qcow2'))).toBe(false);

    await configuration.getConfiguration('bootc-studio').update('build.timeout', 0.05);
    const slow = join(podman.dir, 'slow');
    await mkdir(slow);
    const timed = await ended(await call<string>('startDiskBuild', request(slow, { builder: { image: SLOW } })));
    expect(timed.status).toBe('failed');
    expect(timed.error).toBe('timed out after 3 seconds');
    const { stdout } = await podman.podman(['ps', '-a', '--filter', `label=${BUILD_ID_LABEL}`, '--format', '{{.ID}}']);
    expect(stdout.trim()).toBe('');
  });
});

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise(done => setTimeout(done, 50));
  }
}
