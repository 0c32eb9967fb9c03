import Module from 'node:module';
import { relative } from 'node:path';

type ModuleLoad = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;

/**
 * Answers `require('@podman-desktop/api')` with `api` for modules inside `extensionRoot`, as
 * Podman Desktop's module loader does (it patches `Module._load` the same way). Anything else
 * loads normally. Returns the function that restores the original loader.
 */
export function overrideModuleLoad(extensionRoot: string, api: unknown): () => void {
  const moduleWithLoad = Module as unknown as { _load: ModuleLoad };
  const original = moduleWithLoad._load;
  moduleWithLoad._load = function (request, parent, isMain) {
    if (request === '@podman-desktop/api' && parent?.filename && isInside(extensionRoot, parent.filename)) {
      return api;
    }
    return original.call(this, request, parent, isMain);
  };
  return () => {
    moduleWithLoad._load = original;
  };
}

function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/');
}
