/**
 * Podman's refusals to start a container that come from the host's settings, not from the
 * container: the OCI runtime (crun, runc) cannot do what podman's defaults ask on this host. Their
 * text (runc's "error setting rlimit type 7: operation not permitted") says nothing a user can act
 * on; explainStartFailure() puts what failed and which setting fixes it first, and keeps podman's
 * own words after it.
 */

import { EngineError } from './container-engine';

interface KnownFailure {
  test: RegExp;
  explain: string;
}

const CONF =
  "podman's containers.conf (/etc/containers/containers.conf, ~/.config/containers/containers.conf or $CONTAINERS_CONF)";

const KNOWN: KnownFailure[] = [
  {
    test: /cgroups? in hybrid mode|hybrid mode not supported/i,
    explain:
      `the OCI runtime crun does not support this host's cgroup v1 (hybrid) layout: install runc and set ` +
      `runtime = "runc" in the [engine] section of ${CONF}, or boot the host with cgroup v2`,
  },
  {
    test: /rlimit[^:]*:.*(operation not permitted|permission denied)|setrlimit/i,
    explain:
      `the OCI runtime was not allowed to set podman's default resource limits (ulimits) on this host: set ` +
      `lower ones, e.g. default_ulimits = ["nofile=10000:10000", "nproc=9000:9000"] in the [containers] section of ${CONF}`,
  },
  {
    test: /(default OCI runtime|OCI runtime) "?[\w./-]*"? not found|no valid executable found for OCI runtime/i,
    explain: `the OCI runtime podman is set to use is not installed: install it (crun or runc), or name an installed one with runtime = "…" in the [engine] section of ${CONF}`,
  },
];

/** What a start failure means in the user's words, or undefined when it is not a known host problem. */
export function explainStartFailure(message: string): string | undefined {
  return KNOWN.find(known => known.test.test(message))?.explain;
}

/**
 * The error to report for a container that would not start: a known host problem is said first
 * ("podman could not start container X: <why and what to set>. podman said: <its text>"); anything
 * else is the error as it came.
 */
export function startFailure(error: unknown, id: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const explained = explainStartFailure(message);
  if (!explained) return error;
  const status = error instanceof EngineError ? error.statusCode : undefined;
  const name = /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
  // podman's own words, without the adapter's "Starting container … failed: HTTP 500 — " around them.
  const said = message.replace(/^Starting container \S+ failed[^:]*: (HTTP \d+ — )?/, '');
  return new EngineError(`podman could not start container ${name}: ${explained}. podman said: ${said}`, status);
}
