/**
 * Checks of the plain RPC arguments (ids, paths, indexes) that have no request schema of their own
 * in src/api/validation.ts: each rejects with a ValidationError naming the argument, before the
 * backend does anything.
 */

import { isAbsolute } from 'node:path';

import { z } from 'zod/mini';

import { imageReferenceSchema, parseOrThrow, prototypeKeyProblem, ValidationError } from '../api/validation';

const idSchema = z.string().check(z.trim(), z.minLength(1, 'is required'), z.maxLength(512, 'is too long'));

export function checkId(field: string, value: unknown): string {
  return parseOrThrow(z.object({ [field]: idSchema }), { [field]: value })[field] as string;
}

/** A list of image tags (as shown to the user), at most 1000. */
export function checkTagList(field: string, value: unknown): string[] {
  return parseOrThrow(z.object({ [field]: z.array(idSchema).check(z.maxLength(1000)) }), { [field]: value })[
    field
  ] as string[];
}

/** A full reference to give an image (a tag, not a digest). */
export function checkTagTarget(field: string, value: unknown): string {
  const schema = z.object({
    [field]: imageReferenceSchema.check(
      z.refine(ref => !ref.includes('@'), { message: 'a tag cannot be a digest reference' }),
    ),
  });
  return parseOrThrow(schema, { [field]: value })[field] as string;
}

export function checkAbsolutePath(field: string, value: unknown): string {
  const schema = z.object({
    [field]: z.string().check(
      z.trim(),
      z.minLength(1, 'a folder is required'),
      z.refine(path => isAbsolute(path), { message: 'must be an absolute path' }),
    ),
  });
  return parseOrThrow(schema, { [field]: value })[field] as string;
}

export function checkOptionalAbsolutePath(field: string, value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : checkAbsolutePath(field, value);
}

export function checkLogIndex(field: string, value: unknown): number {
  const schema = z.object({ [field]: z.int('is a whole number').check(z.minimum(0, 'is 0 or more')) });
  return parseOrThrow(schema, { [field]: value })[field] as number;
}

export function checkTitle(field: string, value: unknown): string {
  const schema = z.object({
    [field]: z.string().check(z.trim(), z.minLength(1, 'is required'), z.maxLength(200, 'is too long')),
  });
  return parseOrThrow(schema, { [field]: value })[field] as string;
}

export function checkBoolean(field: string, value: unknown): boolean {
  const schema = z.object({ [field]: z.boolean({ message: 'is true or false' }) });
  return parseOrThrow(schema, { [field]: value })[field] as boolean;
}

/**
 * The arguments of one bridge call, before the handler sees them: a list, no longer than the
 * method's parameters, with no prototype key (`__proto__`, `constructor`, `prototype`) at any
 * depth. The refusal names the field by its path inside the argument (`config.users.0.__proto__`).
 */
export function checkCallArguments(args: unknown, parameters: number): unknown[] {
  if (!Array.isArray(args)) throw new ValidationError([{ field: 'args', message: 'the arguments are a list' }]);
  if (args.length > parameters) {
    throw new ValidationError([
      { field: 'args', message: `this call takes at most ${parameters} argument(s), got ${args.length}` },
    ]);
  }
  for (const arg of args) {
    const problem = prototypeKeyProblem(arg);
    if (problem) throw new ValidationError([problem]);
  }
  return args;
}

/** Refuses one argument (or one field of it): a ValidationError, so the page gets the field as data. */
export function refuse(field: string, message: string): never {
  throw new ValidationError([{ field, message }]);
}
