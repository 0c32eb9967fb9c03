/** Data that crosses the webview bridge: plain, structured-clone-safe objects only. */

/** The labels by which an image declares itself bootable (either one is enough). */
export const BOOTC_LABELS = ['containers.bootc', 'ostree.bootable'] as const;

export interface BootcImage {
  /** Image id (sha256:… or the engine's short form, as the engine reports it). */
  id: string;
  engineId: string;
  engineName: string;
  /** Repository without the tag, e.g. `quay.io/fedora/fedora-bootc`; `<none>` when untagged. */
  name: string;
  /** Tag, e.g. `42`; `<none>` when untagged. */
  tag: string;
  /** The full reference `name:tag`, or the id when the image is untagged. */
  ref: string;
  /**
   * Every tag of the image (this row's among them); empty when untagged. The list has one row per
   * tag, so an image with three tags is three rows that share `id` and `tags`.
   */
  tags: string[];
  /** Architectures: one for a plain image, each member's for a manifest list. */
  architectures: string[];
  /** Bytes; for a manifest list, the sum of its local members. */
  size: number;
  /** Creation time, milliseconds since the epoch. */
  created: number;
  digest?: string;
  labels: Record<string, string>;
  isManifestList: boolean;
}

export interface EngineSummary {
  id: string;
  name: string;
  /** 'podman' or 'docker', as far as the engine says. */
  type: string;
  version?: string;
  rootful?: boolean;
  os?: string;
  arch?: string;
  graphRoot?: string;
}

/** A route of the webview, e.g. `/images` or `/disk-images/build?image=quay.io%2Fx%3A1`. */
export type Route = string;

export function isBootcLabelled(labels: Record<string, string> | undefined | null): boolean {
  return !!labels && BOOTC_LABELS.some(key => key in labels);
}
