/**
 * Reads the builder's log as it streams and turns it into progress: a real percentage from osbuild's
 * step counts, the current stage as the message, and a short reason when the build fails.
 *
 * The builder runs with `--progress debug` (see builder-plan.ts), which prints, for every osbuild status:
 *
 *     [2 / 7] Pipeline image            ← pipelines done / pipelines + sources
 *       [5 / 14] Stage org.osbuild.rpm  ← stages done / stages of that pipeline (two spaces per level)
 *     msg: Starting module org.osbuild.rpm
 *
 * plus `pulse: …` / `msg: …` lines for the builder's own steps (`Generating manifest manifest-qcow2.json`,
 * `Building manifest-qcow2.json`, `Build complete!`, `Results saved in /output`). The percentage is
 * (pipelines done + stages done / stages) / pipelines total, never lower than before, and at most 99 until
 * `Build complete!`. Without step counts (a `verbose` builder) the percentage stays where it is and the
 * stage names (`org.osbuild.rpm: <id> {…}`) still give the message.
 */

export interface BuildProgressUpdate {
  /** 0–100; 100 only once the builder said `Build complete!`. */
  percent: number;
  message: string;
  /** The osbuild stage running, e.g. `org.osbuild.rpm`. */
  stage?: string;
  /** The osbuild pipeline running, e.g. `image`. */
  pipeline?: string;
}

interface Count {
  done: number;
  total: number;
}

interface Failure {
  reason: string;
  /** Higher wins: a known cause beats "osbuild failed in stage X", which beats a bare error line. */
  rank: number;
}

/** Known causes, as the builder words them (bootc-image-builder/image-builder setup checks, osbuild, the kernel). */
const KNOWN_FAILURES: { pattern: RegExp; reason: (match: RegExpExecArray) => string }[] = [
  {
    pattern: /no space left on device/i,
    reason: () =>
      'no space left on device: free space in the output folder and in the engine’s storage (podman machine disk), then retry',
  },
  {
    pattern: /must be run in rootful \(not rootless\) podman/,
    reason: () => 'the builder must run on a rootful podman: this engine is rootless',
  },
  {
    pattern: /requires a privileged container/,
    reason: () => 'the builder container was not privileged',
  },
  {
    pattern: /cannot find "\/var\/lib\/containers\/storage\/overlay"|could not access container storage/,
    reason: () =>
      'the engine’s image storage is not mounted at /var/lib/containers/storage, or it is not an overlay store',
  },
  {
    pattern: /image (\S+) is not a bootc image/,
    reason: match => `${match[1]} is not a bootc image (it lacks the containers.bootc=1 label)`,
  },
  {
    pattern: /no longer pulls images/,
    reason: () => 'the image is not in the engine’s storage: pull it on that engine, then retry',
  },
  {
    pattern: /cannot run canary binary|qemu-user-static/,
    reason: () => 'building for another architecture needs qemu-user-static on the engine’s machine',
  },
  {
    pattern: /no default fs set|root filesystem type (?:is )?not set|no root filesystem type/i,
    reason: () => 'the image has no default root filesystem: choose xfs, ext4 or btrfs',
  },
  {
    pattern: /cannot build iso for different target arches/,
    reason: () => 'an ISO cannot be built for another architecture than the engine’s',
  },
];

const KNOWN_RANK = 3;
const STAGE_RANK = 2;
const ERROR_LINE_RANK = 1;
const MAX_REASON = 240;

