/**
 * The webview bridge as the hostile-input specs drive it: the real RpcServer answering the real
 * studio API (every room's handlers) over real services — disk builds and VMs on a temp store, image
 * operations, a podman engine through its socket. Requests are sent as the raw JSON a page could
 * post (so `__proto__` arrives as an own key, as JSON.parse makes it), answers are read as data.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { ErrorInfo } from '../../../src/api/errors';
import type { RpcResponse } from '../../../src/api/rpc-protocol';
import { DiskBuildJobs } from '../../../src/builds/disk-build-jobs';
import { DiskBuildService } from '../../../src/builds/disk-build-service';
import { PodmanSocketEngine } from '../../../src/engine/socket/podman-socket';
import { ImageOperations } from '../../../src/images/image-operations';
import { RouteRegistry } from '../../../src/rpc/route-registry';
import { RpcServer } from '../../../src/rpc/rpc-server';
import { createStudioApi } from '../../../src/rpc/studio-api';
import type { WebviewPort } from '../../../src/rpc/webview-port';
import { buildDiskFinder } from '../../../src/vms/vm-build-disk';
import { VmService } from '../../../src/vms/vm-service';

export interface BridgeHarness {
  storeDir: string;
  vms: VmService;
  builds: DiskBuildService;
  /** What the host's dialogs answer next (a file to import, a file to export to, a folder). */
  dialogs: { file?: string; save?: string; folder?: string };
  /** Links and folders the bridge asked the host to open. */
  opened: string[];
  /** Sends one request, as the JSON text a page posts (`args` may be anything); resolves with the answer. */
  send(request: string): Promise<RpcResponse>;
  /** `send` of `{kind, id, method, args}`. */
  call(method: unknown, args: unknown): Promise<RpcResponse>;
  dispose(): void;
}

export function startBridge(options: { socketUrl: string; dir: string; home: string }): BridgeHarness {
  const storeDir = join(options.dir, 'store');
  mkdirSync(storeDir, { recursive: true });
  const engine = new PodmanSocketEngine(options.socketUrl);
  const operations = new ImageOperations();
  const builds = new DiskBuildService({ engine, storeDir, warn: () => undefined });
  operations.jobs.attach(new DiskBuildJobs(builds));
  const vms = new VmService({ storeDir, jobs: operations.jobs, buildDisk: buildDiskFinder(builds.store) });
  const dialogs: BridgeHarness['dialogs'] = {};
  const opened: string[] = [];
  const api = createStudioApi({
    engine,
    routes: new RouteRegistry(),
    operations,
    jobs: operations.jobs,
    builds,
    vms,
    dialogs: {
      selectFolder: async () => dialogs.folder,
      selectFile: async () => dialogs.file,
      saveFile: async () => dialogs.save,
    },
    home: options.home,
    openExternal: async url => {
      opened.push(url);
      return true;
    },
    openFolder: async path => {
      opened.push(path);
      return true;
    },
  });

  const listeners = new Set<(message: unknown) => void>();
  const waiting = new Map<number, (response: RpcResponse) => void>();
  const port: WebviewPort = {
    async postMessage(message) {
      // What the page receives is a copy made from JSON, as Podman Desktop delivers it.
      const answer = JSON.parse(JSON.stringify(message)) as RpcResponse;
      if (answer.kind === 'rpc-response') waiting.get(answer.id)?.(answer);
      return true;
    },
    onDidReceiveMessage(listener) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
  const server = new RpcServer(port, api);
  let nextId = 1;

  const send = (text: string): Promise<RpcResponse> => {
    const message = JSON.parse(text) as { id: number };
    return new Promise(resolve => {
      waiting.set(message.id, response => {
        waiting.delete(message.id);
        resolve(response);
      });
      for (const listener of listeners) listener(message);
    });
  };
  return {
    storeDir,
    vms,
    builds,
    dialogs,
    opened,
    send,
    call: (method, args) => send(JSON.stringify({ kind: 'rpc-request', id: nextId++, method, args })),
    dispose() {
      server.dispose();
      void builds.dispose();
      vms.dispose();
      operations.dispose();
    },
  };
}

/** The error an answer carries (undefined for a success). */
export function errorOf(response: RpcResponse): ErrorInfo | undefined {
  return response.ok ? undefined : response.error;
}
