import type { ImageBuildRequest } from '../../src/api/image-operations';
import { SUPPORTED_PLATFORMS } from '../../src/api/image-operations';
import type { FieldError } from '../../src/api/validation';

/** One KEY=VALUE row of the build form; `key` only keeps rows apart while they are edited. */
export interface BuildArgRow {
  key: number;
  name: string;
  value: string;
}

/** What the build form holds, before it becomes a request. */
export interface BuildForm {
  contextDir: string;
  containerfile: string;
  tag: string;
  platforms: string[];
  buildArgs: BuildArgRow[];
  noCache: boolean;
  pull: boolean;
  engineId?: string;
}

/**
 * The request the form describes. Blank build-argument rows are left out, a blank Containerfile
 * leaves the choice to the backend, and platforms come in a stable order.
 */
export function toBuildRequest(form: BuildForm): ImageBuildRequest {
  const buildArgs: Record<string, string> = {};
  for (const row of form.buildArgs) {
    const name = row.name.trim();
    if (name === '' && row.value === '') continue;
    buildArgs[name] = row.value;
  }
  const order = (platform: string): number => {
    const index = (SUPPORTED_PLATFORMS as readonly string[]).indexOf(platform);
    return index < 0 ? SUPPORTED_PLATFORMS.length : index;
  };
  const request: ImageBuildRequest = {
    contextDir: form.contextDir.trim(),
    tag: form.tag.trim(),
    platforms: [...new Set(form.platforms)].sort((a, b) => order(a) - order(b)),
    buildArgs,
    noCache: form.noCache,
    pull: form.pull,
  };
  const containerfile = form.containerfile.trim();
  if (containerfile) request.containerfile = containerfile;
  if (form.engineId) request.engineId = form.engineId;
  return request;
}

/** The first message for each field. */
export function errorsByField(errors: readonly FieldError[]): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of errors) byField[error.field] ??= error.message;
  return byField;
}

/** The field a build-argument row's errors are filed under (as the shared schema names it). */
export function buildArgField(row: BuildArgRow): string {
  return `buildArgs.${row.name.trim()}`;
}

/** Rows whose name an earlier row already uses: the later one would silently win. */
export function duplicateBuildArgs(rows: readonly BuildArgRow[]): Set<number> {
  const seen = new Set<string>();
  const duplicates = new Set<number>();
  for (const row of rows) {
    const name = row.name.trim();
    if (name === '') continue;
    if (seen.has(name)) duplicates.add(row.key);
    seen.add(name);
  }
  return duplicates;
}

/** The build form's labels for the request's fields, for a refusal shown as one message. */
const FIELD_LABELS: [RegExp, string | ((...groups: string[]) => string)][] = [
  [/\bcontextDir:/g, 'Context folder:'],
  [/\bcontainerfile:/g, 'Containerfile:'],
  [/\btag:/g, 'Image name:'],
  [/\bplatforms(?:\.\d+)?:/g, 'Platforms:'],
  [/\bbuildArgs\.([A-Za-z0-9_]*):/g, (_match, name) => `Build argument ${name}:`],
  [/\bengineId:/g, 'Engine:'],
];

/** A refusal of the build in the form's words: `contextDir: …` becomes `Context folder: …`. */
export function inFormWords(message: string): string {
  let words = message;
  for (const [pattern, label] of FIELD_LABELS) {
    words = typeof label === 'string' ? words.replace(pattern, label) : words.replace(pattern, label);
  }
  return words;
}
