/**
 * What podman and Docker say while they build, push and pull, turned into the port's words. Pure
 * functions over the JSON objects of their streams, so every shape is unit-tested without an engine:
 *
 * - Docker's (and podman 5's compat) progress: `{status, id, progressDetail: {current, total}}`,
 *   `{status: "1: digest: sha256:… size: 528"}`, `{error, errorDetail: {message}}`;
 * - podman's libpod streams: `{stream: "Copying blob sha256:…\n"}`, `{error}`, and a pull's final
 *   `{id, images}`; builds: `{stream}`, `{aux: {ID}}`, `{error, errorDetail}`.
 *
 * TransferReport is the one thin shell: it hands a push's or pull's events to the port's sink.
 */

import type { LayerUpdate, TransferSink } from './container-engine';

export interface TransferEvent {
  /** Text for the log (one or more lines). */
  log?: string;
  layer?: LayerUpdate;
  /** The engine's or the registry's refusal, as it said it. */
  error?: string;
  /** A manifest digest the engine reported (a push's result). */
  digest?: string;
  /** The image id a pull resulted in. */
  imageId?: string;
}

/** Statuses after which a layer needs no more transfer. */
const DONE_STATUSES = [
  'pushed',
  'layer already exists',
  'already exists',
  'download complete',
  'pull complete',
  'mounted from',
  'skipped',
];

/** One event of a push or pull stream, in either engine's shape. */
export function parseTransferEvent(raw: unknown): TransferEvent {
  const event = asRecord(raw);
  const error = errorOf(event);
  if (error !== undefined) return { error };

  const result: TransferEvent = {};
  if (typeof event.stream === 'string') {
    const text = event.stream.replace(/\r?\n$/, '');
    if (text.trim() !== '') result.log = text;
    const layer = layerFromCopyLine(text);
    if (layer) result.layer = layer;
  }
  if (typeof event.status === 'string' && event.status !== '') {
    const status = event.status.trim();
    const id = typeof event.id === 'string' && event.id !== '' ? shortId(event.id) : undefined;
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(status)?.[1];
    if (digest) result.digest = digest;
    if (id && !/^(latest|[\w.-]+): digest:/.test(status) && !isImageIdStatus(status)) {
      const detail = asRecord(event.progressDetail);
      const layer: LayerUpdate = { id, status: statusWord(status) };
      const current = finite(detail.current);
      const total = finite(detail.total);
      if (current !== undefined) layer.current = current;
      if (total !== undefined && total > 0) layer.total = total;
      if (isDone(status)) layer.done = true;
      result.layer = layer;
      // Byte ticks are progress, not log; the transitions are worth a line.
      if (current === undefined) result.log = `${id}: ${status}`;
    } else {
      result.log = id ? `${id}: ${status}` : status;
    }
  }
  if (typeof event.manifestdigest === 'string' && event.manifestdigest.startsWith('sha256:')) {
    result.digest = event.manifestdigest;
  }
  // libpod's pull ends with {id, images: [...]}; its compat pull says "Digest: …" and "Status: …".
  if (Array.isArray(event.images) && typeof event.id === 'string' && event.id !== '') result.imageId = event.id;
  return result;
}

/**
 * Hands a push's or pull's events to the sink as they come (log lines, layer updates) and keeps
 * what its end needs: the first error, the digest and the image id the stream named.
 */
export class TransferReport {
  error?: string;
  digest?: string;
  imageId?: string;

  constructor(private readonly sink: TransferSink) {}

  /** One event of the stream, in either engine's shape. */
  event(raw: unknown): void {
    const event = parseTransferEvent(raw);
    if (event.log !== undefined) for (const line of event.log.split(/\r?\n/)) this.sink.log(line);
    if (event.layer) this.sink.layer(event.layer);
    if (event.digest) this.digest = event.digest;
    if (event.imageId) this.imageId = event.imageId;
    if (event.error !== undefined && this.error === undefined) this.error = event.error;
  }

