/**
 * The architecture of each image a local podman 4 service was asked to inspect, kept between CLI
 * runs. podman 4 does not list architectures, so `images` inspected every bootc image on every run
 * (one request each); an image id is the digest of its config, which names the architecture, so
 * an id's architecture never changes and the answer can be kept. One JSON file per socket path
 * (in the store's image-archs/); ids no longer listed are dropped at the next write. Nothing secret is in
 * it. A cache that cannot be read or written is no cache: the engine is asked.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ImageArchCache {
  /** Image id → architecture, as kept for this socket. */
  read(socketPath: string): Map<string, string>;
  /** Keeps `archs` (the whole map) for this socket. */
  write(socketPath: string, archs: ReadonlyMap<string, string>): void;
}

/** A cache in `dir` (0700), one JSON file per socket path. */
export function imageArchCache(dir: string): ImageArchCache {
  const fileOf = (socketPath: string) =>
    join(dir, `${createHash('sha256').update(socketPath).digest('hex').slice(0, 32)}.arch.json`);
  return {
    read(socketPath) {
      try {
        const kept = JSON.parse(readFileSync(fileOf(socketPath), 'utf8')) as { socketPath?: unknown; archs?: unknown };
        if (kept.socketPath !== socketPath || typeof kept.archs !== 'object' || kept.archs === null) return new Map();
        return new Map(
          Object.entries(kept.archs).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        );
      } catch {
        return new Map();
      }
    },
    write(socketPath, archs) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = fileOf(socketPath);
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify({ socketPath, archs: Object.fromEntries(archs) }), { mode: 0o600 });
        renameSync(temp, file);
      } catch {
        // No cache this time.
      }
    },
  };
}
