/**
 * What a local podman service said of itself (`libpod/info`: its host, store, mode, version), kept
 * between CLI runs. podman takes most of a second to answer `info` (it counts its store), while a
 * command such as `images` needs it only to name the engine; so the answer is kept in a file per
 * socket and used again while the socket is the same file — a restarted service makes a new socket,
 * so its info is asked again. Nothing secret is in it. A cache that cannot be read or written is no
 * cache: the engine is asked.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { EngineInfo } from '../container-engine';

export interface EngineInfoCache {
  read(socketPath: string): EngineInfo | undefined;
  write(socketPath: string, info: EngineInfo): void;
}

/** The socket file's identity: a new service (or a new socket at the same path) has another. */
function socketStamp(socketPath: string): string | undefined {
  try {
    const stat = statSync(socketPath);
    return `${stat.dev}:${stat.ino}:${stat.ctimeMs}`;
  } catch {
    return undefined;
  }
}

/** A cache in `dir` (0700), one JSON file per socket path. */
export function engineInfoCache(dir: string): EngineInfoCache {
  const fileOf = (socketPath: string) =>
    join(dir, `${createHash('sha256').update(socketPath).digest('hex').slice(0, 32)}.json`);
  return {
    read(socketPath) {
      const stamp = socketStamp(socketPath);
      if (!stamp) return undefined;
      try {
        const kept = JSON.parse(readFileSync(fileOf(socketPath), 'utf8')) as {
          socketPath?: unknown;
          stamp?: unknown;
          info?: EngineInfo;
        };
        const info = kept.info;
        const usable = typeof info?.id === 'string' && typeof info.name === 'string' && info.type === 'podman';
        return kept.socketPath === socketPath && kept.stamp === stamp && usable ? info : undefined;
      } catch {
        return undefined;
      }
    },
    write(socketPath, info) {
      const stamp = socketStamp(socketPath);
      if (!stamp) return;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = fileOf(socketPath);
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify({ socketPath, stamp, info }), { mode: 0o600 });
        renameSync(temp, file);
      } catch {
        // No cache this time.
      }
    },
  };
}
