import { BridgeError } from './errors';
import type { PushChannel, RpcRequest, RpcResponse } from './rpc-protocol';
import { isRpcMessage } from './rpc-protocol';

/**
 * The page's end of the webview bridge. Pure: it is given a `post` function and fed incoming
 * messages, so the webview (acquirePodmanDesktopApi + window 'message' events) and tests wire it
 * the same way. It lives in src/api/ because the frontend may import only from there.
 */
export interface RpcClientOptions {
  post(message: RpcRequest): void;
  /** Per-call timeout in ms. */
  timeoutMs: number;
  /** Methods exempt from the timeout (they open dialogs or wait for the user). */
  noTimeout?: readonly string[];
}

export class RpcTimeoutError extends Error {
  constructor(method: string, ms: number) {
    super(`${method} did not answer within ${Math.round(ms / 1000)} s`);
    this.name = 'RpcTimeoutError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

export class RpcClient {
  readonly #options: RpcClientOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<PushChannel, Set<(body: unknown) => void>>();
  // Not 1: where one backend answers several pages (standalone mode's tabs, a page reloaded while a
  // call was under way), a reply meant for another page must not settle this page's call of that id.
  #nextId = 1 + Math.floor(Math.random() * 2 ** 40);

  constructor(options: RpcClientOptions) {
    this.#options = options;
  }

  /** Feed every incoming message here; messages that are not the bridge's are ignored. */
  receive(message: unknown): void {
    if (!isRpcMessage(message)) return;
    if (message.kind === 'rpc-response') this.#settle(message);
    else if (message.kind === 'rpc-push') {
      for (const listener of this.#listeners.get(message.channel) ?? []) listener(message.body);
    }
  }

  call(method: string, args: unknown[]): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      if (!this.#options.noTimeout?.includes(method)) {
        pending.timer = setTimeout(() => {
          this.#pending.delete(id);
          reject(new RpcTimeoutError(method, this.#options.timeoutMs));
        }, this.#options.timeoutMs);
      }
      this.#pending.set(id, pending);
      try {
        this.#options.post({ kind: 'rpc-request', id, method, args });
      } catch (err: unknown) {
        this.#pending.delete(id);
        clearTimeout(pending.timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** A typed proxy: `client.proxy<BootcStudioApi>().listBootcImages()`. */
  proxy<T extends object>(): T {
    return new Proxy({} as T, {
      get: (_target, property) => {
        if (typeof property !== 'string' || property === 'then') return undefined;
        return (...args: unknown[]) => this.call(property, args);
      },
    });
  }

  /** Listens to a push channel; returns the function that stops listening. */
  subscribe(channel: PushChannel, listener: (body: unknown) => void): () => void {
    let set = this.#listeners.get(channel);
    if (!set) this.#listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  #settle(response: RpcResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.ok) pending.resolve(response.result);
    else pending.reject(new BridgeError(response.error ?? { message: 'Unknown error' }));
  }
}
