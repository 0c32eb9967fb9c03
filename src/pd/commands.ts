/** Command ids contributed in package.json; the loader test checks each one is registered. */
export const COMMANDS = {
  open: 'bootc-studio.open',
  buildDiskImage: 'bootc-studio.build-disk-image',
  runAsVm: 'bootc-studio.run-as-vm',
} as const;

/** What Podman Desktop passes to a `dashboard/image` menu command: the row's image, serialized. */
export interface ImageMenuArgument {
  name?: unknown;
  tag?: unknown;
  engineId?: unknown;
  id?: unknown;
}

/** The image reference a context-menu row stands for, or undefined when the row has none usable. */
export function imageRefFromMenuArgument(arg: unknown): { ref: string; engineId?: string } | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const { name, tag, engineId, id } = arg as ImageMenuArgument;
  const engine = typeof engineId === 'string' && engineId ? engineId : undefined;
  if (typeof name === 'string' && name && name !== '<none>') {
    const ref = typeof tag === 'string' && tag && tag !== '<none>' ? `${name}:${tag}` : name;
    return { ref, engineId: engine };
  }
  if (typeof id === 'string' && id) return { ref: id, engineId: engine };
  return undefined;
}
