import type { DiskImageType } from '../api/disk-build';

/**
 * Where each image type lands under the output folder. bootc-image-builder's own layout; the
 * image-builder plan asks for the same paths (`--output-dir /output/<dir> --output-name <name>`) so
 * everything downstream (records, VM launch, overwrite checks) knows one layout.
 */

export interface BuildArtifact {
  type: DiskImageType;
  /** Relative to the output folder, `/`-separated. */
  path: string;
}

interface ArtifactLayout {
  dir: string;
  /** File name without its extension: what image-builder's `--output-name` takes. */
  name: string;
  extension: string;
}

const LAYOUT: Record<DiskImageType, ArtifactLayout> = {
  qcow2: { dir: 'qcow2', name: 'disk', extension: 'qcow2' },
  raw: { dir: 'image', name: 'disk', extension: 'raw' },
  ami: { dir: 'image', name: 'disk', extension: 'raw' },
  vmdk: { dir: 'vmdk', name: 'disk', extension: 'vmdk' },
  vhd: { dir: 'vpc', name: 'disk', extension: 'vhd' },
  gce: { dir: 'gce', name: 'image', extension: 'tar.gz' },
  'anaconda-iso': { dir: 'bootiso', name: 'install', extension: 'iso' },
  iso: { dir: 'bootiso', name: 'install', extension: 'iso' },
  'bootc-installer': { dir: 'bootiso', name: 'install', extension: 'iso' },
};

export function artifactLayout(type: DiskImageType): Readonly<ArtifactLayout> {
  return LAYOUT[type];
}

export function artifactPath(type: DiskImageType): string {
  const { dir, name, extension } = LAYOUT[type];
  return `${dir}/${name}.${extension}`;
}

/** One artifact per requested type, in the request's order (raw and ami share `image/disk.raw`). */
export function artifactsFor(types: readonly DiskImageType[]): BuildArtifact[] {
  return types.map(type => ({ type, path: artifactPath(type) }));
}

/** The manifest bootc-image-builder saves beside the artifacts: `manifest-<types joined by ->.json`. */
export function bibManifestName(types: readonly DiskImageType[]): string {
  return `manifest-${types.join('-')}.json`;
}

/**
 * What a build creates directly under the output folder (folders and files), so that a cancelled or
 * failed build removes its own partial results and nothing else of the folder.
 */
export function outputEntriesFor(types: readonly DiskImageType[], withBibManifest: boolean): string[] {
  const entries = [...new Set(types.map(type => LAYOUT[type].dir))];
  if (withBibManifest) entries.push(bibManifestName(types));
  return entries;
}
