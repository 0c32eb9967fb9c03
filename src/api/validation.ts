import { en } from 'zod/locales';
import { z } from 'zod/mini';

import { SUPPORTED_PLATFORMS } from './image-operations';

// zod/mini (a fraction of the full build, which the webview would carry) has no messages of its own:
// English, as the full build sets, for the few checks that give none of ours.
z.config(en());

/**
 * Validation of everything that crosses a boundary, shared by the page (immediate, per-field
 * messages), the backend (RPC arguments) and the CLI (flags): one schema per operation, and a
 * result that names the field.
 */

export interface FieldError {
  /** The field, as the form and the CLI call it: `tag`, `buildArgs.HTTP_PROXY`, `platforms`. */
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

// An image reference as podman accepts it: [registry[:port]/]path[:tag][@digest], lower-case path.
// Docker's rule (podman's too) for the first component: it names a registry only when it contains a
// `.` or a `:` (a port, an IPv6 address) or is `localhost`; otherwise it is a path component, and
// lower-case like the rest of the path (`UPPER/case` is not the host `UPPER`).
const HOST_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const PORT = ':[0-9]+';
const REGISTRY = [
  `${HOST_LABEL}(?:\\.${HOST_LABEL})+(?:${PORT})?`, // has a dot: quay.io, 127.0.0.1:5000
  `${HOST_LABEL}${PORT}`, // has a port: registry:5000, localhost:5000
  `\\[[0-9a-fA-F:]+\\](?:${PORT})?`, // IPv6: [::1]:5000
  'localhost',
].join('|');
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(
  `^(?:(?:${REGISTRY})\\/)?${PATH_COMPONENT}(?:\\/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

export const imageReferenceSchema = z.string().check(
  z.trim(),
  z.minLength(1, 'an image reference is required, e.g. quay.io/me/os:1'),
  z.maxLength(255, 'an image reference has at most 255 characters'),
  z.refine(ref => REFERENCE.test(ref), {
    message: 'not an image reference: use [registry/]name[:tag], lower-case, e.g. quay.io/me/os:1',
  }),
);

export const platformSchema = z.enum(SUPPORTED_PLATFORMS, {
  message: `a platform is one of ${SUPPORTED_PLATFORMS.join(', ')}`,
});

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const imageBuildRequestSchema = z.object({
  contextDir: z.string().check(z.trim(), z.minLength(1, 'choose the folder to build from')),
  containerfile: z.optional(
    z.string().check(
      z.trim(),
      z.minLength(1),
      z.refine(path => !path.startsWith('/') && !path.split('/').includes('..'), {
        message: 'the Containerfile must be a path inside the context folder',
      }),
    ),
  ),
  tag: imageReferenceSchema,
  platforms: z
    .array(platformSchema)
    .check(z.minLength(1, 'choose at least one platform'), z.maxLength(SUPPORTED_PLATFORMS.length)),
  buildArgs: z.record(z.string(), z.string()).check(
    z.superRefine((args, ctx) => {
      for (const [name, value] of Object.entries(args)) {
        if (!BUILD_ARG_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'a build argument name is letters, digits and _, not starting with a digit',
          });
        }
        if (value.includes('\n'))
          ctx.addIssue({ code: 'custom', path: [name], message: 'a build argument value is one line' });
      }
    }),
  ),
  noCache: z.boolean(),
  pull: z.boolean(),
  engineId: z.optional(z.string().check(z.minLength(1))),
});

export const imagePushRequestSchema = z.object({
  ref: imageReferenceSchema,
  engineId: z.optional(z.string().check(z.minLength(1))),
  credentials: z.optional(
    z.object({
      username: z.string().check(z.minLength(1, 'a user name is required with a password')),
      password: z.string().check(z.minLength(1, 'a password is required with a user name')),
    }),
  ),
  tlsVerify: z.optional(z.boolean()),
});

export const imagePullRequestSchema = z.object({
  ref: imageReferenceSchema,
  platform: z.optional(platformSchema),
  engineId: z.optional(z.string().check(z.minLength(1))),
});

/** Checks `value` against `schema`; on failure, one message per field, named by its path. */
export function validate<T>(schema: z.core.$ZodType<T>, value: unknown): Validated<T> {
  const result = z.safeParse(schema, value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map(issue => ({
      field: issue.path.map(String).join('.') || 'request',
      message: issue.message,
    })),
  };
}

/** One line naming every bad field, for errors thrown across the bridge and the CLI's exit 2. */
export function describeErrors(errors: FieldError[]): string {
  return errors.map(error => `${error.field}: ${error.message}`).join('; ');
}

/** Throws an Error whose message names the fields (the RPC carries it to the page as is). */
export function parseOrThrow<T>(schema: z.core.$ZodType<T>, value: unknown): T {
  const result = validate(schema, value);
  if (!result.ok) throw new ValidationError(result.errors);
  return result.value;
}

export class ValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(describeErrors(errors));
    this.name = 'ValidationError';
  }
}

/** Keys that reach an object's prototype when code copies a parsed object with Object.assign or a merge. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper than any request or config of ours: a page or file never nests so, a hostile one could, to exhaust the stack. */
const MAX_DEPTH = 32;

/**
 * The first prototype key (`__proto__`, `constructor`, `prototype`) anywhere in `value` — JSON.parse
 * and TOML parsers make them own keys, which a later merge would turn into a prototype — or a nesting
 * past 32 levels, as a FieldError naming its dotted path (under `prefix`); undefined when there is none.
 */
export function prototypeKeyProblem(value: unknown, prefix: string[] = []): FieldError | undefined {
  return scanKeys(value, prefix, 0);
}

function scanKeys(value: unknown, path: string[], depth: number): FieldError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_DEPTH)
    return { field: path.join('.') || 'request', message: `is nested more than ${MAX_DEPTH} deep` };
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) {
      return { field: [...path, key].join('.'), message: 'a key that names an object prototype is not accepted' };
    }
    const problem = scanKeys((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
