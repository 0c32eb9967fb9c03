/**
 * `rpm-ostree status --json` read into our words. The document has `deployments[]`, newest first
 * (the first is what the next boot boots), each with `booted`, `staged`, `pinned`, `id`, `osname`,
 * `checksum`, `version`, `timestamp` (seconds since the epoch), and either an ostree `origin`
 * (`remote:ref`) or a `container-image-reference` (`ostree-unverified-registry:quay.io/me/os:1`,
 * `ostree-remote-image:fedora:docker://…`, `ostree-image-signed:docker://…`) with its
 * `container-image-reference-digest`; what the machine changed on top: `requested-packages` /
 * `packages`, `requested-local-packages`, `requested-base-removals` / `base-removals` (package
 * tuples `[nevra, name, epoch, version, release, arch]`), `requested-base-local-replacements` /
 * `base-local-replacements` (pairs of tuples: the package now, the image's). Top level, an update
 * found by `upgrade --check` is `cached-update`. Any field may be missing or null.
 */

import type {
  DeployedImage,
  PackageOverride,
  RpmOstreeDeployment,
  RpmOstreeHostStatus,
  SignatureChoice,
} from '../api/day2';
import { StatusParseError } from './bootc-status';

type Json = Record<string, unknown>;

const object = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** An ostree image reference taken apart: what is pulled, from where, verified how. */
export interface OstreeImageReference {
  signature: SignatureChoice;
  /** `registry` (docker://), `oci`, `oci-archive`, `containers-storage`, `dir`. */
  transport: string;
  /** The image (for registry) or path (oci, dir) without its transport. */
  image: string;
}

/** Reads `ostree-unverified-registry:REF`, `ostree-unverified-image:T:REF`, `ostree-image-signed:T:REF`, `ostree-remote-{image,registry}:REMOTE:…`. */
export function parseOstreeImageReference(reference: string): OstreeImageReference | undefined {
  const transportOf = (rest: string): { transport: string; image: string } | undefined => {
    if (rest.startsWith('docker://')) return { transport: 'registry', image: rest.slice('docker://'.length) };
    const match = /^(registry|oci|oci-archive|containers-storage|dir):(.+)$/.exec(rest);
    return match ? { transport: match[1], image: match[2] } : undefined;
  };
  const [scheme, ...parts] = reference.split(':');
  const rest = parts.join(':');
  switch (scheme) {
    case 'ostree-unverified-registry':
      return rest ? { signature: 'unverified', transport: 'registry', image: rest } : undefined;
    case 'ostree-unverified-image': {
      const found = transportOf(rest);
      return found && { signature: 'unverified', ...found };
    }
    case 'ostree-image-signed': {
      const found = transportOf(rest);
      return found && { signature: 'signed', ...found };
    }
    case 'ostree-remote-registry':
    case 'ostree-remote-image': {
      const [remote, ...imageParts] = parts;
      const imageRest = imageParts.join(':');
      const found =
        scheme === 'ostree-remote-registry'
          ? imageRest
            ? { transport: 'registry', image: imageRest }
            : undefined
          : transportOf(imageRest);
      return remote && found ? { signature: `remote:${remote}`, ...found } : undefined;
    }
    default:
      return undefined;
  }
}

/** Seconds since the epoch (or an ISO string) → ISO 8601. */
function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return new Date(value * 1000).toISOString().replace('.000Z', 'Z');
  }
  return text(value);
}

/** A package as rpm-ostree writes it: a name or NEVRA string, a tuple `[nevra, name, …]`, or `{nevra|name}`. */
function packageName(value: unknown): string | undefined {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return text(value[0]);
  const entry = object(value);
  return entry ? (text(entry.nevra) ?? text(entry.name)) : undefined;
}

function names(...values: unknown[]): string[] {
  const all = values.flatMap(value => list(value).map(packageName));
  return [...new Set(all.filter((name): name is string => name !== undefined))];
}

/** The name of a package tuple `[nevra, name, …]` or object `{name}`, where it says. */
function baseName(value: unknown): string | undefined {
  return Array.isArray(value) ? text(value[1]) : text(object(value)?.name);
}

/** Removals asked for (names), then those done that were not asked by that name (their NEVRA). */
function removals(requested: unknown, done: unknown): string[] {
  const asked = names(requested);
  const more = list(done).filter(entry => {
    const name = baseName(entry);
    return !(name && asked.includes(name));
  });
  return [...new Set([...asked, ...names(more)])];
}

