import type { Route } from '../api/models';

/**
 * Holds the deep link the page should open next (set by a context-menu command, for example).
 * The page pulls it when it mounts, because Podman Desktop drops messages posted to a webview
 * that is not shown; a push only says "a route is pending".
 */
export class RouteRegistry {
  #pending: Route | undefined;
  readonly #listeners = new Set<(route: Route) => void>();

  set(route: Route): void {
    this.#pending = route;
    for (const listener of this.#listeners) listener(route);
  }

  take(): Route | undefined {
    const route = this.#pending;
    this.#pending = undefined;
    return route;
  }

  onDidSet(listener: (route: Route) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }
}
