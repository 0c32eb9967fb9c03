/**
 * The built extension (dist/extension.js) loaded the way standalone mode loads it, over a real
 * podman and a real htpasswd registry: image operations asked for through the webview bridge
 * answer with a job id at once, push `jobsChanged` and `imagesChanged`, run as host tasks
 * and end with a notification; a bad request is refused naming the field; a password sent with a
 * push reaches no message the page or the host sees.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { ImageOperation } from '../../src/api/image-operations';
import type { Job, JobLogChunk } from '../../src/api/jobs';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import type { RpcMessage } from '../../src/api/rpc-protocol';
import type { HostEvent } from '../../src/standalone/host-ui';
import { startExtension, waitFor, type ExtensionDriver } from './support/extension-driver';
import { BUSYBOX_BASE, createBusyboxBase, machineArch } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import type { LocalRegistry } from './support/registry';
import { startRegistry } from './support/registry';
const PASSWORD = 'extension-pa55-not-to-be-seen';

describe('the built extension runs image operations through the webview bridge', () => {
  let podman: PodmanService;
  let registry: LocalRegistry;
  let driver: ExtensionDriver;
  let posted: RpcMessage[];
  let hostEvents: HostEvent[];
  const call = <T>(method: string, ...args: unknown[]): Promise<T> => driver.call<T>(method, ...args);

  async function finished(id: string): Promise<ImageOperation> {
    return waitFor(async () => {
      const operation = (await call<Job<ImageOperation>[]>('listJobs')).find(job => job.id === id)?.detail;
      return operation && operation.status !== 'running' ? operation : undefined;
    });
  }

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { username: 'tester', password: PASSWORD } });
    podman = await startPodmanService();
    await createBusyboxBase(podman);

    driver = await startExtension(podman);
    ({ posted, hostEvents } = driver);
  });

  afterAll(async () => {
    driver?.stop();
    await Promise.all([podman?.stop(), registry?.stop()]);
  });

  test('a build: id at once, pushes, a host task that reaches succeeded, a notification, the image listed', async () => {
    const context = join(podman.dir, 'os');
    await mkdir(context, { recursive: true });
    await writeFile(
      join(context, 'Containerfile'),
      `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nRUN echo from-the-bridge\n`,
    );
    const tag = `${registry.url}/ext/os:1`;
    const id = await call<string>('buildImage', {
      contextDir: context,
      tag,
      platforms: [`linux/${machineArch()}`],
      buildArgs: {},
      noCache: false,
      pull: false,
    });
    const done = await finished(id);
    expect(done).toMatchObject({ kind: 'build', status: 'succeeded', warnings: [] });
    const log = await call<JobLogChunk>('readJobLog', id, 0);
    expect(log.lines).toContain('from-the-bridge');

    const channels = posted.filter(m => m.kind === 'rpc-push').map(m => (m as { channel: string }).channel);
    expect(channels).toContain(PUSH_CHANNELS.jobsChanged);
    await waitFor(() =>
      posted.some(m => m.kind === 'rpc-push' && m.channel === PUSH_CHANNELS.imagesChanged) ? true : undefined,
    );
    const images = await call<{ ref: string }[]>('listBootcImages');
    expect(images.map(image => image.ref)).toContain(tag);

    const task = await waitFor(() =>
      hostEvents
        .filter((e): e is Extract<HostEvent, { type: 'task' }> => e.type === 'task')
        .map(e => e.task)
        .find(t => t.title === `Building ${tag}` && t.state !== 'running'),
    );
    expect(task.state).toBe('succeeded');
    await waitFor(() =>
      hostEvents.find(e => e.type === 'toast' && e.toast.title === 'Image built' && e.toast.message.includes(tag)),
    );
  });

  test('bad requests are refused naming the field; nothing is started', async () => {
    const before = (await call<Job[]>('listJobs')).length;
    await expect(
      call('buildImage', {
        contextDir: '/',
        tag: 'NOT A TAG',
        platforms: [],
        buildArgs: {},
        noCache: false,
        pull: false,
      }),
    ).rejects.toThrow(/tag: not an image reference.*platforms: choose at least one platform/);
    await expect(
      call('pushImage', { ref: `${registry.url}/ext/os:1`, credentials: { username: 'tester' } }),
    ).rejects.toThrow(/^credentials\.password: /);
    expect((await call<Job[]>('listJobs')).length).toBe(before);
  });

  test('a push with credentials ends when the registry has the image, as a host task; the password is nowhere', async () => {
    const ref = `${registry.url}/ext/os:1`;
    const refused = await finished(await call<string>('pushImage', { ref }));
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/requires authentication/);

    const id = await call<string>('pushImage', { ref, credentials: { username: 'tester', password: PASSWORD } });
    const done = await finished(id);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.percent).toBe(100);
    expect(await registry.tags('ext/os')).toEqual(['1']);
    expect(done.message).toBe(`Pushed ${ref} (${await registry.manifestDigest('ext/os', '1')})`);

    const task = await waitFor(() =>
      hostEvents
        .filter((e): e is Extract<HostEvent, { type: 'task' }> => e.type === 'task')
        .map(e => e.task)
        .filter(t => t.title === `Pushing ${ref}`)
        .find(t => t.state === 'succeeded'),
    );
    expect(task.state).toBe('succeeded');
    const logs = await Promise.all((await call<Job[]>('listJobs')).map(job => call('readJobLog', job.id, 0)));
    expect(JSON.stringify([posted, hostEvents, logs])).not.toContain(PASSWORD);
  });
});
