/**
 * podman's answers (libpod JSON) in the port's words: image lists, inspects, manifest members.
 * Pure, so the odd fields (null lists, `<none>` placeholders, seconds or RFC 3339 times) are tested
 * without a service.
 */

import type { EngineImage, EngineInfo, ImageDetails, ManifestMember } from '../container-engine';

export function toEngineImage(raw: Record<string, unknown>, engine: EngineInfo): EngineImage {
  const image: EngineImage = {
    id: String(raw.Id ?? ''),
    engineId: engine.id,
    engineName: engine.name,
    repoTags: references(raw.RepoTags),
    repoDigests: references(raw.RepoDigests),
    labels: labelsOf(raw.Labels),
    size: numberOr(raw.Size, numberOr(raw.VirtualSize, 0)),
    created: toMillis(raw.Created),
  };
  const digest = optionalString(raw.Digest);
  if (digest) image.digest = digest;
  // podman ≥ 5.1 lists the architecture and whether an image is a manifest list; podman 4 does not.
  const arch = optionalString(raw.Arch);
  if (arch) image.arch = arch;
  if (typeof raw.IsManifestList === 'boolean') image.isManifestList = raw.IsManifestList;
  return image;
}

export function toImageDetails(raw: Record<string, unknown>, engineId: string): ImageDetails {
  const config = asRecord(raw.Config);
  const details: ImageDetails = {
    id: String(raw.Id ?? ''),
    engineId,
    repoTags: references(raw.RepoTags),
    repoDigests: references(raw.RepoDigests),
    labels: labelsOf(raw.Labels ?? config.Labels),
    arch: optionalString(raw.Architecture) ?? '',
    os: optionalString(raw.Os) ?? '',
    size: numberOr(raw.Size, numberOr(raw.VirtualSize, 0)),
    created: toMillis(raw.Created),
  };
  const variant = optionalString(raw.Variant);
  if (variant) details.variant = variant;
  const digest = optionalString(raw.Digest);
  if (digest) details.digest = digest;
  return details;
}

export function toManifestMember(raw: Record<string, unknown>): ManifestMember {
  const platform = asRecord(raw.platform);
  const member: ManifestMember = {
    digest: String(raw.digest ?? ''),
    arch: optionalString(platform.architecture) ?? 'unknown',
    os: optionalString(platform.os) ?? 'unknown',
  };
  const variant = optionalString(platform.variant);
  if (variant) member.variant = variant;
  return member;
}

/** Tags or digests without podman's and Docker's `<none>` placeholders; null means none. */
function references(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === 'string' && item !== '' && !item.startsWith('<none>'));
}

function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, item] of Object.entries(asRecord(value))) {
    if (typeof item === 'string') labels[key] = item;
  }
  return labels;
}

/**
 * Milliseconds since the epoch from podman's two forms: seconds (image lists) or an RFC 3339
 * string (inspect). 0 when absent or unparseable.
 */
export function toMillis(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Seconds until the year 5138; anything larger is already milliseconds.
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value === 'string' && value !== '') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? 0 : parsed;
  }
  return 0;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
