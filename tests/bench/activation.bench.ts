/**
 * How long Podman Desktop waits for Bootc Studio: require() of the built bundle (cold: every
 * module of dist/ evicted from the cache first) plus activate(), through the same Module._load
 * override Podman Desktop uses. Goal: well under 100 ms (Podman Desktop's limit is 10 s or more).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import { bench, describe } from 'vitest';

import { overrideModuleLoad } from '../../src/standalone/module-loader';
import { createRecordingApi } from '../loader/recording-host';

const root = resolve(__dirname, '../..');
const main = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).main);
if (!existsSync(main)) throw new Error('run `npm run build` first');

describe('extension activation', () => {
  bench(
    'require dist/extension.js (cold) + activate()',
    async () => {
      const recording = createRecordingApi(root);
      const restore = overrideModuleLoad(root, recording.api);
      const requireFromRoot = createRequire(main);
      for (const id of Object.keys(requireFromRoot.cache))
        if (id.startsWith(join(root, 'dist'))) delete requireFromRoot.cache[id];
      const subscriptions: { dispose(): unknown }[] = [];
      try {
        const extension = requireFromRoot(main);
        await extension.activate({
          subscriptions,
          storagePath: join(root, 'tests/artifacts/storage'),
          extensionUri: recording.api.Uri.file(root),
          secrets: {},
        });
      } finally {
        subscriptions.forEach(subscription => subscription.dispose());
        restore();
      }
    },
    { iterations: 50, warmupIterations: 5 },
  );
});
