/**
 * Podman Desktop's providers, as far as Bootc Studio uses them (its VMs in Settings → Resources):
 * `provider.createProvider`, VM provider connections with their status, lifecycle and shell
 * access, and the VM factory's Create form with its audit. The host page shows the connections with
 * start/stop/delete, a terminal, and the Create form built from the manifest's
 * `VmProviderConnectionFactory` properties — so the path runs in a browser as it does in Podman
 * Desktop.
 */

import type * as pd from '@podman-desktop/api';

import { Disposable } from './pd-primitives';

export interface ResourceConnection {
  id: string;
  name: string;
  status: pd.ProviderConnectionStatus;
  error?: string;
  shell: boolean;
}

export interface ResourceProvider {
  id: string;
  name: string;
  status: pd.ProviderStatus;
  emptyText?: string;
  connections: ResourceConnection[];
  /** The Create form's button, when the provider has a VM factory. */
  create?: { title: string; displayName?: string };
}

/** A field of the Create form: a manifest property of scope VmProviderConnectionFactory. */
export interface FactoryField {
  id: string;
  description: string;
  type: 'string' | 'number' | 'boolean';
  default?: unknown;
}

export type ResourcesEvent =
  | { type: 'resources'; providers: ResourceProvider[]; fields: FactoryField[] }
  | { type: 'resource-log'; line: string }
  | { type: 'resource-done'; action: string; connectionId?: string; error?: string }
  | { type: 'resource-audit'; records: pd.AuditRecord[] }
  | { type: 'shell-data'; sessionId: string; data: string }
  | { type: 'shell-end'; sessionId: string; error?: string };

export type ResourcesCommand =
  | { type: 'resource-action'; connectionId: string; action: 'start' | 'stop' | 'delete' }
  | { type: 'resource-create'; providerId: string; params: Record<string, unknown> }
  | { type: 'resource-audit'; providerId: string; params: Record<string, unknown> }
  | { type: 'shell-open'; connectionId: string; sessionId: string }
  | { type: 'shell-input'; sessionId: string; data: string }
  | { type: 'shell-close'; sessionId: string };

interface Registered {
  id: string;
  provider: ProviderEntry;
  connection: pd.VmProviderConnection;
}

interface ProviderEntry {
  options: pd.ProviderOptions;
  status: pd.ProviderStatus;
  factory?: { factory: pd.VmProviderConnectionFactory; auditor?: pd.Auditor };
}

export class StandaloneProviders {
  readonly #providers = new Map<string, ProviderEntry>();
  readonly #connections = new Map<string, Registered>();
  readonly #shells = new Map<string, pd.ProviderConnectionShellAccessSession>();
  #next = 0;
  #lastSent = '';
  #poll: NodeJS.Timeout | undefined;

  constructor(
    /** Tells every connected host page. */
    private readonly broadcast: (event: ResourcesEvent) => void,
    private readonly fields: FactoryField[],
  ) {}

  /** As Podman Desktop does, asks each connection's status() every `intervalMs`; the page hears of changes. */
  watch(intervalMs = 1000): { dispose(): void } {
    this.#poll = setInterval(() => {
      if (JSON.stringify(this.summary()) !== this.#lastSent) this.changed();
    }, intervalMs);
    this.#poll.unref?.();
    return { dispose: () => clearInterval(this.#poll) };
  }

  /** `provider.createProvider`: the VM parts of Podman Desktop's Provider. */
  createProvider(options: pd.ProviderOptions): pd.Provider {
    const entry: ProviderEntry = { options, status: options.status };
    this.#providers.set(options.id, entry);
    this.changed();
    const unsupported = (name: string) => () => {
      throw new Error(`Standalone mode does not implement provider.${name} of @podman-desktop/api`);
    };
    return {
      setVmProviderConnectionFactory: (factory: pd.VmProviderConnectionFactory, auditor?: pd.Auditor) => {
        entry.factory = { factory, auditor };
        this.changed();
        return new Disposable(() => {
          entry.factory = undefined;
          this.changed();
        });
      },
      registerVmProviderConnection: (connection: pd.VmProviderConnection) => {
        const id = `connection-${++this.#next}`;
        this.#connections.set(id, { id, provider: entry, connection });
        this.changed();
        return new Disposable(() => {
          this.#connections.delete(id);
          this.changed();
        });
      },
      updateStatus: (status: pd.ProviderStatus) => {
        entry.status = status;
        this.changed();
      },
      dispose: () => {
        this.#providers.delete(options.id);
        this.changed();
      },
      setContainerProviderConnectionFactory: unsupported('setContainerProviderConnectionFactory'),
      setKubernetesProviderConnectionFactory: unsupported('setKubernetesProviderConnectionFactory'),
      registerContainerProviderConnection: unsupported('registerContainerProviderConnection'),
      registerKubernetesProviderConnection: unsupported('registerKubernetesProviderConnection'),
    } as unknown as pd.Provider;
  }

  /** What the host page shows; connection states are asked as Podman Desktop asks them (status()). */
  summary(): ResourceProvider[] {
    return [...this.#providers.values()].map(entry => ({
      id: entry.options.id,
      name: entry.options.name,
      status: entry.status,
      emptyText: entry.options.emptyConnectionMarkdownDescription,
      connections: [...this.#connections.values()]
        .filter(registered => registered.provider === entry)
        .map(({ id, connection }) => ({
          id,
          name: connection.name,
          status: connection.status(),
          ...(connection.error ? { error: connection.error } : {}),
          shell: connection.shellAccess !== undefined,
        })),
      ...(entry.factory
        ? {
            create: {
              title: entry.factory.factory.creationButtonTitle ?? 'Create new',
              displayName: entry.factory.factory.creationDisplayName,
            },
          }
        : {}),
    }));
  }

