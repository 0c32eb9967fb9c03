import { randomUUID } from 'node:crypto';

import { CancellationTokenSource } from './pd-primitives';
import type { ResourcesCommand, ResourcesEvent } from './standalone-providers';

/**
 * The stand-in for Podman Desktop's own chrome: toasts (messages and notifications, with their
 * action buttons), the task list (`withProgress`), path prompts (open/save dialogs) and which
 * webview is shown. It keeps the state, so a browser tab that (re)connects gets all of it, and
 * talks to the host page through whatever `send` functions are attached.
 */

export type ToastKind = 'info' | 'warning' | 'error';

export interface HostToast {
  id: string;
  kind: ToastKind;
  title?: string;
  message: string;
  /** Action buttons; choosing one (or dismissing the toast) answers the message. */
  actions: string[];
  /** The host page closes the toast after this long (paused while the pointer or focus is on it); undefined: it stays. */
  closeAfterMs?: number;
}

/** How long news stays up: long enough to read a sentence and reach its button. */
export const INFO_TOAST_MS = 8_000;
export const WARNING_TOAST_MS = 15_000;

/**
 * As in Podman Desktop, news closes by itself and trouble stays: information (a build or push that
 * succeeded, with or without an "Open folder" button) goes after a few seconds, a warning without a
 * question a little later; an error, or a warning that asks something, stays until the user answers.
 */
export function toastLifetime(kind: ToastKind, actions: readonly string[]): number | undefined {
  if (kind === 'info') return INFO_TOAST_MS;
  if (kind === 'warning' && actions.length === 0) return WARNING_TOAST_MS;
  return undefined;
}

export type TaskState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface HostTask {
  id: string;
  title: string;
  message?: string;
  /** 0–100 once the task reports a percentage; undefined while it has not. */
  percent?: number;
  state: TaskState;
  error?: string;
  cancellable: boolean;
  started: number;
}

export interface HostDialog {
  id: string;
  kind: 'open' | 'save';
  title: string;
  label: string;
  defaultPath?: string;
  /** For open dialogs: whether folders are wanted rather than files. */
  folders?: boolean;
  multiple?: boolean;
}

export interface MenuTarget {
  /** What the menu command receives (the row object of Podman Desktop's image list). */
  id: string;
  label: string;
  actions: { command: string; title: string }[];
}

export type HostEvent =
  | {
      type: 'snapshot';
      toasts: HostToast[];
      tasks: HostTask[];
      dialogs: HostDialog[];
      panels: PanelSummary[];
      shownPanel?: string;
    }
  | { type: 'toast'; toast: HostToast }
  | { type: 'toast-closed'; id: string }
  | { type: 'task'; task: HostTask }
  | { type: 'dialog'; dialog: HostDialog }
  | { type: 'dialog-closed'; id: string }
  | { type: 'panels'; panels: PanelSummary[]; shownPanel?: string }
  | { type: 'menu-targets'; targets: MenuTarget[]; error?: string }
  | { type: 'open-url'; url: string }
  | ResourcesEvent;

export type HostCommand =
  | { type: 'toast-action'; id: string; action?: string }
  | { type: 'dialog-answer'; id: string; value?: string }
  | { type: 'task-cancel'; id: string }
  | { type: 'show-panel'; panelId: string }
  | { type: 'menu-targets' }
  | { type: 'menu-run'; targetId: string; command: string }
  | ResourcesCommand;

export interface PanelSummary {
  id: string;
  title: string;
}

export interface MenuProvider {
  targets(): Promise<MenuTarget[]>;
  run(targetId: string, command: string): Promise<void>;
}

const KEPT_TASKS = 50;

export class HostUi {
  readonly #senders = new Set<(event: HostEvent) => void>();
  readonly #toasts = new Map<string, { toast: HostToast; answer?: (action: string | undefined) => void }>();
  readonly #tasks = new Map<string, { task: HostTask; source: CancellationTokenSource }>();
  readonly #dialogs = new Map<string, { dialog: HostDialog; answer: (value: string | undefined) => void }>();
  #panels: PanelSummary[] = [];
  #shownPanel: string | undefined;
  menus: MenuProvider | undefined;
  /** Providers and their connections (Settings → Resources): snapshot on connect, commands handled. */
  resources:
    | {
        summary(): ResourcesEvent;
        handle(command: ResourcesCommand, reply: (event: ResourcesEvent) => void): Promise<void>;
      }
    | undefined;

  attach(send: (event: HostEvent) => void): () => void {
    this.#senders.add(send);
    send(this.snapshot());
    if (this.resources) send(this.resources.summary());
    return () => this.#senders.delete(send);
  }

