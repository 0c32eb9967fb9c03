/**
 * Errors as they cross the bridge and enter a job: data, not text to parse. A refusal names the
 * fields it is about (`fields`, by the request's dotted paths), so a form marks them from data.
 */

import type { FieldError } from './validation';

/** Structured error as it crosses the bridge: a form marks `fields` (dotted paths) from data. */
export interface ErrorInfo {
  message: string;
  /** A stable word for the kind of failure, e.g. `invalid-input`, `not-found`, `engine-stopped`. */
  code?: string;
  /** Field path (as the request names it, e.g. `config.users.0.name`) → what is wrong with it. */
  fields?: Record<string, string>;
}

/** The message of anything thrown, for showing to a user. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Anything thrown, as data: its message, its code, and the fields it names — a validation error's
 * (`errors: [{field, message}]`, code `invalid-input`) or an error about one field (`field`).
 * `scrub` keeps a secret out of the texts.
 */
export function errorInfoOf(error: unknown, scrub: (text: string) => string = text => text): ErrorInfo {
  const info: ErrorInfo = { message: scrub(errorMessage(error)) };
  const value = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    errors?: unknown;
    field?: unknown;
  };
  if (typeof value.code === 'string' && value.code.length > 0) info.code = value.code;
  const named = Array.isArray(value.errors)
    ? value.errors.filter(
        (item): item is FieldError =>
          typeof (item as FieldError)?.field === 'string' && typeof (item as FieldError)?.message === 'string',
      )
    : [];
  if (named.length > 0) {
    info.code ??= 'invalid-input';
    info.fields = Object.fromEntries(named.map(item => [item.field, scrub(item.message)]));
  } else if (typeof value.field === 'string' && value.field.length > 0) {
    info.fields = { [value.field]: info.message };
  }
  return info;
}

/** An error the backend answered with, as the page receives it. */
export class BridgeError extends Error {
  readonly code?: string;
  readonly fields?: Readonly<Record<string, string>>;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'BridgeError';
    if (info.code !== undefined) this.code = info.code;
    if (info.fields !== undefined) this.fields = { ...info.fields };
  }
}

/** The fields an error names (from its data; none for an error that names none), in order. */
export function fieldErrorsOf(error: unknown): FieldError[] {
  const fields = (error as { fields?: unknown } | null)?.fields;
  if (typeof fields !== 'object' || fields === null) return [];
  return Object.entries(fields as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([field, message]) => ({ field, message }));
}
