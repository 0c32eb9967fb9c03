/** Small zod/mini checks the request schemas share: a field's problem function, repeats in a list, one-line text. */

import { z } from 'zod/mini';

import { hasControlCharacter } from './disk-build';

export type RefinementCtx = z.core.$RefinementCtx;

export function problemCheck(problem: (value: string) => string | undefined) {
  return z.superRefine((value: string, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
}

/** Reports each repeat of `key(item)` at `[...prefix, index, ...field]`. */
export function noDuplicates<T>(
  items: readonly T[],
  key: (item: T) => unknown,
  ctx: RefinementCtx,
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

export const optionalText = (max: number, what: string) =>
  z.optional(
    z.string().check(
      z.maxLength(max, `${what} has at most ${max} characters`),
      z.refine(value => !hasControlCharacter(value), { message: `${what} is one line without control characters` }),
    ),
  );
