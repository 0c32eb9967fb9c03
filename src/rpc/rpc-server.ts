import type { PushChannel, RpcPush, RpcRequest, RpcResponse } from '../api/rpc-protocol';
import { errorInfoOf } from '../api/errors';
import { isRpcMessage } from '../api/rpc-protocol';
import { checkCallArguments } from './argument-checks';
import type { WebviewPort } from './webview-port';

/**
 * The backend end of the webview bridge: answers requests by calling the method of the same name
 * on the implementation, and sends pushes. Only the implementation's own functions (its own
 * properties, or its class's methods) can be called, never inherited ones such as `constructor`,
 * `__proto__` or Object's.
 */
export class RpcServer<T extends object> {
  readonly #port: WebviewPort;
  readonly #impl: T;
  readonly #methods: ReadonlySet<string>;
  readonly #subscription: { dispose(): unknown };

  constructor(port: WebviewPort, impl: T) {
    this.#port = port;
    this.#impl = impl;
    this.#methods = callableMethods(impl);
    this.#subscription = port.onDidReceiveMessage(message => {
      if (isRpcMessage(message) && message.kind === 'rpc-request') void this.#answer(message);
    });
  }

  /** Tells the page that something changed. Dropped silently when the page is not shown. */
  async push(channel: PushChannel, body?: unknown): Promise<void> {
    const message: RpcPush = { kind: 'rpc-push', channel, body };
    await this.#port.postMessage(message);
  }

  dispose(): void {
    this.#subscription.dispose();
  }

  async #answer(request: RpcRequest): Promise<void> {
    let response: RpcResponse;
    try {
      // A page's message is data: the method name may be anything, the arguments anything.
      const name: unknown = request.method;
      if (typeof name !== 'string' || !this.#methods.has(name)) {
        const shown = typeof name === 'string' ? name : `(${typeof name})`;
        throw Object.assign(new Error(`Unknown method: ${shown}`), { field: 'method', code: 'unknown-method' });
      }
      const method = (this.#impl as Record<string, (...args: unknown[]) => unknown>)[name];
      const args = checkCallArguments(request.args, method.length);
      const result = await method.apply(this.#impl, args);
      response = { kind: 'rpc-response', id: request.id, ok: true, result };
    } catch (err: unknown) {
      response = { kind: 'rpc-response', id: request.id, ok: false, error: errorInfoOf(err) };
    }
    await this.#port.postMessage(response);
  }
}

function callableMethods(impl: object): Set<string> {
  const names = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(impl);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof (impl as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  for (const [name, value] of Object.entries(impl)) if (typeof value === 'function') names.add(name);
  return names;
}
