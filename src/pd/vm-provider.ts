/**
 * The VMs in Podman Desktop's Settings → Resources: a "Bootc Studio VMs" provider with one VM
 * provider connection per VM — its state, start/stop/delete wired to the same jobs as the page and
 * the CLI, and a Terminal tab that is an SSH shell into the VM with its own key — and a Create form
 * (the manifest's `VmProviderConnectionFactory` properties) checked as the user types. VMs made or
 * removed elsewhere (the CLI, the page) appear and disappear here as the list changes.
 */

import type * as pd from '@podman-desktop/api';

import { errorMessage } from '../api/errors';
import { isJobFinished } from '../api/jobs';
import type { Hypervisor, LaunchVmRequest, VmInfo, VmState } from '../api/vms';
import { isAbsoluteHostPath } from '../api/host-paths';
import { launchRequestProblems, VM_DEFAULTS } from '../api/vms';
import type { JobRegistry } from '../jobs/job-registry';
import { openVmShell } from '../vms/vm-shell';
import type { VmService } from '../vms/vm-service';

export const VM_PROVIDER_ID = 'bootc-studio-vms';
/** The Create form's fields, as the manifest names them. */
export const FACTORY = {
  source: 'bootc-studio.factory.vm.source',
  name: 'bootc-studio.factory.vm.name',
  memory: 'bootc-studio.factory.vm.memory',
  cpus: 'bootc-studio.factory.vm.cpus',
  hypervisor: 'bootc-studio.factory.vm.hypervisor',
  diskSize: 'bootc-studio.factory.vm.diskSize',
  cloudInit: 'bootc-studio.factory.vm.cloudInit',
} as const;

/** How the Create form's fields are called, for its messages. */
const FIELD_LABELS: Record<string, string> = {
  source: 'Disk image',
  name: 'Name',
  memoryMiB: 'Memory',
  cpus: 'CPUs',
  hypervisor: 'Hypervisor',
  diskGiB: 'Disk size',
  cloudInit: 'cloud-init seed',
};

const STATUS: Record<VmState, pd.ProviderConnectionStatus> = {
  starting: 'starting',
  running: 'started',
  stopping: 'stopping',
  stopped: 'stopped',
};

/** How often the list is looked at without a change being told (a VM made by the CLI, a guest that powered off). */
const POLL_MS = 5000;

export interface VmProviderHost {
  createProvider(options: pd.ProviderOptions): pd.Provider;
  /** Podman Desktop's EventEmitter class, for the shell sessions' events. */
  EventEmitter: typeof pd.EventEmitter;
}

/**
 * A Create form's values as a launch request: `source` is a build id or a file path. Podman Desktop
 * sends every field with its default, so the disk size goes only with an ISO file; for a build the
 * backend decides (a build of an installer ISO takes the default size).
 */
export function factoryRequest(params: Record<string, unknown>): LaunchVmRequest {
  const source = String(params[FACTORY.source] ?? '').trim();
  const number = (key: string) => {
    const value = params[key];
    return value === undefined || value === '' ? undefined : Number(value);
  };
  const name = String(params[FACTORY.name] ?? '').trim();
  const hypervisor = String(params[FACTORY.hypervisor] ?? '').trim();
  const isFile = isAbsoluteHostPath(source);
  const diskGiB = isFile && /\.iso$/i.test(source) ? number(FACTORY.diskSize) : undefined;
  // `auto` (the default, sent always) leaves it to the backend: looked for in a build's image.
  const cloudInit = String(params[FACTORY.cloudInit] ?? 'auto');
  return {
    source: isFile ? { diskPath: source } : { buildId: source },
    name: name || undefined,
    memoryMiB: number(FACTORY.memory),
    cpus: number(FACTORY.cpus),
    ...(hypervisor && hypervisor !== 'qemu' ? { hypervisor: hypervisor as Hypervisor } : {}),
    ...(diskGiB !== undefined ? { diskGiB } : {}),
    ...(cloudInit === 'attach' ? { cloudInit: true } : cloudInit === 'none' ? { cloudInit: false } : {}),
  };
}

/** What the Create form says under its fields as the user types: the backend's own checks. */
export function auditFactory(items: Record<string, unknown>): pd.AuditResult {
  const request = factoryRequest(items);
  const records: pd.AuditRecord[] = Object.entries(launchRequestProblems(request)).map(([field, message]) => ({
    type: 'error',
    record: `${FIELD_LABELS[field] ?? field}: ${message}`,
  }));
  if (records.length === 0) {
    const { memoryMiB, cpus } = request;
    const what =
      request.hypervisor === 'fusion' ? 'VMware Fusion' : request.hypervisor === 'hyperv' ? 'Hyper-V' : 'QEMU';
    records.push({
      type: 'info',
      record: `Boots with ${what} (${memoryMiB ?? VM_DEFAULTS.memoryMiB} MiB, ${cpus ?? VM_DEFAULTS.cpus} CPUs); the built disk is never written.`,
    });
  }
  return { records };
}

