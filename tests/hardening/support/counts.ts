/**
 * The hardening suite's counts (cases tried, crashes survived, files scanned, sockets listed, load
 * held): each spec adds what it proved with `addCount`, and the project's global teardown
 * (`print-counts.ts`) prints the totals at the end of the run.
 */

import { appendFileSync } from 'node:fs';

import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    hardeningCountsFile: string;
  }
}

export interface CountLine {
  /** What was counted, e.g. "hostile inputs refused". */
  what: string;
  count: number;
  /** Which spec counted it. */
  spec: string;
  /** Anything worth quoting beside the count (figures, "heap 41 → 43 MB"). */
  detail?: string;
}

/** Adds `count` to the total of `what`; call it once a spec has proved the cases it counts. */
export function addCount(spec: string, what: string, count: number, detail?: string): void {
  const line: CountLine = { what, count, spec, ...(detail ? { detail } : {}) };
  appendFileSync(inject('hardeningCountsFile'), `${JSON.stringify(line)}\n`);
}
