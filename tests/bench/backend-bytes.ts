/**
 * The bytes a `require()` of a built entry (dist/extension.js, dist/cli.js) reads and compiles
 * before any of its code runs: the entry and the chunks it requires at load, transitively. Chunks
 * behind a dynamic import() (ssh2, dockerode, a CLI command) are not counted: they load on first use.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** A chunk required at load: `const x = require("./chunks/…")` or a bare `require("./…")` at the top level. */
const TOP_LEVEL_REQUIRE = /^(?:(?:const|let|var) [\w$]+ = )?require\("(\.{1,2}\/[^"]+)"\);?$/gm;

/** File name → bytes of `entry` and every chunk it requires at load. */
export function loadClosure(entry: string): Record<string, number> {
  const files: Record<string, number> = {};
  const visit = (file: string): void => {
    if (basename(file) in files) return;
    const code = readFileSync(file, 'utf8');
    files[basename(file)] = Buffer.byteLength(code);
    for (const match of code.matchAll(TOP_LEVEL_REQUIRE)) visit(resolve(dirname(file), match[1]));
  };
  visit(entry);
  return files;
}

export function loadBytes(entry: string): number {
  return Object.values(loadClosure(entry)).reduce((sum, bytes) => sum + bytes, 0);
}
