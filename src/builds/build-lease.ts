/**
 * A runner's hold on the build it runs: the lease (pid, host, heartbeat) renewed on a beat so
 * another process sees the runner alive, a cancel asked by another process noticed on the same
 * beat, and the build's time limit. On detach the lease is handed over or left for the next runner.
 */

import { hostname } from 'node:os';

import { errorMessage } from '../api/errors';
import type { BuildStore, RunnerLease } from './build-store';
import { describeDuration } from './build-record';

export interface LeaseDeps {
  store: BuildStore;
  now(): number;
  heartbeatMs: number;
  warn(message: string): void;
}

export class BuildLease {
  readonly #lease: RunnerLease;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #released = false;

  constructor(
    private readonly deps: LeaseDeps,
    private readonly id: string,
    lease: Omit<RunnerLease, 'pid' | 'host' | 'heartbeat'>,
  ) {
    this.#lease = { ...lease, pid: process.pid, host: hostname(), heartbeat: deps.now() };
  }

  get configDir(): string | undefined {
    return this.#lease.configDir;
  }

  /** The config's private dir, recorded before anything is written into it (whoever ends the build removes it). */
  async rememberConfigDir(dir: string): Promise<void> {
    this.#lease.configDir = dir;
    await this.deps.store.writeLease(this.id, this.#lease);
  }

  /** Takes the lease and starts the beat; `onCancelRequested` when another process asks to cancel. */
  async begin(onCancelRequested: () => void): Promise<void> {
    await this.deps.store.writeLease(this.id, this.#lease);
    this.#heartbeat = setInterval(() => void this.#tick(onCancelRequested), this.deps.heartbeatMs);
    this.#heartbeat.unref?.();
  }

  async #tick(onCancelRequested: () => void): Promise<void> {
    if (!this.#released) {
      this.#lease.heartbeat = this.deps.now();
      await this.deps.store
        .writeLease(this.id, this.#lease)
        .catch((error: unknown) => this.deps.warn(`Cannot renew the lease of ${this.id}: ${errorMessage(error)}`));
    }
    if (await this.deps.store.cancelRequested(this.id)) onCancelRequested();
  }

  /** Stops renewing (the runner is letting go); the beat still hears a cancel. */
  stopRenewing(): void {
    this.#released = true;
  }

  /** Arms the time limit, counted from `started`; `expire` gets the reason. */
  armDeadline(started: number, expire: (error: string) => void): void {
    const limit = this.#lease.timeoutMs;
    if (!limit || limit <= 0) return;
    const left = started + limit - this.deps.now();
    const fire = () => expire(`timed out after ${describeDuration(limit)}`);
    if (left <= 0) fire();
    else {
      this.#deadline = setTimeout(fire, left);
      this.#deadline.unref?.();
    }
  }

  stopTimers(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#heartbeat = undefined;
    this.#deadline = undefined;
  }

  /** The build ended: no cancel request and no lease remain. */
  async end(): Promise<void> {
    await this.deps.store.removeCancelRequest(this.id).catch(() => undefined);
    await this.deps.store
      .removeLease(this.id)
      .catch((error: unknown) => this.deps.warn(`Cannot remove the lease of ${this.id}: ${errorMessage(error)}`));
  }

  /**
   * The runner lets go while the builder goes on: the lease goes to `handoffPid` (a process that
   * takes it over), or is left with what the next runner needs (config dir, time limit) and no
   * heartbeat, so that it is free to take.
   */
  async release(handoffPid?: number): Promise<void> {
    this.#released = true;
    this.stopTimers();
    const lease =
      handoffPid !== undefined
        ? { ...this.#lease, pid: handoffPid, heartbeat: this.deps.now() }
        : { ...this.#lease, pid: 0, heartbeat: 0 };
    await this.deps.store.writeLease(this.id, lease).catch(() => undefined);
  }
}
