import { api, getState, setState, subscribe } from '../rpc';
import { Router } from './router.svelte';

/** The page's router, wired to the backend bridge. */
export const router = new Router({
  getState,
  setState,
  subscribe,
  takePendingRoute: () => api.takePendingRoute(),
});