  snapshot(): HostEvent {
    return {
      type: 'snapshot',
      toasts: [...this.#toasts.values()].map(entry => entry.toast),
      tasks: [...this.#tasks.values()].map(entry => entry.task),
      dialogs: [...this.#dialogs.values()].map(entry => entry.dialog),
      panels: this.#panels,
      shownPanel: this.#shownPanel,
    };
  }

  /** A message with optional action buttons; resolves with the chosen action, undefined when dismissed. */
  showMessage(kind: ToastKind, message: string, actions: string[] = []): Promise<string | undefined> {
    return new Promise(resolve => {
      const toast: HostToast = { id: randomUUID(), kind, message, actions, closeAfterMs: toastLifetime(kind, actions) };
      this.#toasts.set(toast.id, { toast, answer: resolve });
      this.#broadcast({ type: 'toast', toast });
    });
  }

  /** A notification without actions; returns the function that withdraws it. */
  notify(kind: ToastKind, title: string | undefined, message: string): () => void {
    const toast: HostToast = {
      id: randomUUID(),
      kind,
      title,
      message,
      actions: [],
      closeAfterMs: toastLifetime(kind, []),
    };
    this.#toasts.set(toast.id, { toast });
    this.#broadcast({ type: 'toast', toast });
    return () => this.#closeToast(toast.id, undefined);
  }

  startTask(title: string, cancellable: boolean) {
    const task: HostTask = { id: randomUUID(), title, state: 'running', cancellable, started: Date.now() };
    const source = new CancellationTokenSource();
    this.#tasks.set(task.id, { task, source });
    this.#trimTasks();
    this.#broadcast({ type: 'task', task });
    const update = (change: Partial<HostTask>) => {
      Object.assign(task, change);
      this.#broadcast({ type: 'task', task: { ...task } });
    };
    return {
      token: source.token,
      /** Sets the task's percentage, as Podman Desktop does with `increment`: it is not added up. */
      report: (message: string | undefined, percent: number | undefined) => {
        const change: Partial<HostTask> = {};
        if (message !== undefined) change.message = message;
        if (percent !== undefined) change.percent = Math.min(100, Math.max(0, percent));
        update(change);
      },
      finish: (state: Exclude<TaskState, 'running'>, error?: string) => {
        update({ state: source.token.isCancellationRequested && state === 'failed' ? 'cancelled' : state, error });
        source.dispose();
      },
    };
  }

  askPath(dialog: Omit<HostDialog, 'id'>): Promise<string | undefined> {
    return new Promise(resolve => {
      const full: HostDialog = { id: randomUUID(), ...dialog };
      this.#dialogs.set(full.id, { dialog: full, answer: resolve });
      this.#broadcast({ type: 'dialog', dialog: full });
    });
  }

  /** Asks the connected pages to open `url` in a new tab; false when no page is connected. */
  openUrl(url: string): boolean {
    this.#broadcast({ type: 'open-url', url });
    return this.#senders.size > 0;
  }

  setPanels(panels: PanelSummary[]): void {
    this.#panels = panels;
    if (this.#shownPanel && !panels.some(panel => panel.id === this.#shownPanel)) this.#shownPanel = undefined;
    this.#shownPanel ??= panels[0]?.id;
    this.#broadcast({ type: 'panels', panels, shownPanel: this.#shownPanel });
  }

  showPanel(panelId: string): void {
    if (!this.#panels.some(panel => panel.id === panelId)) return;
    this.#shownPanel = panelId;
    this.#broadcast({ type: 'panels', panels: this.#panels, shownPanel: panelId });
  }

  get shownPanel(): string | undefined {
    return this.#shownPanel;
  }

  /** A command from the host page. Unknown or stale ids are ignored. */
  async handle(command: HostCommand, reply: (event: HostEvent) => void): Promise<void> {
    switch (command.type) {
      case 'toast-action':
        this.#closeToast(command.id, typeof command.action === 'string' ? command.action : undefined);
        return;
      case 'dialog-answer': {
        const entry = this.#dialogs.get(command.id);
        if (!entry) return;
        this.#dialogs.delete(command.id);
        entry.answer(typeof command.value === 'string' && command.value.trim() ? command.value.trim() : undefined);
        this.#broadcast({ type: 'dialog-closed', id: command.id });
        return;
      }
      case 'task-cancel': {
        const entry = this.#tasks.get(command.id);
        if (entry?.task.cancellable && entry.task.state === 'running') entry.source.cancel();
        return;
      }
      case 'show-panel':
        this.showPanel(String(command.panelId));
        return;
      case 'menu-targets':
        try {
          reply({ type: 'menu-targets', targets: (await this.menus?.targets()) ?? [] });
        } catch (err: unknown) {
          reply({ type: 'menu-targets', targets: [], error: err instanceof Error ? err.message : String(err) });
        }
        return;
      case 'resource-action':
      case 'resource-create':
      case 'resource-audit':
      case 'shell-open':
      case 'shell-input':
      case 'shell-close':
        await this.resources?.handle(command, reply);
        return;
      case 'menu-run':
        try {
          await this.menus?.run(String(command.targetId), String(command.command));
        } catch (err: unknown) {
          void this.showMessage('error', err instanceof Error ? err.message : String(err));
        }
        return;
    }
  }

  #closeToast(id: string, action: string | undefined): void {
    const entry = this.#toasts.get(id);
    if (!entry) return;
    this.#toasts.delete(id);
    entry.answer?.(action !== undefined && entry.toast.actions.includes(action) ? action : undefined);
    this.#broadcast({ type: 'toast-closed', id });
  }

  #trimTasks(): void {
    const finished = [...this.#tasks.values()].filter(entry => entry.task.state !== 'running');
    for (const entry of finished.slice(0, Math.max(0, this.#tasks.size - KEPT_TASKS)))
      this.#tasks.delete(entry.task.id);
  }

  /** Sends `event` to every connected host page. */
  broadcast(event: HostEvent): void {
    this.#broadcast(event);
  }

  #broadcast(event: HostEvent): void {
    for (const send of this.#senders) send(event);
  }
}
