import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { errorMessage } from '../api/errors';
import type { EngineEndpoint } from '../engine/engine-endpoint';
import { resolveEndpoint, unixEndpoint } from '../engine/engine-endpoint';
import { checkEndpoint } from '../engine/socket/podman-socket-connection';
import { findExecutable } from '../platform/executables';
import { startProcess } from '../platform/process';

export interface LocalEngine {
  endpoint: EngineEndpoint;
  /** Set when standalone mode started the service itself; stops it. */
  stop?(): Promise<void>;
}

const INSTALL_PODMAN =
  'podman is not installed. Install it — Debian/Ubuntu: sudo apt-get install podman; Fedora: sudo dnf install podman; ' +
  'macOS: brew install podman && podman machine init --now — or pass --url to reach a podman service elsewhere.';

/**
 * The podman service standalone mode talks to: `--url`, else CONTAINER_HOST, else the standard
 * sockets. When none of those answers and neither --url nor CONTAINER_HOST was given, but podman is
 * installed, a service is started on a private socket (the user's own store) and stopped on exit.
 */
export async function findOrStartLocalEngine(
  url: string | undefined,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<LocalEngine> {
  const { endpoint, source } = resolveEndpoint(url, { env, uid: process.getuid?.(), exists: existsSync });
  try {
    await checkEndpoint(endpoint, { env });
    return { endpoint };
  } catch (err: unknown) {
    if (source !== 'default') throw err;
    const podman = findExecutable('podman', env.PATH);
    if (!podman) throw new Error(INSTALL_PODMAN);
    log(`No podman service answers at ${endpoint.url}; starting one for this session.`);
    return startPrivateService(podman, env);
  }
}

async function startPrivateService(podman: string, env: NodeJS.ProcessEnv): Promise<LocalEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'bootc-studio-service-'));
  const socketPath = join(dir, 'podman.sock');
  const argv = [podman, 'system', 'service', '--time=0', `unix://${socketPath}`];
  // Where util-linux's setpriv exists (Linux), the kernel stops the service when this process dies
  // without stopping it (SIGKILL, a crash); elsewhere stop() and the signal handlers are all there is.
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv', env.PATH) : undefined;
  const [command, ...args] = setpriv ? [setpriv, '--pdeathsig', 'SIGTERM', '--', ...argv] : argv;
  let stderr = '';
  // The whole environment given; stop() sends SIGTERM, and SIGKILL when it still runs 5 s later.
  const service = startProcess([command, ...args], {
    env,
    cleanEnv: true,
    graceMs: 5000,
    onStderr: line => (stderr = `${stderr}${line}\n`.slice(-4000)),
  });
  let startError: string | undefined;
  service.started.catch((error: unknown) => (startError = errorMessage(error)));
  const stop = async () => {
    await service.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const endpoint = unixEndpoint(socketPath);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (startError !== undefined || service.exitCode !== undefined) {
      await stop();
      throw new Error(
        startError ?? `podman system service exited with code ${service.exitCode}: ${stderr.trim() || 'no output'}`,
      );
    }
    try {
      await checkEndpoint(endpoint, { env, timeoutMs: 1000 });
      return { endpoint, stop };
    } catch (err: unknown) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `podman system service did not answer on ${socketPath} within 20 s: ${stderr.trim() || String(err)}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }
}