/** Registers the provider and keeps one connection per VM; dispose to remove them all. */
export function registerVmProvider(host: VmProviderHost, vms: VmService, jobs: JobRegistry): pd.Disposable {
  const provider = host.createProvider({
    id: VM_PROVIDER_ID,
    name: 'Bootc Studio VMs',
    status: 'ready',
    images: { icon: './icon.png', logo: './icon.png' },
    emptyConnectionMarkdownDescription:
      'Virtual machines booted from disk images built with Bootc Studio. Create one here from a finished build, or with **Launch VM** on the Disk Images page.',
  });
  const connections = new Map<string, { vm: VmInfo; registration: pd.Disposable }>();

  /** Runs a job to its end; throws its error so Podman Desktop shows it. */
  const finish = async (jobId: string, logger?: pd.Logger): Promise<void> => {
    let cursor = 0;
    for (;;) {
      const job = await jobs.get(jobId);
      const chunk = await jobs.readLog(jobId, cursor);
      for (const line of chunk.lines) logger?.log(line);
      cursor = chunk.next;
      if (isJobFinished(job.status) && chunk.lines.length === 0) {
        if (job.status !== 'succeeded') throw new Error(job.error?.message ?? `the job ${job.status}`);
        return;
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  };

  const connectionOf = (id: string): pd.VmProviderConnection => ({
    get name() {
      return connections.get(id)?.vm.name ?? id;
    },
    // Podman Desktop asks often: the state last read.
    status: () => STATUS[connections.get(id)?.vm.state ?? 'stopped'],
    get error() {
      return connections.get(id)?.vm.lastError;
    },
    lifecycle: {
      start: async (context, logger) => finish(vms.start(id).id, logger ?? context.log).finally(sync),
      stop: async (context, logger) => finish(vms.stop(id).id, logger ?? context.log).finally(sync),
      delete: async logger => {
        logger?.log(`Deleting VM ${connections.get(id)?.vm.name ?? id}`);
        await vms.remove(id).finally(sync);
      },
    },
    shellAccess: {
      open: () => {
        const data = new host.EventEmitter<pd.ProviderConnectionShellAccessData>();
        const error = new host.EventEmitter<pd.ProviderConnectionShellAccessError>();
        const end = new host.EventEmitter<void>();
        const vm = connections.get(id)?.vm;
        const shell = vm
          ? openVmShell(vm, {
              data: text => data.fire({ data: text }),
              error: message => error.fire({ error: message }),
              end: () => end.fire(),
            })
          : undefined;
        if (!shell) queueMicrotask(() => error.fire({ error: `VM ${id} is gone` }));
        return {
          onData: data.event,
          onError: error.event,
          onEnd: end.event,
          write: input => shell?.write(input),
          resize: ({ rows, cols }) => shell?.resize(rows, cols),
          close: () => shell?.close(),
        };
      },
    },
  });

  let syncing: Promise<void> | undefined;
  let again = false;
  function sync(): Promise<void> {
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        again = false;
        const { vms: all } = await vms.list().catch(() => ({ vms: undefined }));
        if (!all) continue;
        const seen = new Set(all.map(vm => vm.id));
        for (const [id, entry] of connections) {
          if (!seen.has(id)) {
            entry.registration.dispose();
            connections.delete(id);
          }
        }
        for (const vm of all) {
          const entry = connections.get(vm.id);
          if (entry) entry.vm = vm;
          else connections.set(vm.id, { vm, registration: provider.registerVmProviderConnection(connectionOf(vm.id)) });
        }
      } while (again);
    })().finally(() => (syncing = undefined));
    return syncing;
  }

  const factory = provider.setVmProviderConnectionFactory(
    {
      creationDisplayName: 'Bootc VM',
      creationButtonTitle: 'Create VM',
      create: async (params, logger, token) => {
        const vm = await vms.create(factoryRequest(params));
        logger?.log(`Made VM ${vm.name} (${vm.id}); starting it`);
        const job = vms.start(vm.id);
        token?.onCancellationRequested(() => void jobs.cancel(job.id));
        await sync();
        await finish(job.id, logger).finally(sync);
      },
    },
    { auditItems: async items => auditFactory(items) },
  );

  const changed = vms.onDidChange(() => void sync());
  const timer = setInterval(() => void sync(), POLL_MS);
  timer.unref?.();
  void sync().catch((error: unknown) => console.warn(`bootc-studio: VMs for Resources: ${errorMessage(error)}`));

  return {
    dispose() {
      clearInterval(timer);
      changed.dispose();
      factory.dispose();
      for (const entry of connections.values()) entry.registration.dispose();
      connections.clear();
      provider.dispose();
    },
  };
}
