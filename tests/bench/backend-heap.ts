/**
 * The backend's JS heap, in a fresh process run with --expose-gc (figures.ts spawns it): after the
 * extension was loaded and activated the way Podman Desktop does it (activate-once.ts's loader), and
 * after the webview asked it for the Disk Images page's list (`listJobs('disk-build')`, through the
 * panel's message listener, as the page's bridge calls it) with 1 000 builds in the store. Each
 * figure is heapUsed after a full collection; the extension's share is that less what the process
 * held before it was loaded (this benchmark's own Vite module runner).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { RpcResponse } from '../../src/api/rpc-protocol';
import { overrideModuleLoad } from '../../src/standalone/module-loader';
import { createRecordingApi } from '../loader/recording-host';
import { writeFinishedBuilds } from './bench-records';

export const HEAP_BUILDS = 1000;

export interface BackendHeap {
  /** Bytes in use before the extension was loaded: this benchmark's own (Vite's module runner, the loader). */
  before: number;
  /** Bytes in use after activation (and a collection). */
  activated: number;
  /** Bytes in use after the list of 1 000 builds was answered (and a collection). */
  listed: number;
  /** How long the backend took to answer that list, ms. */
  listMs: number;
  builds: number;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function heapOnce(root: string, storagePath: string): Promise<BackendHeap> {
  await writeFinishedBuilds(storagePath, HEAP_BUILDS);
  const main = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).main);
  const recording = createRecordingApi(root);
  const restore = overrideModuleLoad(root, recording.api);
  const subscriptions: { dispose(): unknown }[] = [];
  try {
    const before = heapUsed();
    const extension = createRequire(main)(main);
    await extension.activate({
      subscriptions,
      storagePath,
      extensionUri: recording.api.Uri.file(root),
      secrets: {},
    });
    const activated = heapUsed();
    const [panel] = recording.panels;
    if (!panel) throw new Error('activation made no webview panel');
    const start = performance.now();
    for (const listener of panel.listeners)
      listener({ kind: 'rpc-request', id: 1, method: 'listJobs', args: ['disk-build'] });
    let response: RpcResponse | undefined;
    while (!response) {
      await new Promise(resolve => setTimeout(resolve, 1));
      response = panel.posted.find(
        (message): message is RpcResponse => (message as RpcResponse).kind === 'rpc-response',
      );
    }
    const listMs = performance.now() - start;
    if (!response.ok) throw new Error(`listJobs failed: ${response.error?.message}`);
    const builds = (response.result as unknown[]).length;
    // Podman Desktop hands the answer to the webview and keeps nothing of it; the recording API keeps it.
    panel.posted.splice(0);
    response = undefined;
    const listed = heapUsed();
    return { before, activated, listed, listMs, builds };
  } finally {
    subscriptions.forEach(subscription => subscription.dispose());
    restore();
  }
}