  /** A line of the stream that is not JSON: logged as it is. */
  text(line: string): void {
    this.sink.log(line);
  }
}

/** podman's `Copying blob sha256:abc…` lines (libpod push and pull streams, build pulls). */
export function layerFromCopyLine(line: string): LayerUpdate | undefined {
  const match = /^Copying blob (?:sha256:)?([0-9a-f]{12,64})(?:\s+(.*))?$/.exec(line.trim());
  if (!match) return undefined;
  const rest = (match[2] ?? '').trim();
  const done = rest === 'done' || /skipped|already exists/i.test(rest);
  const update: LayerUpdate = {
    id: shortId(match[1]),
    status: done ? (rest.includes('exists') ? 'Already exists' : 'Done') : 'Copying',
  };
  if (done) update.done = true;
  return update;
}

/** A build stream event: its log text, a step failure, or the image id it produced. */
export interface BuildEvent {
  log?: string;
  error?: string;
  imageId?: string;
}

export function parseBuildEvent(raw: unknown): BuildEvent {
  const event = asRecord(raw);
  const error = errorOf(event);
  if (error !== undefined) return { error };
  const result: BuildEvent = {};
  if (typeof event.stream === 'string' && event.stream !== '') result.log = event.stream;
  const aux = asRecord(event.aux);
  if (typeof aux.ID === 'string' && aux.ID !== '') result.imageId = aux.ID;
  return result;
}

/** The build step a line announces (`STEP 3/5: RUN dnf -y install httpd`, with a `[linux/arm64] ` prefix when several platforms build). */
export function buildStepOf(line: string): string | undefined {
  const match = /^(?:\[[^\]]+\] )?STEP \d+\/\d+: .*/.exec(line.trim());
  return match ? match[0] : undefined;
}

/**
 * The image id a build printed: the last full id line podman prints, or Docker's `Successfully
 * built <short id>`. Used where the engine gives no structured id (Podman Desktop's build events).
 */
export function imageIdFromBuildLog(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (/^(?:sha256:)?[0-9a-f]{64}$/.test(line)) return line.replace(/^sha256:/, '');
    const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(line);
    if (built) return built[1];
  }
  return undefined;
}

/**
 * One message for a failed build: podman's own names the step (`building at STEP "RUN false":
 * while running runtime: exit status 1`); where it does not, the last step seen is added. An
 * `exec format error` means the platform's binaries cannot run here without emulation.
 */
export function describeBuildFailure(
  error: string,
  lastStep: string | undefined,
  platforms: readonly string[],
): string {
  let message = error.trim().split('\n').filter(Boolean).join(' — ');
  if (lastStep && !message.includes('STEP')) message = `${lastStep.replace(/^\[[^\]]+\] /, '')} failed: ${message}`;
  if (/exec format error/i.test(message)) {
    message +=
      ` — the build runs programs for ${platforms.join(', ')}, which this engine can only run with emulation` +
      " (qemu-user-static with binfmt_misc on the engine's host); only steps without RUN can be built for a foreign platform without it";
  }
  return message;
}

/** `sha256:0123456789abcdef…` → `0123456789ab`, as engines show layer ids. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function statusWord(status: string): string {
  // "Mounted from library/x" → keep; "Pushing" / "Downloading" as they are.
  return status.length > 60 ? `${status.slice(0, 57)}…` : status;
}

function isDone(status: string): boolean {
  const lower = status.toLowerCase();
  return DONE_STATUSES.some(word => lower.startsWith(word));
}

/** Docker's pull reports `{status: "Pulling from x", id: "1"}` and the like, whose id is not a layer. */
function isImageIdStatus(status: string): boolean {
  return /^(Pulling from|Digest:|Status:|The push refers to)/.test(status);
}

function errorOf(event: Record<string, unknown>): string | undefined {
  const detail = asRecord(event.errorDetail);
  const message =
    (typeof event.error === 'string' && event.error) ||
    (typeof detail.message === 'string' && detail.message) ||
    undefined;
  return message === undefined ? undefined : message.trim();
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
