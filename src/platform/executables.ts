import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The absolute path of an executable found on `PATH` (then in `extraDirs`), or undefined. Used to
 * say "podman is not installed" rather than fail on a spawn error.
 */
export function findExecutable(
  name: string,
  path = process.env.PATH ?? '',
  extraDirs: string[] = [],
): string | undefined {
  for (const dir of [...path.split(delimiter), ...extraDirs]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
