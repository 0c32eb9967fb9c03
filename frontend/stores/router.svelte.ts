import type { Route } from '../../src/api/models';
import { parseRoute, ROUTES } from '../../src/api/routes';
import type { PushChannel } from '../../src/api/rpc-protocol';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';

/** What the router needs from the outside world; rpc.ts provides it in the page, tests fake it. */
export interface RouterHost {
  getState(): unknown;
  setState(state: unknown): void | Promise<void>;
  takePendingRoute(): Promise<Route | undefined>;
  subscribe(channel: PushChannel, listener: (body: unknown) => void): () => void;
}

function isRoute(value: unknown): value is Route {
  return typeof value === 'string' && value.startsWith('/');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * The current route (path + query). It is saved in Podman Desktop's webview state because PD
 * destroys the webview whenever the user leaves it; deep links are pulled from the backend.
 */
export class Router {
  route: Route = $state(ROUTES.dashboard);
  readonly path: string = $derived(parseRoute(this.route).path);
  readonly query: Record<string, string> = $derived(parseRoute(this.route).query);

  readonly #host: RouterHost;

  constructor(host: RouterHost) {
    this.#host = host;
  }

  navigate(route: Route): void {
    if (!isRoute(route)) return;
    this.route = route;
    try {
      const saved = this.#host.setState({ ...asRecord(this.#host.getState()), route });
      Promise.resolve(saved).catch((err: unknown) => console.warn('Could not save the route:', err));
    } catch (err: unknown) {
      console.warn('Could not save the route:', err);
    }
  }

  /** Restores the saved route, then follows any pending deep link, now and whenever one is announced. */
  start(): () => void {
    const saved = asRecord(this.#host.getState()).route;
    if (isRoute(saved)) this.route = saved;
    const stop = this.#host.subscribe(PUSH_CHANNELS.routePending, () => void this.pullPending());
    void this.pullPending();
    return stop;
  }

  async pullPending(): Promise<void> {
    try {
      const pending = await this.#host.takePendingRoute();
      if (pending) this.navigate(pending);
    } catch (err: unknown) {
      console.warn('Could not read the pending route:', err);
    }
  }
}
