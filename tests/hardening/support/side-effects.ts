/**
 * What the hostile-input specs watch to prove that a refused input had no effect: the processes
 * started (recording wrappers put first on PATH), the files and records written (snapshots of the
 * store and output folders), and the containers created (counted through the engine's socket).
 */

import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

import { findExecutable } from '../../integration/support/run-process';

/** The tools the product starts; each gets a wrapper that logs its argv, then runs the real one. */
export const RECORDED_TOOLS = ['podman', 'qemu-system-x86_64', 'qemu-img', 'ssh', 'ssh-keygen', 'skopeo'] as const;

export interface ProcessRecorder {
  /** Put this first on PATH. */
  binDir: string;
  /** Every recorded start, one line each: `<tool> <args…>`. */
  starts(): string[];
  /** Forgets what was recorded (between cases). */
  clear(): void;
}

/** Wrappers for RECORDED_TOOLS in `dir/bin`, logging to `dir/starts.log`. */
export function createProcessRecorder(dir: string): ProcessRecorder {
  const binDir = join(dir, 'bin');
  const log = join(dir, 'starts.log');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(log, '');
  for (const tool of RECORDED_TOOLS) {
    const real = findExecutable(tool, (process.env.PATH ?? '').replace(`${binDir}:`, ''));
    // A test fixture, not product code: the wrapper quotes nothing itself, it only appends argv.
    // HOSTILE_START_LOG: a log of the caller's own (a spec running cases at once gives each its own).
    const script = [
      '#!/bin/sh',
      `log="\${HOSTILE_START_LOG:-${log}}"`,
      `printf '%s' ${shQuote(tool)} >> "$log"`,
      `for arg in "$@"; do printf ' %s' "$arg" >> "$log"; done`,
      `printf '\\n' >> "$log"`,
      real ? `exec ${shQuote(real)} "$@"` : `echo ${shQuote(`${tool}: not installed`)} >&2; exit 127`,
      '',
    ].join('\n');
    writeFileSync(join(binDir, tool), script);
    chmodSync(join(binDir, tool), 0o755);
  }
  return {
    binDir,
    starts: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(line => line.length > 0),
    clear: () => writeFileSync(log, ''),
  };
}

function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Every entry below `dirs` (type, size, mode, mtime): equal snapshots mean nothing was written. */
export function snapshot(...dirs: string[]): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (path: string) => {
    let info;
    try {
      info = lstatSync(path);
    } catch {
      entries.set(path, 'absent');
      return;
    }
    const kind = info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'link' : info.isFile() ? 'file' : 'other';
    entries.set(path, `${kind} ${info.isDirectory() ? '' : info.size} ${info.mode.toString(8)} ${info.mtimeMs}`);
    if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  for (const dir of dirs) walk(dir);
  return entries;
}

/** What changed between two snapshots, as `path: before → after` lines (empty: nothing). */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(path) ?? 'absent';
    const now = after.get(path) ?? 'absent';
    if (was !== now) lines.push(`${path}: ${was} → ${now}`);
  }
  return lines;
}

/** The containers of the engine at `socketPath`, running or not (GET /containers/json?all=true). */
export function containerIds(socketPath: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1.41/containers/json?all=true', method: 'GET' }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Id: string }[];
          resolve(list.map(container => container.Id).sort());
        } catch (error) {
          reject(error as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