/** Terminal colour and cursor sequences (ESC [ … letter). */
const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]`, 'g');
const STEP = /^( *)\[(\d+) \/ (\d+)\] ?(.*)$/;
const STAGE_NAME = /\b(org\.osbuild\.[A-Za-z0-9_.-]+)/;

export class BuildProgressParser {
  private pending = '';
  private levels: Count[] = [];
  private bestPercent = 0;
  private complete = false;
  private lastMessage = '';
  private stage: string | undefined;
  private pipeline: string | undefined;
  private failure: Failure | undefined;
  private resultsIn: string | undefined;
  private awaitingResultsDir = false;
  private reported = -1;

  /** Feeds a chunk of log text (lines may be split anywhere); returns one update per change. */
  push(chunk: string): BuildProgressUpdate[] {
    const text = this.pending + chunk;
    const lines = text.split(/\r\n|\n|\r/);
    this.pending = lines.pop() ?? '';
    return lines.flatMap(line => this.line(line));
  }

  /** The log ended: reads a last line that had no newline. */
  end(): BuildProgressUpdate[] {
    const last = this.pending;
    this.pending = '';
    return last ? this.line(last) : [];
  }

  get percent(): number {
    return this.complete ? 100 : this.bestPercent;
  }

  get message(): string {
    return this.lastMessage;
  }

  /** The builder printed `Build complete!`. */
  get completed(): boolean {
    return this.complete;
  }

  /** The folder the builder named in `Results saved in …` (inside the container). */
  get resultsDir(): string | undefined {
    return this.resultsIn;
  }

  /** Why the build failed, in one line fit for a notification; undefined while nothing failed. */
  get failureReason(): string | undefined {
    return this.failure?.reason;
  }

  private line(raw: string): BuildProgressUpdate[] {
    const line = raw.replace(ANSI, '').replace(/\s+$/, '');
    if (!line.trim()) return [];
    this.noteFailure(line);
    if (this.awaitingResultsDir) {
      this.awaitingResultsDir = false;
      if (line.startsWith('/')) {
        this.resultsIn = line.trim();
        return this.update(`Results saved in ${this.resultsIn}`);
      }
    }
    const step = STEP.exec(line);
    if (step) return this.step(Math.floor(step[1].length / 2), Number(step[2]), Number(step[3]), step[4]);

    const text = line.replace(/^(?:msg|pulse): /, '').trim();
    const starting = /^Starting (module|pipeline) (\S+)/.exec(text);
    if (starting) {
      if (starting[1] === 'module') this.stage = starting[2];
      else this.pipeline = starting[2];
      return this.update(this.stage ?? `Pipeline ${this.pipeline}`);
    }
    if (text === 'Build complete!') {
      this.complete = true;
      this.stage = undefined;
      return this.update('Build complete');
    }
    const results = /^Results saved in\s*(.*)$/.exec(text);
    if (results) {
      if (results[1]) this.resultsIn = results[1].trim();
      else this.awaitingResultsDir = true;
      return this.update(text);
    }
    if (
      /^(?:Generating manifest|Done generating manifest|Building manifest|Manifest generation step|Disk image building step|Image building step|Uploading)/.test(
        text,
      )
    ) {
      return this.update(text);
    }
    // A `verbose` builder: osbuild's own log names each stage as `org.osbuild.x: <id> {`.
    const pipelineHeader = /^Pipeline (\S+): [0-9a-f]{64}/.exec(text);
    if (pipelineHeader) {
      this.pipeline = pipelineHeader[1];
      return [];
    }
    const stageHeader = /^(org\.osbuild\.[A-Za-z0-9_.-]+): [0-9a-f]{64}/.exec(text);
    if (stageHeader) {
      this.stage = stageHeader[1];
      return this.update(this.stage);
    }
    return [];
  }

  private step(level: number, done: number, total: number, label: string): BuildProgressUpdate[] {
    if (total <= 0 || done < 0) return [];
    if (level > this.levels.length) return []; // a sub-level before its parent: not a real status line
    // A new count at this level makes every deeper one stale (osbuild resets sub-progress on each step).
    this.levels = [...this.levels.slice(0, level), { done: Math.min(done, total), total }];
    const pipeline = /^Pipeline (\S+)/.exec(label);
    if (pipeline) this.pipeline = pipeline[1];
    const stage = STAGE_NAME.exec(label);
    if (stage) this.stage = stage[1];
    let fraction = 0;
    for (let i = this.levels.length - 1; i >= 0; i--) {
      fraction = (this.levels[i].done + fraction) / this.levels[i].total;
    }
    const percent = Math.min(99, Math.floor(fraction * 100));
    if (percent > this.bestPercent) this.bestPercent = percent;
    return this.update(this.stage ?? (this.pipeline ? `Pipeline ${this.pipeline}` : this.lastMessage));
  }

  private update(message: string): BuildProgressUpdate[] {
    const update: BuildProgressUpdate = {
      percent: this.percent,
      message,
      ...(this.stage ? { stage: this.stage } : {}),
      ...(this.pipeline ? { pipeline: this.pipeline } : {}),
    };
    const changed = message !== this.lastMessage || update.percent !== this.reported;
    this.lastMessage = message;
    this.reported = update.percent;
    return changed ? [update] : [];
  }

  private noteFailure(line: string) {
    for (const known of KNOWN_FAILURES) {
      const match = known.pattern.exec(line);
      if (match) return this.fail(known.reason(match), KNOWN_RANK);
    }
    if (/manifest - failed|osbuild failed|error running osbuild|cannot run osbuild/.test(line)) {
      const where = this.stage ? ` in stage ${this.stage}${this.pipeline ? ` (pipeline ${this.pipeline})` : ''}` : '';
      return this.fail(`osbuild failed${where}`, STAGE_RANK);
    }
    const error = /(?:^|\s)(?:error|Error|ERROR):\s+(.+)$/.exec(line);
    if (error) this.fail(error[1], ERROR_LINE_RANK);
  }

  private fail(reason: string, rank: number) {
    // The first error of a rank is the cause; later ones of the same rank are usually its echo.
    if (this.failure && this.failure.rank >= rank) return;
    const short = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
    this.failure = { reason: short, rank };
  }
}
