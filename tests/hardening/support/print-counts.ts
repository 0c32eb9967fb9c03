/**
 * Global set-up of the hardening project: gives the specs a file to add their counts to, and at the
 * end of the run prints the totals, so that a CI log says what the suite proved.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TestProject } from 'vitest/node';

import type { CountLine } from './counts';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bootc-studio-hardening-'));
  const file = join(dir, 'counts.jsonl');
  project.provide('hardeningCountsFile', file);
  return () => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // no spec counted anything (all filtered out)
    }
    rmSync(dir, { recursive: true, force: true });
    const lines = text
      .split('\n')
      .filter(line => line.trim())
      .map(line => JSON.parse(line) as CountLine);
    if (lines.length === 0) return;
    const totals = new Map<string, { count: number; specs: Set<string>; details: string[] }>();
    for (const line of lines) {
      const total = totals.get(line.what) ?? { count: 0, specs: new Set<string>(), details: [] };
      total.count += line.count;
      total.specs.add(line.spec);
      if (line.detail) total.details.push(line.detail);
      totals.set(line.what, total);
    }
    const width = Math.max(...[...totals.keys()].map(what => what.length));
    const out = ['', 'Hardening suite — what it proved in this run:'];
    for (const [what, total] of totals) {
      out.push(`  ${what.padEnd(width)}  ${String(total.count).padStart(6)}   (${[...total.specs].join(', ')})`);
      for (const detail of total.details) out.push(`  ${''.padEnd(width)}          ${detail}`);
    }
    console.log(out.join('\n'));
  };
}
