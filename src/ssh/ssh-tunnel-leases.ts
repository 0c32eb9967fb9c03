/**
 * One tunnel per endpoint and settings, shared among its users (checkEndpoint, then the engine),
 * closed when the last lets go.
 */

import type { SshEndpoint } from './ssh-endpoint';
import { sshSettings } from './ssh-login';
import type { SshTunnelOptions } from './ssh-tunnel';
import { SshTunnel } from './ssh-tunnel';

export interface SshTunnelLease {
  readonly tunnel: SshTunnel;
  /**
   * Lets go of the tunnel. When no lease is left it is closed — after `lingerMs` if given, so that
   * a quick check followed by real work (the CLI's checkEndpoint, then the engine) shares one
   * connection. Safe to call twice.
   */
  release(lingerMs?: number): void;
}

interface Shared {
  tunnel: SshTunnel;
  leases: number;
  linger?: NodeJS.Timeout;
}

const shared = new Map<string, Shared>();

/** A lease on the tunnel for `endpoint` with these settings, shared with other users of the same. */
export function acquireSshTunnel(endpoint: SshEndpoint, options: SshTunnelOptions = {}): SshTunnelLease {
  const env = options.env ?? process.env;
  const settings = sshSettings(endpoint, env);
  const key = JSON.stringify([
    settings.user,
    endpoint.url,
    settings.auth,
    settings.knownHostsPath,
    options.readyTimeoutMs,
    options.idleDisconnectMs,
  ]);
  let entry = shared.get(key);
  if (!entry) {
    entry = { tunnel: new SshTunnel(endpoint, { ...options, env }), leases: 0 };
    shared.set(key, entry);
  }
  const held = entry;
  clearTimeout(held.linger);
  held.linger = undefined;
  held.leases++;
  let released = false;
  return {
    tunnel: held.tunnel,
    release(lingerMs = 0) {
      if (released) return;
      released = true;
      held.leases--;
      if (held.leases > 0) return;
      const end = () => {
        if (held.leases > 0 || shared.get(key) !== held) return;
        shared.delete(key);
        held.tunnel.close();
      };
      if (lingerMs <= 0) {
        end();
        return;
      }
      clearTimeout(held.linger);
      held.linger = setTimeout(end, lingerMs);
      held.linger.unref();
    },
  };
}

/**
 * Closes every shared tunnel at once, leases or not (a process shutting down; tests that must
 * start from no connection).
 */
export function closeSharedSshTunnels(): void {
  for (const entry of shared.values()) {
    clearTimeout(entry.linger);
    entry.tunnel.close();
  }
  shared.clear();
}
