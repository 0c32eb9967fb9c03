/**
 * The webview's bytes as a browser fetches them, gzip -9: what the start page (the Dashboard) needs
 * before it shows, and everything the build holds. Read from the built media/ and the manifest Vite
 * writes beside it (media/.vite/manifest.json), so a size is exact and stable from build to build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The page shown at start (App.svelte's default route); its chunk is fetched before anything shows. */
export const START_PAGE = 'pages/DashboardPage.svelte';

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export interface WebviewBytes {
  /** gzip -9 bytes of the JS and CSS loaded at start: the entry, its static imports, the start page's. */
  startup: number;
  /** gzip -9 bytes of every JS and CSS file of the build. */
  total: number;
  /** The files counted in `startup`, with their gzip -9 bytes. */
  startupFiles: Record<string, number>;
}

export function gzipSize(path: string): number {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

export function webviewBytes(mediaDir: string): WebviewBytes {
  const manifest = JSON.parse(readFileSync(join(mediaDir, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const startupFiles: Record<string, number> = {};
  const visit = (key: string): void => {
    const chunk = manifest[key];
    if (!chunk) throw new Error(`media/.vite/manifest.json has no ${key}`);
    if (chunk.file in startupFiles) return;
    for (const file of [chunk.file, ...(chunk.css ?? [])]) startupFiles[file] = gzipSize(join(mediaDir, file));
    chunk.imports?.forEach(visit);
  };
  const entries = Object.keys(manifest).filter(key => manifest[key].isEntry);
  if (entries.length === 0) throw new Error('media/.vite/manifest.json has no entry');
  entries.forEach(visit);
  // A start page that is no chunk of its own is in the entry, already counted.
  const startPage = Object.keys(manifest).find(key => key.endsWith(START_PAGE));
  if (startPage) visit(startPage);

  const all = new Set<string>();
  for (const chunk of Object.values(manifest)) {
    if (/\.(js|css)$/.test(chunk.file)) all.add(chunk.file);
    chunk.css?.forEach(file => all.add(file));
  }
  let total = 0;
  for (const file of all) total += gzipSize(join(mediaDir, file));
  const startup = Object.values(startupFiles).reduce((sum, bytes) => sum + bytes, 0);
  return { startup, total, startupFiles };
}
