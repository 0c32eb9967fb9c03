/**
 * The global that Podman Desktop's webview preload injects. It may be called only once per page
 * load (a second call throws), hence the singleton in rpc.ts.
 */
interface PodmanDesktopApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void | Promise<void>;
}

declare function acquirePodmanDesktopApi(): PodmanDesktopApi;
