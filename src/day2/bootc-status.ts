/**
 * `bootc status --format=json` (or `--json` on guests older than bootc 0.1.13) read into our words.
 * The schema is bootc's `BootcHost` (camelCase): `spec.image` is the tracked image,
 * `status.{booted,staged,rollback}` are boot entries or null, each with `image.image.{image,transport}`,
 * `version`, `timestamp`, `imageDigest`, `architecture`, and `cachedUpdate` of the same shape.
 * Everything may be missing or null: a host not installed by bootc has `status.booted` null.
 */

import type { BootcHostStatus, DeployedImage, Deployment } from '../api/day2';

export class StatusParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatusParseError';
  }
}

type Json = Record<string, unknown>;

const object = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `{image: {image, transport}, version, timestamp, imageDigest, architecture}` → DeployedImage. */
function imageStatus(value: unknown): DeployedImage | undefined {
  const status = object(value);
  const reference = object(status?.image);
  const image = text(reference?.image);
  if (!status || !image) return undefined;
  return {
    image,
    transport: text(reference?.transport),
    version: text(status.version),
    timestamp: text(status.timestamp),
    digest: text(status.imageDigest),
    architecture: text(status.architecture),
  };
}

function deployment(value: unknown): Deployment | undefined {
  const entry = object(value);
  if (!entry) return undefined;
  return {
    image: imageStatus(entry.image),
    cachedUpdate: imageStatus(entry.cachedUpdate),
    incompatible: entry.incompatible === true,
    pinned: entry.pinned === true,
    downloadOnly: entry.downloadOnly === true,
  };
}

/** Parses the JSON text; throws StatusParseError when it is not a bootc host's status. */
export function parseBootcStatus(json: string, readAt = Date.now()): BootcHostStatus {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new StatusParseError(`bootc status printed something that is not JSON: ${json.trim().slice(0, 120)}`);
  }
  const host = object(document);
  if (!host || (host.kind !== undefined && host.kind !== 'BootcHost') || !object(host.status)) {
    throw new StatusParseError('bootc status printed JSON that is not a BootcHost');
  }
  const spec = object(host.spec);
  const status = object(host.status) as Json;
  const trackedRef = object(spec?.image);
  const tracked = text(trackedRef?.image)
    ? { image: text(trackedRef?.image) as string, transport: text(trackedRef?.transport) }
    : undefined;
  return {
    manager: 'bootc',
    tracked,
    booted: deployment(status.booted),
    staged: deployment(status.staged),
    rollback: deployment(status.rollback),
    rollbackQueued: status.rollbackQueued === true,
    readAt,
  };
}

/** The argv of a status read: the current flag, and the one guests before bootc 0.1.13 know. */
export const BOOTC_STATUS_COMMANDS = [
  ['bootc', 'status', '--format=json'],
  ['bootc', 'status', '--json'],
] as const;

/** Whether bootc refused the flag itself (an older bootc), not the status read. */
export function isUnknownFlag(stderr: string): boolean {
  return /unexpected argument|unrecognized option|unknown (option|flag|argument)|Found argument .* which wasn't expected/i.test(
    stderr,
  );
}
