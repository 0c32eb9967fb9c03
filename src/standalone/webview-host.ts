import { randomUUID } from 'node:crypto';
import { relative, sep } from 'node:path';

import type { Event } from './pd-primitives';
import { EventEmitter } from './pd-primitives';
import { PdUri } from './pd-uri';

/** One connected browser document of a webview (a WebSocket, in the server). */
export interface WebviewConnection {
  send(message: unknown): void;
  reload(): void;
}

/**
 * Webview panels as Podman Desktop gives them to extensions, served by the standalone server:
 * `html` is what the page loads, `asWebviewUri` maps extension files to the server's /ext/ route,
 * and `postMessage` reaches the documents connected right now — like Podman Desktop, a message
 * posted while no document is shown is dropped, and the call still answers true.
 */
export class StandalonePanel {
  readonly id = randomUUID();
  html = '';
  /** What the page saved with setState(); handed back on the next load, as Podman Desktop does. */
  state: unknown;
  readonly connections = new Set<WebviewConnection>();
  readonly #received = new EventEmitter<unknown>();
  readonly #disposed = new EventEmitter<void>();
  readonly #viewState = new EventEmitter<{ webviewPanel: unknown }>();
  #isDisposed = false;
  readonly webview: StandaloneWebview;
  readonly onDidDispose = this.#disposed.event;
  readonly onDidChangeViewState = this.#viewState.event;

  constructor(
    readonly viewType: string,
    public title: string,
    readonly localResourceRoots: string[],
    private readonly host: {
      origin: string;
      extensionRoot: string;
      reveal(panel: StandalonePanel): void;
      disposed(panel: StandalonePanel): void;
    },
  ) {
    this.webview = new StandaloneWebview(this, host.origin, host.extensionRoot, this.#received.event);
  }

  /** Shown in a browser tab right now (Podman Desktop: the user is on the webview's route). */
  get visible(): boolean {
    return this.connections.size > 0;
  }

  get active(): boolean {
    return this.visible;
  }

  reveal(): void {
    this.host.reveal(this);
  }

  /** A message from the page (acquirePodmanDesktopApi().postMessage). */
  receive(message: unknown): void {
    this.#received.fire(message);
  }

  connect(connection: WebviewConnection): () => void {
    this.connections.add(connection);
    this.#viewState.fire({ webviewPanel: this });
    return () => {
      this.connections.delete(connection);
      this.#viewState.fire({ webviewPanel: this });
    };
  }

  /** Whether `file` may be served for this panel: inside one of its local resource roots. */
  serves(file: string): boolean {
    return this.localResourceRoots.some(root => {
      const rel = relative(root, file);
      return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
    });
  }

  dispose(): void {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    this.#disposed.fire();
    this.#received.dispose();
    this.#disposed.dispose();
    this.#viewState.dispose();
    this.host.disposed(this);
  }
}

/** The `webview` of a panel: what the extension sets (html) and posts, and how it names its files. */
class StandaloneWebview {
  readonly options: { localResourceRoots: PdUri[] };
  readonly cspSource: string;

  constructor(
    private readonly owner: StandalonePanel,
    private readonly origin: string,
    private readonly extensionRoot: string,
    readonly onDidReceiveMessage: Event<unknown>,
  ) {
    this.options = { localResourceRoots: owner.localResourceRoots.map(root => PdUri.file(root)) };
    this.cspSource = origin;
  }

  get html(): string {
    return this.owner.html;
  }

  set html(value: string) {
    this.owner.html = value;
    // Podman Desktop reloads the page when html is set.
    for (const connection of this.owner.connections) connection.reload();
  }

  asWebviewUri(uri: { fsPath: string }): PdUri {
    return PdUri.parse(`${this.origin}/ext/${toUrlPath(relative(this.extensionRoot, uri.fsPath))}`);
  }

  async postMessage(message: unknown): Promise<boolean> {
    for (const connection of this.owner.connections) connection.send(message);
    return true;
  }
}

function toUrlPath(path: string): string {
  return path.split(sep).map(encodeURIComponent).join('/');
}

/** The panels the extension created, for the server (by id) and the host bar (their titles). */
export class WebviewRegistry {
  readonly #panels = new Map<string, StandalonePanel>();

  constructor(
    private readonly host: {
      /** The server's origin; known once it listens, before any panel exists. */
      origin(): string;
      extensionRoot: string;
      /** The panel list changed, or a panel asked to be shown. */
      changed(panels: StandalonePanel[], reveal?: StandalonePanel): void;
    },
  ) {}

  create(viewType: string, title: string, options?: { localResourceRoots?: readonly { fsPath: string }[] }) {
    const roots = options?.localResourceRoots?.map(root => root.fsPath) ?? [this.host.extensionRoot];
    const panel = new StandalonePanel(viewType, title, roots, {
      origin: this.host.origin(),
      extensionRoot: this.host.extensionRoot,
      reveal: revealed => this.host.changed(this.all(), revealed),
      disposed: disposed => {
        this.#panels.delete(disposed.id);
        this.host.changed(this.all());
      },
    });
    this.#panels.set(panel.id, panel);
    this.host.changed(this.all());
    return panel;
  }

  get(id: string): StandalonePanel | undefined {
    return this.#panels.get(id);
  }

  all(): StandalonePanel[] {
    return [...this.#panels.values()];
  }
}
