/**
 * The image methods of the webview contract: every argument checked (the field named, nothing
 * started), delegation to the core, the dialogs, and the examples' Containerfiles written safely.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import { DiskBuildService } from '../../../src/builds/disk-build-service';
import { ImageOperations } from '../../../src/images/image-operations';
import { RouteRegistry } from '../../../src/rpc/route-registry';
import { createStudioApi } from '../../../src/rpc/studio-api';
import { buildDiskFinder } from '../../../src/vms/vm-build-disk';
import { VmService } from '../../../src/vms/vm-service';
import { FakeEngine } from '../support/fake-engine';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-api-images-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function api(folder?: string) {
  const engine = new FakeEngine();
  const operations = new ImageOperations();
  const imagesChanged = vi.fn();
  const selectFolder = vi.fn(async () => folder);
  const builds = new DiskBuildService({ engine, storeDir: join(dir, 'store') });
  const studio = createStudioApi({
    engine,
    routes: new RouteRegistry(),
    operations,
    jobs: operations.jobs,
    builds,
    vms: new VmService({
      storeDir: join(dir, 'store'),
      jobs: operations.jobs,
      buildDisk: buildDiskFinder(builds.store),
    }),
    dialogs: { selectFolder, selectFile: async () => undefined, saveFile: async () => undefined },
    openExternal: async () => true,
    openFolder: async () => true,
    imagesChanged,
  });
  return { studio, engine, operations, imagesChanged, selectFolder };
}

describe('StudioApi image methods', () => {
  test('buildImage answers with a job id at once; listJobs (the operation as detail) and the log follow it', async () => {
    const context = join(dir, 'build');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM quay.io/fedora/fedora-bootc:42\n');
    const { studio, operations } = api();
    const id = await studio.buildImage({
      contextDir: context,
      tag: 'quay.io/me/os:1',
      platforms: ['linux/amd64'],
      buildArgs: {},
      noCache: false,
      pull: false,
    });
    const listed = await studio.listJobs();
    expect(listed.map(job => [job.id, job.kind, job.subject])).toEqual([[id, 'image-build', 'quay.io/me/os:1']]);
    expect(listed[0].detail).toMatchObject({ id, kind: 'build', ref: 'quay.io/me/os:1', status: 'running' });
    expect(await studio.listJobs('image-push')).toEqual([]);
    await operations.wait(id);
    expect((await studio.getJob(id)).detail).toMatchObject({ id, status: 'succeeded' });
    const log = await studio.readJobLog(id, 0);
    expect(log.lines).toContain('STEP 1/1: FROM quay.io/fedora/fedora-bootc:42');
    expect(await studio.readJobLog(id, log.next)).toEqual({ lines: [], next: log.next });
  });

  test('bad arguments are refused naming the argument, before anything is done', async () => {
    const { studio, engine } = api();
    await expect(studio.buildImage({ contextDir: '' })).rejects.toThrow(/^contextDir: choose the folder/);
    await expect(
      studio.pushImage({ ref: 'quay.io/me/os:1', credentials: { username: '', password: 'x' } }),
    ).rejects.toThrow(/^credentials\.username: a user name is required/);
    await expect(studio.pullImage({})).rejects.toThrow(/^ref: /);
    await expect(studio.cancelJob('')).rejects.toThrow(/^jobId: is required/);
    await expect(studio.cancelJob('unknown')).rejects.toThrow(/^jobId: no job "unknown"/);
    await expect(studio.getJob('unknown')).rejects.toMatchObject({ code: 'not-found' });
    await expect(studio.readJobLog('x', -1)).rejects.toThrow(/^from: is 0 or more/);
    await expect(studio.readJobLog('x', 1.5)).rejects.toThrow(/^from: is a whole number/);
    await expect(studio.listJobs(42)).rejects.toThrow(/^kind: /);
    await expect(studio.tagImage('e', 'sha256:abc', 'Not A Ref')).rejects.toThrow(/^target: not an image reference/);
    await expect(studio.tagImage('e', 'sha256:abc', `quay.io/me/os@sha256:${'a'.repeat(64)}`)).rejects.toThrow(
      /^target: a tag cannot be a digest reference/,
    );
    await expect(studio.tagImage('', 'sha256:abc', 'quay.io/me/os:1')).rejects.toThrow(/^engineId: is required/);
    await expect(studio.deleteImage('e', 42)).rejects.toThrow(/^imageId: /);
    await expect(studio.detectContainerfile('relative')).rejects.toThrow(/^contextDir: must be an absolute path/);
    await expect(studio.selectFolder('')).rejects.toThrow(/^title: is required/);
    await expect(studio.selectFolder('Pick', 'relative')).rejects.toThrow(/^defaultPath: must be an absolute path/);
    expect(engine.started()).toEqual([]);
  });

  test('tagImage and deleteImage go to the engine and say the images changed', async () => {
    const { studio, engine, imagesChanged } = api();
    const id = 'sha256:abcdef0123456789';
    const repoTags = ['quay.io/me/os:1', 'quay.io/me/os:2'];
    engine.listImages = async () => [
      { id, engineId: 'e', engineName: 'E', repoTags, repoDigests: [], labels: {}, size: 1, created: 1 },
    ];
    await studio.tagImage('e', id, 'quay.io/me/os:2');
    expect(await studio.deleteImage('e', 'quay.io/me/os:2', repoTags)).toMatchObject({ removesImage: false });
    expect(await studio.deleteImage('e', id)).toMatchObject({ removesImage: true, untag: repoTags });
    expect(engine.calls).toEqual([
      { method: 'tagImage', args: ['e', id, 'quay.io/me/os:2'] },
      { method: 'untagImage', args: ['e', 'quay.io/me/os:2'] },
      { method: 'deleteImage', args: ['e', id] },
    ]);
    expect(imagesChanged).toHaveBeenCalledTimes(3);
    await expect(studio.deleteImage('e', id, 'quay.io/me/os:1')).rejects.toThrow(/^shownTags: /);
  });

  test('cancelJob stops a running operation', async () => {
    const { studio, engine, operations } = api();
    engine.images.set('quay.io/me/os:1', {});
    engine.onPush = (_ref, options) =>
      new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(new Error('stopped'))));
    const id = await studio.pushImage({ ref: 'quay.io/me/os:1' });
    await studio.cancelJob(id);
    expect((await operations.wait(id)).status).toBe('cancelled');
  });

  test('detectContainerfile prefers Containerfile, then Dockerfile', async () => {
    const { studio } = api();
    const both = join(dir, 'both');
    mkdirSync(both);
    writeFileSync(join(both, 'Dockerfile'), 'FROM x\n');
    expect(await studio.detectContainerfile(both)).toBe('Dockerfile');
    writeFileSync(join(both, 'Containerfile'), 'FROM x\n');
    expect(await studio.detectContainerfile(both)).toBe('Containerfile');
    // A path that is no folder is refused naming the field, not answered with "no Containerfile".
    await expect(studio.detectContainerfile(join(dir, 'nothing-here'))).rejects.toThrow(
      /^contextDir: .* is not a folder/,
    );
  });

  test('selectFolder is the host dialog', async () => {
    const { studio, selectFolder } = api('/home/me/os');
    expect(await studio.selectFolder('Choose the build context', '/home/me')).toBe('/home/me/os');
    expect(selectFolder).toHaveBeenCalledWith('Choose the build context', '/home/me');
  });

  test('the examples ship with the extension; an example’s Containerfile is saved into the folder picked, never over one', async () => {
    const target = join(dir, 'httpd');
    mkdirSync(target);
    const { studio } = api(target);
    const examples = await studio.listExamples();
    const httpd = examples.find(example => example.id === 'fedora-bootc-httpd')!;
    const path = await studio.saveExampleContainerfile('fedora-bootc-httpd');
    expect(path).toBe(join(target, 'Containerfile'));
    expect(readFileSync(path!, 'utf8')).toBe(httpd.containerfile);
    await expect(studio.saveExampleContainerfile('fedora-bootc-httpd')).rejects.toThrow(/already has a Containerfile/);
    await expect(studio.saveExampleContainerfile('fedora-bootc-42')).rejects.toThrow(
      /^exampleId: .* has no Containerfile/,
    );
    await expect(studio.saveExampleContainerfile('nope')).rejects.toThrow(/^exampleId: no example "nope"/);

    const cancelled = api(undefined);
    expect(await cancelled.studio.saveExampleContainerfile('fedora-bootc-httpd')).toBeUndefined();
    expect(existsSync(join(dir, 'Containerfile'))).toBe(false);
  });
});
