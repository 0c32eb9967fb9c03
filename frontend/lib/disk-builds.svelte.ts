import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { errorMessage } from '../../src/api/errors';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import { api, subscribe } from '../rpc';
import { refreshOnPush } from './refresh-on-push';

/** Re-reads after a burst of `diskBuildsChanged` pushes, and at least this often while they keep coming. */
export const BUILDS_DEBOUNCE_MS = 100;
export const BUILDS_MAX_WAIT_MS = 500;

/**
 * Every disk build, as the backend's store has it. The page pulls the list when it mounts and again
 * whenever a push says it changed: Podman Desktop may have destroyed the page in between.
 */
export class DiskBuildsFeed {
  builds: DiskBuildRecord[] | undefined = $state.raw();
  error: string | undefined = $state();
  // Only the latest request may update the feed: an older, slower answer must not win.
  #latestRequest = 0;

  async load(): Promise<void> {
    const request = ++this.#latestRequest;
    try {
      const builds = await api.listDiskBuilds();
      if (request !== this.#latestRequest) return;
      this.builds = builds;
      this.error = undefined;
    } catch (err: unknown) {
      if (request !== this.#latestRequest) return;
      this.error = errorMessage(err);
    }
  }

  /** Loads now and on every change; returns the function that stops following. */
  start(): () => void {
    void this.load();
    return refreshOnPush(
      subscribe,
      [PUSH_CHANNELS.diskBuildsChanged],
      () => void this.load(),
      BUILDS_DEBOUNCE_MS,
      BUILDS_MAX_WAIT_MS,
    );
  }
}

/** One build's record, re-read on every `diskBuildsChanged` push (the details page). */
export class DiskBuildFeed {
  build: DiskBuildRecord | undefined = $state.raw();
  error: string | undefined = $state();
  /** Counts the answers, so that whatever follows the record (the log) knows it was re-read. */
  version = $state(0);
  readonly #id: string;
  #latestRequest = 0;

  constructor(id: string) {
    this.#id = id;
  }

  async load(): Promise<void> {
    const request = ++this.#latestRequest;
    try {
      const build = await api.getDiskBuild(this.#id);
      if (request !== this.#latestRequest) return;
      this.build = build;
      this.error = undefined;
      this.version++;
    } catch (err: unknown) {
      if (request !== this.#latestRequest) return;
      this.error = errorMessage(err);
    }
  }

  start(): () => void {
    void this.load();
    return refreshOnPush(
      subscribe,
      [PUSH_CHANNELS.diskBuildsChanged],
      () => void this.load(),
      BUILDS_DEBOUNCE_MS,
      BUILDS_MAX_WAIT_MS,
    );
  }
}
