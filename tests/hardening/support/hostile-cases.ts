/** Small helpers for the hostile-input tables. */

/** A deep copy of `base` with `value` at the dotted `path` (`config.users.0.name`); `undefined` deletes it. */
export function withField<T>(base: T, path: string, value: unknown): T {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy as T;
}

/** Whether anything reached Object.prototype (a prototype-pollution attempt that worked). */
export function prototypePolluted(): string[] {
  const probe = {} as Record<string, unknown>;
  return ['polluted', 'isAdmin', 'outputDir', 'image', 'shell'].filter(key => probe[key] !== undefined);
}

/** A JSON text with an own `__proto__` (or any) key at `path` of `value`, as a page could post it. */
export function jsonWithKey(value: unknown, path: string[], key: string, keyValue: unknown): string {
  const marker = `"__hostile_marker__"`;
  const copy = structuredClone(value) as Record<string, unknown>;
  let at = copy;
  for (const step of path) at = at[step] as Record<string, unknown>;
  at.__hostile_marker__ = 0;
  return JSON.stringify(copy).replace(`${marker}:0`, `${JSON.stringify(key)}:${JSON.stringify(keyValue)}`);
}
