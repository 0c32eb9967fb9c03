/**
 * The examples catalog (examples.yaml, bundled into the extension as text so it needs no network),
 * parsed with js-yaml and checked with zod: a malformed entry is a build-time mistake, reported
 * with the entry and the field.
 */

import { load } from 'js-yaml';
import { z } from 'zod';

import type { ExampleImage } from '../api/image-operations';
import { describeErrors, imageReferenceSchema, validate } from '../api/validation';
import catalogText from './examples.yaml?raw';

const exampleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id is lower-case letters, digits and -'),
    name: z.string().min(1),
    description: z.string().min(1),
    category: z.enum(['base', 'example']),
    image: imageReferenceSchema,
    architectures: z.array(z.string().regex(/^[a-z0-9_]+$/)).min(1),
    containerfile: z
      .string()
      .refine(text => /^FROM\s+\S+/m.test(text), { message: 'a Containerfile starts FROM an image' })
      .optional(),
    sourceUrl: z.url({ protocol: /^https$/ }).optional(),
  })
  .strict();

const catalogSchema = z.array(exampleSchema).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    if (seen.has(entry.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate id ${entry.id}` });
    seen.add(entry.id);
  }
});

/** Parses and checks a catalog; throws an Error naming the bad entries' fields. */
export function parseExamples(text: string): ExampleImage[] {
  let raw: unknown;
  try {
    raw = load(text);
  } catch (error) {
    throw new Error(
      `The examples catalog is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const result = validate(catalogSchema, raw);
  if (!result.ok) throw new Error(`The examples catalog is invalid: ${describeErrors(result.errors)}`);
  return result.value;
}

let cached: ExampleImage[] | undefined;

/** The catalog shipped with the extension. */
export function listExamples(): ExampleImage[] {
  cached ??= parseExamples(catalogText);
  return cached.map(example => ({ ...example, architectures: [...example.architectures] }));
}

export function findExample(id: string): ExampleImage | undefined {
  return listExamples().find(example => example.id === id);
}
