/**
 * The OCI image Podman Desktop's "Install custom…" takes: built from the repository's own
 * Containerfile with a real podman, then checked the way the installer checks it (the four labels)
 * and for what it copies out of /extension.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';

const root = resolve(__dirname, '../..');

describe('the extension image', () => {
  let podman: PodmanService;
  let unpacked: string;

  beforeAll(async () => {
    for (const built of ['dist/extension.js', 'media/index.html']) {
      if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
    }
    podman = await startPodmanService();
    await podman.podman(['build', '--isolation', 'chroot', '--tag', 'localhost/bootc-studio:test', root]);
    unpacked = await mkdtemp(join(podman.dir, 'unpacked-'));
    const { stdout: container } = await podman.podman(['create', 'localhost/bootc-studio:test', 'none']);
    await podman.podman(['cp', `${container.trim()}:/extension`, unpacked]);
    await podman.podman(['rm', container.trim()]);
  });

  afterAll(async () => {
    if (unpacked) await rm(unpacked, { recursive: true, force: true });
    await podman?.stop();
  });

  test('carries the four labels Podman Desktop requires', async () => {
    const { stdout } = await podman.podman([
      'image',
      'inspect',
      'localhost/bootc-studio:test',
      '--format',
      '{{json .Labels}}',
    ]);
    const labels = JSON.parse(stdout) as Record<string, string>;
    expect(labels['org.opencontainers.image.title']).toBe('Bootc Studio');
    expect(labels['org.opencontainers.image.description']).toBeTruthy();
    expect(labels['org.opencontainers.image.vendor']).toBeTruthy();
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(labels['io.podman-desktop.api.version'].replace(/\s/g, '')).toBe(manifest.engines['podman-desktop']);
  });

  test('/extension holds the manifest, bundles, webview, icon, README and LICENSE — and no node_modules', async () => {
    const extension = join(unpacked, 'extension');
    const entries = (await readdir(extension)).sort();
    expect(entries).toEqual(['LICENSE', 'README.md', 'dist', 'icon.png', 'media', 'package.json']);
    const manifest = JSON.parse(readFileSync(join(extension, 'package.json'), 'utf8'));
    expect(existsSync(join(extension, manifest.main))).toBe(true);
    expect(existsSync(join(extension, 'media', 'index.html'))).toBe(true);
    expect(existsSync(join(extension, 'node_modules'))).toBe(false);
  });
});
