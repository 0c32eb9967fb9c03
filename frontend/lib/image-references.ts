import type { SUPPORTED_PLATFORMS } from '../../src/api/image-operations';

/**
 * Whether a reference lives only in local storage: podman names images built without a registry
 * `localhost/…`, and a virtual machine cannot `bootc upgrade` from such a name.
 */
export function isLocalOnlyRef(ref: string): boolean {
  return ref.trim().startsWith('localhost/');
}

/** The registry a reference names (`quay.io`, `127.0.0.1:5000`), or undefined for a short name. */
export function registryHost(ref: string): string | undefined {
  const trimmed = ref.trim();
  const slash = trimmed.indexOf('/');
  if (slash < 0) return undefined;
  const first = trimmed.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

/** Whether the reference's registry runs on this machine (where a plain-HTTP test registry usually is). */
export function isLoopbackRegistry(ref: string): boolean {
  const host = registryHost(ref);
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** The build platform of an engine's architecture as podman or docker report it, if supported. */
export function platformOfArch(arch: string | undefined): (typeof SUPPORTED_PLATFORMS)[number] | undefined {
  switch (arch?.toLowerCase()) {
    case 'amd64':
    case 'x86_64':
      return 'linux/amd64';
    case 'arm64':
    case 'aarch64':
      return 'linux/arm64';
    default:
      return undefined;
  }
}

/** `/home/me/os/Containerfile` → folder `/home/me/os`, file `Containerfile` (either separator). */
export function splitPath(path: string): { dir: string; file: string } {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut < 0) return { dir: '', file: path };
  return { dir: cut === 0 ? path.slice(0, 1) : path.slice(0, cut), file: path.slice(cut + 1) };
}

/** A route with a query, e.g. `routeWith('/images', {operation: 'op-1'})` → `/images?operation=op-1`. */
export function routeWith(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
