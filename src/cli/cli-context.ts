import type { AdminRunner } from '../platform/admin';
import type { ContainerEngine } from '../engine/container-engine';

/** Bad input: a flag, argument or value the CLI cannot accept. Exit code 2; nothing is started. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Relative paths in arguments resolve against this. Default: process.cwd(). */
  cwd?: string;
  /** The terminal's input, for the commands that attach to something (a VM's console). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt?(handler: () => void): () => void;
}

/** What every command receives: the global options, resolved, and the engine on demand. */
export interface CliContext {
  io: CliIo;
  json: boolean;
  storeDir: string;
  /** `--url` as given (undefined: CONTAINER_HOST or the standard sockets). */
  url?: string;
  /**
   * Starts `bootc-studio ARGS…` as a detached background process that outlives this one; its pid.
   * Undefined where that is not possible (tests).
   */
  spawnDetached?(args: string[]): number | undefined;
  /** Connects to the engine (`--url`, else CONTAINER_HOST, else the standard podman sockets). */
  engine(): Promise<ContainerEngine>;
  /** Linux: how a build on a rootless engine runs its hand-off to root's podman. */
  handoff?: { admin: AdminRunner };
}

export type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean; description: string };

export interface CliCommand {
  /** Words of the command, e.g. `images` or `disk build`. */
  name: string;
  summary: string;
  /** The argument part of the usage line, e.g. `IMAGE --output DIR`. */
  usage?: string;
  options?: Record<string, OptionSpec>;
  /** Left out of the command list (internal commands, e.g. `disk attach`). */
  hidden?: boolean;
  /** How many positional arguments after the command words: [min, max]. */
  positionals?: [number, number];
  run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number>;
}
