/**
 * The container part of the engine port: what a disk build needs to run the builder — create a
 * container with binds, named volumes and privileges, start it, follow its log, wait for its exit,
 * stop and remove it, find it again by label after a restart — plus the engine facts a plan needs.
 * Both adapters implement it (ContainerEngine extends it).
 */

export interface ContainerSpec {
  /** A name for the container; the engine picks one when absent. */
  name?: string;
  image: string;
  /** The command, as an argv array (the image's entrypoint runs it). */
  cmd: string[];
  /** `host-path:container-path[:options]` bind mounts. */
  binds: string[];
  /** Named volumes, created when missing: `{ name, target }`. */
  volumes: { name: string; target: string }[];
  privileged: boolean;
  /** e.g. `label=type:unconfined_t`. */
  securityOpt: string[];
  labels: Record<string, string>;
  /** `KEY=value`; never secrets (they would show in `podman inspect`). */
  env?: string[];
  /** `none`: the container gets no network at all (a check that must not reach out). */
  network?: 'none';
  /**
   * Files written into the container after it is created and before it starts (`path` absolute in
   * the container): how a config reaches an engine on another machine, where a bind of a local
   * file cannot. Not shown by `podman inspect`; gone with the container.
   */
  files?: { path: string; content: string; mode: number }[];
  /**
   * Seconds a stop waits after SIGTERM before SIGKILL when the stop itself names no timeout (Podman
   * Desktop's stopContainer names none). Default 10: podman's compat API otherwise records 0, and
   * such a stop kills at once.
   */
  stopTimeoutSeconds?: number;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'stopped' | 'paused' | 'unknown';

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  labels: Record<string, string>;
  /** The exit code once the container has exited. */
  exitCode?: number;
}

export interface ContainerRuntime {
  /** Creates the container without starting it; returns its id. */
  createContainer(engineId: string, spec: ContainerSpec): Promise<string>;
  startContainer(engineId: string, id: string): Promise<void>;
  /**
   * Follows the container's output (stdout and stderr, as text, in order) from its start until it
   * exits or `signal` aborts; resolves then. Lines may end in `\r\n` (an adapter that runs
   * containers with a TTY).
   */
  followContainerLogs(
    engineId: string,
    id: string,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Waits for the container to exit; resolves with its exit code. */
  waitContainer(engineId: string, id: string, signal?: AbortSignal): Promise<number>;
  /** Stops the container (SIGTERM, then SIGKILL after `timeoutSeconds`); a stopped or missing one is fine. */
  stopContainer(engineId: string, id: string, timeoutSeconds?: number): Promise<void>;
  /** Removes the container (forced); a missing one is fine. Named volumes stay. */
  removeContainer(engineId: string, id: string): Promise<void>;
  /** Containers (running or not) carrying `label` (`key` or `key=value`). */
  listContainers(engineId: string, label: string): Promise<ContainerSummary[]>;
  inspectContainer(engineId: string, id: string): Promise<ContainerSummary>;
}

/** Docker's and podman's state words as the port's. */
export function containerState(value: unknown): ContainerState {
  switch (typeof value === 'string' ? value.toLowerCase() : '') {
    case 'created':
    case 'configured':
    case 'initialized':
      return 'created';
    case 'running':
    case 'restarting':
      return 'running';
    case 'paused':
      return 'paused';
    case 'exited':
    case 'dead':
      return 'exited';
    case 'stopped':
    case 'stopping':
    case 'removing':
      return 'stopped';
    default:
      return 'unknown';
  }
}