  /** The providers and the Create form's fields, as the host page receives them. */
  snapshot(): Extract<ResourcesEvent, { type: 'resources' }> {
    return { type: 'resources', providers: this.summary(), fields: this.fields };
  }

  changed(): void {
    const snapshot = this.snapshot();
    this.#lastSent = JSON.stringify(snapshot.providers);
    this.broadcast(snapshot);
  }

  async handle(command: ResourcesCommand, reply: (event: ResourcesEvent) => void): Promise<void> {
    const logger: pd.Logger = {
      log: (...data: unknown[]) => reply({ type: 'resource-log', line: data.map(String).join(' ') }),
      warn: (...data: unknown[]) => reply({ type: 'resource-log', line: `Warning: ${data.map(String).join(' ')}` }),
      error: (...data: unknown[]) => reply({ type: 'resource-log', line: `Error: ${data.map(String).join(' ')}` }),
    };
    const done = (action: string, work: () => Promise<unknown> | undefined, connectionId?: string) =>
      Promise.resolve()
        .then(work)
        .then(
          () => reply({ type: 'resource-done', action, connectionId }),
          (error: unknown) =>
            reply({
              type: 'resource-done',
              action,
              connectionId,
              error: error instanceof Error ? error.message : String(error),
            }),
        )
        .finally(() => this.changed());
    switch (command.type) {
      case 'resource-action': {
        const registered = this.#connections.get(String(command.connectionId));
        const lifecycle = registered?.connection.lifecycle;
        if (command.action === 'start')
          return done('start', () => lifecycle?.start?.({ log: logger }, logger), command.connectionId);
        if (command.action === 'stop')
          return done('stop', () => lifecycle?.stop?.({ log: logger }, logger), command.connectionId);
        if (command.action === 'delete') return done('delete', () => lifecycle?.delete?.(logger), command.connectionId);
        return;
      }
      case 'resource-create': {
        const factory = this.#providers.get(String(command.providerId))?.factory?.factory;
        return done('create', () => factory?.create?.(command.params ?? {}, logger));
      }
      case 'resource-audit': {
        const auditor = this.#providers.get(String(command.providerId))?.factory?.auditor;
        const result = auditor ? await auditor.auditItems(command.params ?? {}) : { records: [] };
        reply({ type: 'resource-audit', records: result.records });
        return;
      }
      case 'shell-open': {
        const registered = this.#connections.get(String(command.connectionId));
        const sessionId = String(command.sessionId);
        if (!registered?.connection.shellAccess) {
          reply({ type: 'shell-end', sessionId, error: 'this connection has no shell' });
          return;
        }
        const session = registered.connection.shellAccess.open();
        this.#shells.set(sessionId, session);
        session.onData(({ data }) => reply({ type: 'shell-data', sessionId, data }));
        session.onError(({ error }) => reply({ type: 'shell-data', sessionId, data: `\r\n${error}\r\n` }));
        session.onEnd(() => {
          this.#shells.delete(sessionId);
          reply({ type: 'shell-end', sessionId });
        });
        return;
      }
      case 'shell-input':
        this.#shells.get(String(command.sessionId))?.write(String(command.data));
        return;
      case 'shell-close':
        this.#shells.get(String(command.sessionId))?.close();
        this.#shells.delete(String(command.sessionId));
        return;
    }
  }
}

/** The Create form's fields: the manifest's properties of scope VmProviderConnectionFactory. */
export function factoryFields(
  properties: Record<string, { scope?: string; description?: string; type?: string; default?: unknown }> = {},
): FactoryField[] {
  return Object.entries(properties)
    .filter(([, property]) => property.scope === 'VmProviderConnectionFactory')
    .map(([id, property]) => ({
      id,
      description: property.description ?? id,
      type: property.type === 'number' || property.type === 'boolean' ? property.type : 'string',
      ...(property.default !== undefined ? { default: property.default } : {}),
    }));
}
