/**
 * One cold load of the built extension the way Podman Desktop loads it: a `Module._load` override
 * answers `require('@podman-desktop/api')`, then require(main) and activate(). Run in a fresh node
 * process per measurement (figures.ts spawns it): the figure is what a user waits for once.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { overrideModuleLoad } from '../../src/standalone/module-loader';
import { createRecordingApi } from '../loader/recording-host';

export interface ActivationTimes {
  requireMs: number;
  activateMs: number;
}

export async function activateOnce(root: string, storagePath: string): Promise<ActivationTimes> {
  const main = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).main);
  const recording = createRecordingApi(root);
  const restore = overrideModuleLoad(root, recording.api);
  const subscriptions: { dispose(): unknown }[] = [];
  try {
    const start = performance.now();
    const extension = createRequire(main)(main);
    const required = performance.now();
    await extension.activate({
      subscriptions,
      storagePath,
      extensionUri: recording.api.Uri.file(root),
      secrets: {},
    });
    return { requireMs: required - start, activateMs: performance.now() - required };
  } finally {
    subscriptions.forEach(subscription => subscription.dispose());
    restore();
  }
}
