/**
 * Deleting an image that containers use: which containers, from the Docker-shaped rows that both
 * Podman Desktop's `listContainers` and podman's `/containers/json` answer, and the refusal that
 * names them.
 */

import { ImageInUseError } from './container-engine';

export interface ContainerRow {
  Id?: string;
  Names?: string[];
  ImageID?: string;
}

/** The names (else short ids) of the containers in `rows` made from `imageId` (with or without `sha256:`). */
export function containersUsing(rows: readonly ContainerRow[], imageId: string): string[] {
  const id = withoutSha256(imageId);
  return rows
    .filter(row => withoutSha256(row.ImageID ?? '') === id)
    .map(row => (row.Names?.[0] ?? row.Id?.slice(0, 12) ?? '?').replace(/^\//, ''));
}

/** The refusal to delete `idOrRef`; `containers` is empty when the engine refused without naming them. */
export function imageInUseError(idOrRef: string, containers: string[]): ImageInUseError {
  const users =
    containers.length === 0
      ? 'a container'
      : `${containers.length === 1 ? 'container' : 'containers'} ${containers.join(', ')}`;
  return new ImageInUseError(
    `Image ${idOrRef} is used by ${users}; remove ${containers.length > 1 ? 'them' : 'it'} first`,
    containers,
  );
}

function withoutSha256(id: string): string {
  return id.replace(/^sha256:/, '');
}
