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
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { DiskBuildRequest } from '../../src/api/disk-build';
import type { BuildableImage, DiskBuildPreview, DiskBuildRecord } from '../../src/api/disk-builds';
import type { Job, JobLogChunk } from '../../src/api/jobs';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import type { RpcMessage } from '../../src/api/rpc-protocol';
import { BUILD_ID_LABEL } from '../../src/builds/builder-plan';
import { unixEndpoint } from '../../src/engine/engine-endpoint';
import { engineIdFor } from '../../src/engine/socket/podman-socket';
import type { HostEvent, HostTask, HostUi } from '../../src/standalone/host-ui';
import type { StandaloneConfiguration } from '../../src/standalone/standalone-configuration';
import { startExtension, waitFor, type ExtensionDriver } from './support/extension-driver';
import { createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import {
  createBootcTestImage,
  createStandInBuilder,
  STAND_IN_BUILDER,
  standInVariant,
} from './support/stand-in-builder';

const IMAGE = 'localhost/test-bootc:1';
const SLOW = 'localhost/stand-in-slow:latest';

describe('disk builds through the built extension on Podman Desktop’s API (standalone)', () => {
  let podman: PodmanService;
  let driver: ExtensionDriver;
  let posted: RpcMessage[];
  let hostEvents: HostEvent[];
  let opened: string[];
  let ui: HostUi;
  let configuration: StandaloneConfiguration;
  const call = <T>(method: string, ...args: unknown[]): Promise<T> => driver.call<T>(method, ...args);
  const tasks = (): HostTask[] => driver.tasks();

  async function ended(id: string): Promise<DiskBuildRecord> {
    return waitFor(async () => {
      const record = (await call<Job<DiskBuildRecord>>('getJob', id)).detail;
      return ['succeeded', 'failed', 'cancelled', 'lost'].includes(record.status) ? record : undefined;
    });
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
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await createBootcTestImage(podman, IMAGE);
    await createStandInBuilder(podman);
    await standInVariant(podman, SLOW, { STANDIN_STEP_SECONDS: '0.3', STANDIN_STAGES: '5' });

    driver = await startExtension(podman);
    ({ posted, hostEvents, opened, ui, configuration } = driver);
  });

  afterAll(async () => {
    driver?.stop();
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
    const job = (await call<Job[]>('listJobs', 'disk-build')).find(candidate => candidate.id === id);
    expect(job).toMatchObject({ kind: 'disk-build', subject: id, status: 'succeeded' });
    expect(posted.some(m => m.kind === 'rpc-push' && m.channel === PUSH_CHANNELS.jobsChanged)).toBe(true);

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
    // The qcow2 is on this machine: the end offers to boot it too.
    expect(toast.toast.actions).toEqual(['Launch VM', 'Open folder']);
    await ui.handle({ type: 'toast-action', id: toast.toast.id, action: 'Open folder' }, () => undefined);
    await waitFor(() => opened.find(url => url === `file://${out}`));

    let text = '';
    let from = 0;
    for (;;) {
      const chunk = await call<JobLogChunk>('readJobLog', id, from);
      if (chunk.lines.length === 0) break;
      text += `${chunk.lines.join('\n')}\n`;
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
    await waitFor(async () => ((await call<Job>('getJob', id)).percent ?? 0) > 0 || undefined);
    await call('cancelJob', id);
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
