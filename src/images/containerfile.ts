/**
 * Which Containerfile a build uses: the one named, else `Containerfile`, else `Dockerfile` in the
 * context folder (podman's and Podman Desktop's order). Checked before anything starts, so a wrong
 * folder is a message naming the field, not a failed build.
 */

import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

import { ValidationError } from '../api/validation';

export const CONTAINERFILE_NAMES = ['Containerfile', 'Dockerfile'] as const;

/** The default Containerfile of `contextDir` (its name, relative), if the folder has one. */
export async function detectContainerfile(contextDir: string): Promise<string | undefined> {
  for (const name of CONTAINERFILE_NAMES) {
    if (await isFile(join(contextDir, name))) return name;
  }
  return undefined;
}

/**
 * What the build form asks when a folder is chosen: its default Containerfile; a path that is not
 * a folder is refused naming the field (before "no Containerfile" could be said of it).
 */
export async function detectContainerfileIn(contextDir: string): Promise<string | undefined> {
  if (!(await isDirectory(contextDir))) {
    throw new ValidationError([{ field: 'contextDir', message: notAFolder(contextDir) }]);
  }
  return detectContainerfile(contextDir);
}

function notAFolder(path: string): string {
  return `${path} is not a folder: choose the folder that holds the Containerfile`;
}

/**
 * The context folder and Containerfile of a build request, checked: an absolute folder that exists,
 * and a Containerfile inside it (the one named, or the default). Throws ValidationError naming
 * `contextDir` or `containerfile`.
 */
export async function resolveBuildFiles(
  contextDir: string,
  containerfile: string | undefined,
): Promise<{ contextDir: string; containerfile: string }> {
  if (!isAbsolute(contextDir)) {
    throw new ValidationError([
      { field: 'contextDir', message: `the context folder must be an absolute path, got ${contextDir}` },
    ]);
  }
  if (!(await isDirectory(contextDir))) {
    throw new ValidationError([{ field: 'contextDir', message: notAFolder(contextDir) }]);
  }
  if (containerfile !== undefined) {
    if (!(await isFile(join(contextDir, containerfile)))) {
      throw new ValidationError([
        { field: 'containerfile', message: `${containerfile} does not exist in ${contextDir}` },
      ]);
    }
    return { contextDir, containerfile };
  }
  const found = await detectContainerfile(contextDir);
  if (!found) {
    throw new ValidationError([
      {
        field: 'containerfile',
        message: `${contextDir} has no Containerfile or Dockerfile; name the file to build from`,
      },
    ]);
  }
  return { contextDir, containerfile: found };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    stats => stats.isFile(),
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    stats => stats.isDirectory(),
    () => false,
  );
}
