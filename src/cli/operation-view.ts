/**
 * How the CLI shows a running image operation: its log streamed as it grows, and for pushes and
 * pulls a progress bar redrawn in place on a terminal (plain lines otherwise, so logs and CI output
 * stay readable). With --json the log goes to stderr and stdout holds only the final record.
 */

import type { ImageOperation } from '../api/image-operations';
import type { ImageOperations } from '../images/image-operations';
import type { CliIo } from './cli-context';

export interface OperationViewOptions {
  json: boolean;
}

export class OperationView {
  #next = 0;
  /** The last log line printed, so the closing message is not printed twice. */
  lastLine: string | undefined;
  #barShown = false;
  #lastBar = '';
  readonly #out: CliIo['stdout'];
  readonly #tty: boolean;

  constructor(
    io: CliIo,
    private readonly operations: ImageOperations,
    private readonly id: string,
    options: OperationViewOptions,
  ) {
    this.#out = options.json ? io.stderr : io.stdout;
    this.#tty = options.json ? io.stderr.isTTY === true : io.stdout.isTTY === true;
  }

  /** Prints what is new: log lines, then the bar (terminal only, pushes and pulls). */
  update(operation: ImageOperation): void {
    const { lines, next } = this.operations.readLog(this.id, this.#next);
    this.#next = next;
    if (lines.length > 0) {
      this.lastLine = lines.at(-1);
      this.#clearBar();
      this.#out.write(`${lines.join('\n')}\n`);
    }
    if (this.#tty && operation.kind !== 'build' && operation.status === 'running') this.#drawBar(operation);
  }

  /** Flushes the rest of the log and removes the bar. */
  finish(operation: ImageOperation): void {
    this.update(operation);
    this.#clearBar();
  }

  #drawBar(operation: ImageOperation): void {
    const bar = progressLine(operation, Math.max(40, (this.#out.columns ?? 80) - 1));
    if (bar === this.#lastBar && this.#barShown) return;
    this.#out.write(`\r\x1b[2K${bar}`);
    this.#barShown = true;
    this.#lastBar = bar;
  }

  #clearBar(): void {
    if (!this.#barShown) return;
    this.#out.write('\r\x1b[2K');
    this.#barShown = false;
  }
}

/** `[=========>          ] 45%  3/7 layers`; without byte counts, layers done of seen. */
export function progressLine(operation: ImageOperation, width: number): string {
  const done = operation.layers.filter(
    layer =>
      (layer.total !== undefined && layer.current === layer.total) ||
      /pushed|exists|complete|done|skipped/i.test(layer.status),
  ).length;
  const layers = operation.layers.length > 0 ? `  ${done}/${operation.layers.length} layers` : '';
  const percent = operation.percent;
  const label = percent === undefined ? ' …' : ` ${String(percent).padStart(3)}%`;
  const room = Math.max(10, Math.min(40, width - label.length - layers.length - 2));
  const filled = percent === undefined ? 0 : Math.round((percent / 100) * room);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(room - filled)}]`;
  return `${bar}${label}${layers}`.slice(0, width);
}
