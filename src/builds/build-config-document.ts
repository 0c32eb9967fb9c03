/**
 * The build config as a plain document (the tables of bootc-image-builder's `config.toml` /
 * `config.json`): the helpers its renderer (build-config-render.ts) and its parser
 * (build-config-parse.ts) share.
 */

export type ConfigFormat = 'toml' | 'json';

export type Doc = Record<string, unknown>;

/** Fields of each part that the form owns; everything else is `extra`. */
export const KNOWN = {
  user: ['name', 'password', 'key', 'groups'],
  group: ['name', 'gid'],
  filesystem: ['mountpoint', 'minsize'],
} as const;

export function isTable(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function withoutKeys(extra: Doc | undefined, keys: readonly string[]): Doc {
  const copy = clone(extra ?? {});
  for (const key of keys) delete copy[key];
  return copy;
}

/** The table at `path` under `root`, created when missing (an extra non-table there is replaced). */
export function table(root: Doc, ...path: string[]): Doc {
  let node = root;
  for (const key of path) {
    if (!isTable(node[key])) node[key] = {};
    node = node[key] as Doc;
  }
  return node;
}

export function pruneEmpty(root: Doc, ...path: string[]) {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? root : (lookup(root, path.slice(0, depth - 1)) as Doc | undefined);
    const key = path[depth - 1];
    if (parent && isTable(parent[key]) && Object.keys(parent[key] as Doc).length === 0) delete parent[key];
  }
}

export function lookup(root: Doc, path: string[]): unknown {
  let node: unknown = root;
  for (const key of path) node = isTable(node) ? node[key] : undefined;
  return node;
}
