/**
 * The slice of a webview the bridge needs. Podman Desktop's `Webview` satisfies it, and so does
 * standalone mode's WebSocket end; the bridge itself never sees the Podman Desktop API.
 */
export interface WebviewPort {
  postMessage(message: unknown): Promise<boolean> | Thenable<boolean>;
  onDidReceiveMessage(listener: (message: unknown) => void): { dispose(): unknown };
}

interface Thenable<T> {
  then<R>(onfulfilled?: (value: T) => R | PromiseLike<R>): PromiseLike<R>;
}
