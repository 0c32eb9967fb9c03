/**
 * The builder's output on its way into a build: secrets masked → the progress parser (percentage
 * and step) → the build's own log (without the lines it already has, after a take-over) → the last
 * few lines, kept for a failure message. The same pipeline serves every builder process.
 */

import { LineSkipper } from './build-log';
import { BuildProgressParser } from './build-progress';
import { createLogRedactor } from './secret-masking';

const TAIL_LINES = 5;

export interface OutputSink {
  /** Stopped (cancel, time limit): what the builder still prints is logged, not progress. */
  stopping(): boolean;
  progress(percent: number | undefined, message: string | undefined): void;
  /** Masked output for the log. */
  write(text: string): void;
  changed(): void;
}

/** What the output said once it ended. */
export interface OutputEnd {
  /** The builder's own words for why it failed, when the parser recognised them. */
  failureReason?: string;
  /** The last non-empty lines. */
  tail: string[];
}

export interface BuildOutput {
  push(raw: string): void;
  /** Flushes what is buffered; call once, after the last push. */
  end(): OutputEnd;
}

/** `skipLines`: the log already holds the builder's first lines (a take-over replays from the start). */
export function createBuildOutput(sink: OutputSink, skipLines: number): BuildOutput {
  const redactor = createLogRedactor();
  const parser = new BuildProgressParser();
  const skipper = new LineSkipper(skipLines);
  const tail: string[] = [];
  const progress = (updates: Iterable<{ percent?: number; message?: string }>) => {
    for (const update of updates) {
      if (sink.stopping()) continue;
      sink.progress(update.percent, update.message);
    }
  };
  const take = (text: string) => {
    if (!text) return;
    progress(parser.push(text));
    sink.write(skipper.push(text));
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      tail.push(line.trim());
      if (tail.length > TAIL_LINES) tail.shift();
    }
    sink.changed();
  };
  return {
    push: raw => take(redactor.push(raw).replace(/\r\n/g, '\n')),
    end: () => {
      take(redactor.end().replace(/\r\n/g, '\n'));
      progress(parser.end());
      return { ...(parser.failureReason ? { failureReason: parser.failureReason } : {}), tail };
    },
  };
}
