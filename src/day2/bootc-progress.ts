/**
 * bootc's `--progress-fd` events (JSON Lines, org.containers.bootc.progress/v1): `ProgressBytes`
 * while pulling (bytes of the layers), `ProgressSteps` while importing and staging. Read into one
 * percentage over the three stages — pulling counts for most of an update — and a message.
 * Lines that are not such events are the command's own output.
 */

import { formatBytes } from '../api/format';

export interface ProgressUpdate {
  percent: number;
  message: string;
}

/** Where each stage starts and how much of the whole it is, in percent. */
const STAGES: Record<string, [start: number, share: number]> = {
  pulling: [0, 80],
  importing: [80, 10],
  staging: [90, 10],
};

const ratio = (done: unknown, total: unknown): number | undefined =>
  typeof done === 'number' && typeof total === 'number' && total > 0
    ? Math.min(1, Math.max(0, done / total))
    : undefined;

/** The update a line brings, or undefined when it is not a progress event. */
export function progressOf(line: string): ProgressUpdate | undefined {
  if (!line.startsWith('{')) return undefined;
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (event.type !== 'ProgressBytes' && event.type !== 'ProgressSteps') return undefined;
  const task = typeof event.task === 'string' ? event.task : '';
  const [start, share] = STAGES[task] ?? [0, 100];
  const description = typeof event.description === 'string' && event.description ? event.description : task;
  const part =
    event.type === 'ProgressBytes'
      ? (ratio(event.bytes, event.bytesTotal) ?? ratio(event.steps, event.stepsTotal) ?? 0)
      : (ratio(event.steps, event.stepsTotal) ?? 0);
  const detail =
    event.type === 'ProgressBytes' &&
    typeof event.bytes === 'number' &&
    typeof event.bytesTotal === 'number' &&
    event.bytesTotal > 0
      ? `${formatBytes(event.bytes)} of ${formatBytes(event.bytesTotal)}`
      : typeof event.steps === 'number' && typeof event.stepsTotal === 'number' && event.stepsTotal > 0
        ? `${event.steps} of ${event.stepsTotal}`
        : '';
  return { percent: Math.round(start + share * part), message: detail ? `${description}: ${detail}` : description };
}

/** Whether the guest's bootc takes `--progress-fd` for this subcommand, from its `--help`. */
export function offersProgressFd(help: string): boolean {
  return /--progress-fd\b/.test(help);
}
