import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import { overrideModuleLoad } from '../../src/standalone/module-loader';
import { createRecordingApi } from './recording-host';

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Loads the BUILT bundle (`npm run build` first) exactly as Podman Desktop does, and activates it. */
describe('dist/extension.js loaded the way Podman Desktop loads it', () => {
  const recording = createRecordingApi(root);
  const subscriptions: { dispose(): unknown }[] = [];
  let extension: { activate(ctx: unknown): Promise<void>; deactivate?(): Promise<void> | void };
  let restore: () => void;
  let loadMs = 0;

  beforeAll(async () => {
    const main = join(root, manifest.main);
    if (!existsSync(main)) throw new Error(`${manifest.main} is missing: run \`npm run build\` first`);
    restore = overrideModuleLoad(root, recording.api);
    const start = performance.now();
    const requireFromRoot = createRequire(main);
    delete requireFromRoot.cache[main];
    extension = requireFromRoot(main);
    await extension.activate({
      subscriptions,
      storagePath: join(root, 'tests/artifacts/storage'),
      extensionUri: recording.api.Uri.file(root),
      secrets: {},
    });
    loadMs = performance.now() - start;
    console.log(`require + activate of ${manifest.main}: ${loadMs.toFixed(1)} ms`);
  });

  afterAll(() => restore?.());

  test('the manifest has what Podman Desktop requires', () => {
    for (const field of ['name', 'displayName', 'version', 'publisher', 'description'])
      expect(manifest[field]).toBeTruthy();
    expect(manifest.engines['podman-desktop']).toMatch(/^>=\d+\.\d+\.\d+$/);
    expect(manifest.type).toBeUndefined();
    expect(existsSync(join(root, manifest.icon))).toBe(true);
  });

  test('the bundle is CommonJS and leaves @podman-desktop/api to the host', () => {
    const code = readFileSync(join(root, manifest.main), 'utf8');
    expect(code).toContain('require("@podman-desktop/api")');
    expect(code).not.toMatch(/^import /m);
  });

  test('activation creates the "Bootable Containers" webview whose every asset resolves', () => {
    expect(recording.panels).toHaveLength(1);
    const [panel] = recording.panels;
    expect(panel.title).toBe('Bootable Containers');
    const urls = [...panel.html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map(match => match[1]);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) {
      const parsed = new URL(url);
      expect(parsed.host).toBe(recording.host);
      const file = join(root, decodeURIComponent(parsed.pathname));
      expect(existsSync(file), `${url} → ${file}`).toBe(true);
    }
  });

  test('every contributed command is registered, including each menu entry', () => {
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command);
    const menus = Object.values(manifest.contributes.menus as Record<string, { command: string }[]>).flatMap(items =>
      items.map(item => item.command),
    );
    expect(menus.length).toBeGreaterThan(0);
    for (const id of new Set([...contributed, ...menus])) expect(recording.commands.has(id), id).toBe(true);
  });

  test('the context-menu command leaves a deep link the page pulls, and reveals the webview', async () => {
    const [panel] = recording.panels;
    await recording.commands.get('bootc-studio.build-disk-image')!({
      id: 'sha256:1',
      name: 'quay.io/fedora/fedora-bootc',
      tag: '42',
      engineId: 'podman.podman',
    });
    expect(panel.reveals).toBe(1);
    expect(panel.posted).toContainEqual({ kind: 'rpc-push', channel: PUSH_CHANNELS.routePending, body: undefined });

    panel.listeners.forEach(listener => listener({ kind: 'rpc-request', id: 7, method: 'takePendingRoute', args: [] }));
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(panel.posted).toContainEqual({
      kind: 'rpc-response',
      id: 7,
      ok: true,
      result: '/disk-images/build?image=quay.io%2Ffedora%2Ffedora-bootc%3A42&engine=podman.podman',
    });
  });

  test('deactivation and the subscriptions release the commands, listeners and the panel', async () => {
    await extension.deactivate?.();
    for (const subscription of subscriptions) subscription.dispose();
    expect(recording.commands.size).toBe(0);
    expect(recording.disposed).toEqual(
      expect.arrayContaining([
        'panel:bootc-studio',
        'containerEngine.onEvent',
        'provider.onDidUpdateContainerConnection',
        'factory:bootc-studio-vms',
        'provider:bootc-studio-vms',
      ]),
    );
    expect(recording.providers).toEqual([
      expect.objectContaining({ id: 'bootc-studio-vms', name: 'Bootc Studio VMs' }),
    ]);
    const [panel] = recording.panels;
    expect(panel.listeners.size).toBe(0);
  });
});
