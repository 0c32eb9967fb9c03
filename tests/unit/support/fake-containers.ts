import type { ContainerRuntime, ContainerSpec, ContainerSummary } from '../../../src/engine/container-runtime';
import { CancelledError, EngineError } from '../../../src/engine/container-engine';

/** A container of the fake runtime; the test drives it: `write` output, `exit` with a code. */
export class FakeContainer {
  state: ContainerSummary['state'] = 'created';
  exitCode: number | undefined;
  output = '';
  readonly #listeners = new Set<(text: string) => void>();
  readonly #exitListeners = new Set<(code: number) => void>();

  constructor(
    readonly id: string,
    readonly spec: ContainerSpec,
  ) {}

  write(text: string): void {
    this.output += text;
    for (const listener of this.#listeners) listener(text);
  }

  exit(code: number): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.exitCode = code;
    for (const listener of this.#exitListeners) listener(code);
  }

  onText(listener: (text: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onExit(listener: (code: number) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  summary(): ContainerSummary {
    return {
      id: this.id,
      name: this.spec.name ?? this.id,
      image: this.spec.image,
      state: this.state,
      labels: { ...this.spec.labels },
      ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
    };
  }
}

/**
 * A ContainerRuntime in memory that records every call. `onStart` scripts what a started container
 * does (default: nothing until the test writes and exits it). Stop makes it exit 143; remove
 * deletes it (exit 137 if it ran).
 */
export class FakeContainers implements ContainerRuntime {
  calls: { method: string; args: unknown[] }[] = [];
  containers = new Map<string, FakeContainer>();
  onStart: (container: FakeContainer) => void = () => undefined;
  #next = 0;

  async createContainer(engineId: string, spec: ContainerSpec): Promise<string> {
    this.calls.push({ method: 'createContainer', args: [engineId, spec] });
    const id = `c${++this.#next}`;
    this.containers.set(id, new FakeContainer(id, spec));
    return id;
  }

  async startContainer(engineId: string, id: string): Promise<void> {
    this.calls.push({ method: 'startContainer', args: [engineId, id] });
    const container = this.#get(id);
    // The test images have no bootc: `bootc container lint` cannot even start in them.
    if (container.spec.labels['io.bootc-studio.lint']) {
      throw new EngineError('exec: "bootc": executable file not found in $PATH');
    }
    container.state = 'running';
    this.onStart(container);
  }

  followContainerLogs(
    engineId: string,
    id: string,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.calls.push({ method: 'followContainerLogs', args: [engineId, id] });
    const container = this.#get(id);
    if (container.output) onText(container.output);
    if (container.state === 'exited' || signal?.aborted) return Promise.resolve();
    return new Promise(resolve => {
      const stopText = container.onText(onText);
      const done = () => {
        stopText();
        stopExit();
        resolve();
      };
      const stopExit = container.onExit(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  waitContainer(engineId: string, id: string, signal?: AbortSignal): Promise<number> {
    this.calls.push({ method: 'waitContainer', args: [engineId, id] });
    const container = this.containers.get(id);
    if (!container) return Promise.reject(new EngineError(`no container ${id}`, 404));
    if (container.state === 'exited') return Promise.resolve(container.exitCode ?? 0);
    if (signal?.aborted) return Promise.reject(new CancelledError('cancelled'));
    return new Promise((resolve, reject) => {
      const stop = container.onExit(code => resolve(code));
      signal?.addEventListener(
        'abort',
        () => {
          stop();
          reject(new CancelledError('cancelled'));
        },
        { once: true },
      );
    });
  }

  async stopContainer(engineId: string, id: string, timeoutSeconds?: number): Promise<void> {
    this.calls.push({ method: 'stopContainer', args: [engineId, id, timeoutSeconds] });
    const container = this.containers.get(id);
    if (container && container.state !== 'exited') {
      container.write('Received signal, stopping\n');
      container.exit(143);
    }
  }

  async removeContainer(engineId: string, id: string): Promise<void> {
    this.calls.push({ method: 'removeContainer', args: [engineId, id] });
    const container = this.containers.get(id);
    if (!container) return;
    container.exit(137);
    this.containers.delete(id);
  }

  async listContainers(engineId: string, label: string): Promise<ContainerSummary[]> {
    this.calls.push({ method: 'listContainers', args: [engineId, label] });
    const [key, value] = label.split('=');
    return [...this.containers.values()]
      .filter(
        container => key in container.spec.labels && (value === undefined || container.spec.labels[key] === value),
      )
      .map(container => container.summary());
  }

  async inspectContainer(engineId: string, id: string): Promise<ContainerSummary> {
    this.calls.push({ method: 'inspectContainer', args: [engineId, id] });
    return this.#get(id).summary();
  }

  #get(id: string): FakeContainer {
    const container = this.containers.get(id);
    if (!container) throw new EngineError(`no container ${id}`, 404);
    return container;
  }
}

/** Container methods that refuse: for engine stand-ins of tests that run no container. */
export function noContainers(): ContainerRuntime {
  const refuse = async (): Promise<never> => {
    throw new EngineError('containers are not used here');
  };
  return {
    createContainer: refuse,
    startContainer: refuse,
    followContainerLogs: refuse,
    waitContainer: refuse,
    stopContainer: refuse,
    removeContainer: refuse,
    listContainers: async () => [],
    inspectContainer: refuse,
  };
}
