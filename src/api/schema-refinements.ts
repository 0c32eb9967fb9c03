/** Refinements shared by the zod schemas of src/api/: a field's problem as an issue, repeats in a list. */

import type { z } from 'zod';

/** A refinement that reports `problem(value)`, when there is one, as the field's issue. */
export function problemCheck(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  };
}

/** Reports each repeat of `key(item)` at `[...prefix, index, ...field]`. */
export function noDuplicates<T>(
  items: readonly T[],
  key: (item: T) => unknown,
  ctx: z.RefinementCtx,
  path: { prefix?: (string | number)[]; field?: string },
  message: string,
) {
  const seen = new Set<unknown>();
  items.forEach((item, index) => {
    const value = key(item);
    if (value === undefined) return;
    if (seen.has(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [...(path.prefix ?? []), index, ...(path.field ? [path.field] : [])],
        message,
      });
    }
    seen.add(value);
  });
}
