/**
 * Which registries the stand-in talks to without TLS verification.
 *
 * podman itself treats no registry specially: a push or pull to a plain-HTTP registry on
 * 127.0.0.1 or localhost fails ("http: server gave HTTP response to HTTPS client") unless
 * registries.conf lists it as `insecure` or the request says `tlsVerify=false`. Podman Desktop
 * never says so, so under Podman Desktop such a registry needs the registries.conf entry.
 *
 * The stand-in exists to run the extension's loop (build → push → pull) against a local registry
 * on machines set up for nothing else, so it does what Docker does by default: a registry on a
 * loopback address (localhost, 127.0.0.0/8, ::1) is reached with `tlsVerify=false` — podman then
 * still tries HTTPS first and falls back to HTTP. Traffic to a loopback address never leaves the
 * machine, so this gives up nothing an attacker on the network could use. Every other registry
 * keeps podman's default (verify, or whatever registries.conf says).
 */

import { registryOf } from '../engine/registry-auth';

/** True for `localhost`, `127.x.y.z` and `[::1]`, with or without a port. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostOf(registry).toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 && octets[0] === '127' && octets.every(octet => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

/** Whether a push or pull of `reference` should ask podman for `tlsVerify=false`. */
export function skipsTlsVerify(reference: string, insecure: (registry: string) => boolean): boolean {
  const registry = registryOf(reference);
  return registry !== undefined && insecure(registry);
}

function hostOf(registry: string): string {
  if (registry.startsWith('[')) {
    const end = registry.indexOf(']');
    return end > 0 ? registry.slice(1, end) : registry;
  }
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}
