import type { DiskBuildRecord } from '../../src/api/disk-builds';
import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import { api } from '../rpc';
import { PushFeed } from './push-feed.svelte';

/** Re-reads after a burst of `diskBuildsChanged` pushes, and at least this often while they keep coming. */
export const BUILDS_DEBOUNCE_MS = 100;
export const BUILDS_MAX_WAIT_MS = 500;

/**
 * Every disk build, as the backend's store has it. The page pulls the list when it mounts and again
 * whenever a push says it changed: Podman Desktop may have destroyed the page in between.
 */
export class DiskBuildsFeed extends PushFeed<DiskBuildRecord[]> {
  builds: DiskBuildRecord[] | undefined = $state.raw();

  constructor() {
    super(PUSH_CHANNELS.diskBuildsChanged, BUILDS_DEBOUNCE_MS, BUILDS_MAX_WAIT_MS);
  }

  protected fetch(): Promise<DiskBuildRecord[]> {
    return api.listDiskBuilds();
  }

  protected accept(builds: DiskBuildRecord[]): void {
    this.builds = builds;
  }
}

/** One build's record, re-read on every `diskBuildsChanged` push (the details page). */
export class DiskBuildFeed extends PushFeed<DiskBuildRecord> {
  build: DiskBuildRecord | undefined = $state.raw();
  /** Counts the answers, so that whatever follows the record (the log) knows it was re-read. */
  version = $state(0);
  readonly #id: string;

  constructor(id: string) {
    super(PUSH_CHANNELS.diskBuildsChanged, BUILDS_DEBOUNCE_MS, BUILDS_MAX_WAIT_MS);
    this.#id = id;
  }

  protected fetch(): Promise<DiskBuildRecord> {
    return api.getDiskBuild(this.#id);
  }

  protected accept(build: DiskBuildRecord): void {
    this.build = build;
    this.version++;
  }
}

/** What the last delete left behind and why, shown by the Disk Images page (the details page navigates there). */
export const deleteNotice: { text: string | undefined } = $state({ text: undefined });
