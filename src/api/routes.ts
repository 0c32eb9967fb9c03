/** The webview's routes, shared so the backend can build deep links the page understands. */

export const ROUTES = {
  dashboard: '/',
  images: '/images',
  buildImage: '/images/build',
  diskImages: '/disk-images',
  buildDiskImage: '/disk-images/build',
  /** `/disk-images/details?build=<id>` */
  diskImageDetails: '/disk-images/details',
  /** `/vms?launch=<build id>` opens Launch VM for that build. */
  virtualMachines: '/vms',
  /** `/vms/details?vm=<id>`: its console; `&tab=terminal` an SSH terminal, `&tab=image` its image (bootc status, updates). */
  vmDetails: '/vms/details',
  examples: '/examples',
} as const;

/** The build-form route for one image, e.g. `/disk-images/build?image=quay.io%2Fx%2Fy%3A1&engine=podman`. */
export function buildFormRoute(imageRef: string, engineId?: string): string {
  const query = new URLSearchParams({ image: imageRef });
  if (engineId) query.set('engine', engineId);
  return `${ROUTES.buildDiskImage}?${query.toString()}`;
}

export interface ParsedRoute {
  path: string;
  query: Record<string, string>;
}

export function parseRoute(route: string): ParsedRoute {
  const [rawPath, rawQuery = ''] = route.split('?', 2);
  const path = rawPath && rawPath.startsWith('/') ? rawPath : `/${rawPath ?? ''}`;
  return { path, query: Object.fromEntries(new URLSearchParams(rawQuery)) };
}