/** Replacements: `[[new, old], …]` tuples, `{nevra, base-nevra}` objects, or NEVRA strings of what was asked. */
function overrides(replaced: unknown, requested: unknown, remote: unknown): PackageOverride[] {
  const found: PackageOverride[] = [];
  for (const entry of list(replaced)) {
    const pair = Array.isArray(entry) && entry.length === 2 && typeof entry[0] !== 'string' ? entry : undefined;
    const asObject = object(entry);
    const now = pair ? packageName(pair[0]) : packageName(entry);
    const before = pair ? packageName(pair[1]) : text(asObject?.['base-nevra']);
    if (now) found.push(before ? { package: now, replaces: before } : { package: now });
  }
  // Asked for but not in the list above (a deployment written before its packages were resolved).
  for (const name of names(requested)) {
    if (!found.some(override => override.package === name)) found.push({ package: name });
  }
  // `base-remote-replacements`: {repository: [packages]}.
  for (const [repository, packages] of Object.entries(object(remote) ?? {})) {
    for (const name of names(packages)) found.push({ package: name, replaces: `from ${repository}` });
  }
  return found;
}

function imageOf(entry: Json): Pick<RpmOstreeDeployment, 'image' | 'reference' | 'signature'> {
  const reference = text(entry['container-image-reference']);
  if (!reference) return {};
  const parsed = parseOstreeImageReference(reference);
  const image: DeployedImage = {
    image: parsed?.image ?? reference,
    transport: parsed?.transport,
    version: text(entry.version),
    timestamp: isoTime(entry.timestamp),
    digest: text(entry['container-image-reference-digest']),
  };
  return { image, reference, signature: parsed?.signature };
}

function deployment(value: unknown): RpmOstreeDeployment | undefined {
  const entry = object(value);
  if (!entry) return undefined;
  return {
    id: text(entry.id),
    osname: text(entry.osname),
    checksum: text(entry.checksum),
    ...imageOf(entry),
    origin: text(entry['container-image-reference']) ? undefined : text(entry.origin),
    version: text(entry.version),
    timestamp: isoTime(entry.timestamp),
    booted: entry.booted === true,
    staged: entry.staged === true,
    pinned: entry.pinned === true,
    packages: names(entry['requested-packages'] ?? entry.packages),
    localPackages: names(entry['requested-local-packages']),
    overrides: overrides(
      entry['base-local-replacements'],
      entry['requested-base-local-replacements'],
      entry['base-remote-replacements'],
    ),
    removals: removals(entry['requested-base-removals'], entry['base-removals']),
    liveReplaced: text(entry['live-replaced']),
  };
}

/** The `cached-update` of a check: a deployment-shaped object with the new version and digest. */
function cachedUpdate(value: unknown, tracked: DeployedImage | undefined): DeployedImage | undefined {
  const entry = object(value);
  if (!entry) return undefined;
  const { image } = imageOf(entry);
  if (image) return image;
  const version = text(entry.version);
  const digest = text(entry['container-image-reference-digest']) ?? text(entry.checksum);
  if (!version && !digest) return undefined;
  return {
    image: tracked?.image ?? text(entry.origin) ?? 'the tracked image',
    transport: tracked?.transport,
    version,
    timestamp: isoTime(entry.timestamp),
    digest,
  };
}

/** Parses the JSON text; throws StatusParseError when it is not rpm-ostree's status. */
export function parseRpmOstreeStatus(json: string, applyLive: boolean, readAt = Date.now()): RpmOstreeHostStatus {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new StatusParseError(`rpm-ostree status printed something that is not JSON: ${json.trim().slice(0, 120)}`);
  }
  const host = object(document);
  if (!host || !Array.isArray(host.deployments)) {
    throw new StatusParseError('rpm-ostree status printed JSON without a deployments list');
  }
  const all = host.deployments.map(deployment);
  const bootedAt = all.findIndex(entry => entry?.booted === true);
  const booted = bootedAt >= 0 ? all[bootedAt] : undefined;
  // The list is in boot order: what comes before the booted deployment is newer (the next boot's);
  // the first after it is what a rollback boots.
  const pending = all.find(entry => entry?.staged) ?? (bootedAt > 0 ? all[0] : undefined);
  const rollback = bootedAt >= 0 ? all.slice(bootedAt + 1).find(entry => entry !== undefined) : undefined;
  const follows = pending ?? booted;
  return {
    manager: 'rpm-ostree',
    tracked: follows?.image,
    trackedReference: follows?.reference,
    trackedSignature: follows?.signature,
    trackedOrigin: follows?.origin,
    booted,
    pending,
    rollback: rollback === pending ? undefined : rollback,
    cachedUpdate: cachedUpdate(host['cached-update'] ?? host.update, follows?.image),
    applyLive,
    readAt,
  };
}

/** The argv of a status read. */
export const RPM_OSTREE_STATUS_COMMAND = ['rpm-ostree', 'status', '--json'] as const;

/** Whether `rpm-ostree --help` lists the apply-live command (rpm-ostree 2021.? and newer). */
export function offersApplyLive(help: string): boolean {
  return /^\s+apply-live\b/m.test(help);
}
