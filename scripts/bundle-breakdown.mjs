#!/usr/bin/env node
/**
 * Where a bundle's bytes come from, read from its source maps: every generated character is
 * attributed to the source its mapping segment points at, then summed per package (node_modules)
 * or per folder of ours. Usage: node scripts/bundle-breakdown.mjs DIR [--top N]
 * Build the webview with maps first, e.g.
 *   npx vite build --config frontend/vite.config.mts --sourcemap --outDir /tmp/media-maps
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one mappings segment ("AAAA") into its numbers. */
function decodeSegment(segment) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** Bytes of the generated file per source path (unmapped characters go to '(unmapped)'). */
export function attribute(code, map) {
  const lines = code.split('\n');
  const sizes = new Map();
  const add = (name, n) => sizes.set(name, (sizes.get(name) ?? 0) + n);
  let source = 0;
  map.mappings.split(';').forEach((line, index) => {
    const text = lines[index] ?? '';
    let column = 0;
    let current = '(unmapped)';
    let start = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values = decodeSegment(segment);
      column += values[0];
      add(current, Buffer.byteLength(text.slice(start, column)));
      start = column;
      if (values.length >= 4) {
        source += values[1];
        current = map.sources[source] ?? '(unmapped)';
      } else current = '(unmapped)';
    }
    add(current, Buffer.byteLength(text.slice(start)) + 1);
  });
  return sizes;
}

/** node_modules/<pkg> (scoped kept), else our first two folders. */
export function group(source) {
  const at = source.lastIndexOf('node_modules/');
  if (at >= 0) {
    const parts = source.slice(at + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const ours = source.split('/');
  return ours.length > 2 ? ours.slice(0, 2).join('/') : ours.join('/');
}

function main() {
  const dir = process.argv[2];
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 15;
  if (!dir) {
    console.error('usage: bundle-breakdown.mjs DIR [--top N]');
    process.exit(2);
  }
  for (const file of readdirSync(dir)
    .filter(name => name.endsWith('.js'))
    .sort()) {
    let map;
    try {
      map = JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8'));
    } catch {
      continue;
    }
    const code = readFileSync(join(dir, file), 'utf8');
    const groups = new Map();
    for (const [source, bytes] of attribute(code, map)) {
      const name = source === '(unmapped)' ? source : group(relative(process.cwd(), resolve(dir, source)));
      groups.set(name, (groups.get(name) ?? 0) + bytes);
    }
    const total = Buffer.byteLength(code);
    console.log(`\n${file}  ${(total / 1024).toFixed(1)} KB raw`);
    for (const [name, bytes] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${(bytes / 1024).toFixed(1).padStart(8)} KB  ${name}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
