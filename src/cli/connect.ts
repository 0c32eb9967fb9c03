import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { ContainerEngine } from '../engine/container-engine';
import { EndpointError, resolveEndpoint } from '../engine/engine-endpoint';
import { engineInfoCache } from '../engine/socket/engine-info-cache';
import { imageArchCache } from '../engine/socket/image-arch-cache';
import { PodmanSocketEngine } from '../engine/socket/podman-socket';
import { checkEndpoint } from '../engine/socket/podman-socket-connection';
import { UsageError } from './cli-context';

/**
 * The CLI's engine: `--url`, else CONTAINER_HOST, else the standard podman sockets. A malformed
 * URL is bad input (exit 2); a service that does not answer is a failed operation (exit 1) whose
 * message says how to start one.
 */
export async function connectEngine(
  url: string | undefined,
  env: NodeJS.ProcessEnv,
  storeDir?: string,
): Promise<ContainerEngine> {
  let endpoint;
  try {
    ({ endpoint } = resolveEndpoint(url, { env, uid: process.getuid?.(), exists: existsSync }));
  } catch (err: unknown) {
    if (err instanceof EndpointError) throw new UsageError(err.message);
    throw err;
  }
  await checkEndpoint(endpoint, { env });
  // podman answers `info` in most of a second: a local service's answer is kept in the store, and
  // so are the image architectures podman 4 does not list (one inspect per bootc image otherwise).
  const kept = storeDir
    ? {
        infoCache: engineInfoCache(join(storeDir, 'engine-info')),
        archCache: imageArchCache(join(storeDir, 'image-archs')),
      }
    : {};
  return new PodmanSocketEngine(endpoint, { env, ...kept });
}
