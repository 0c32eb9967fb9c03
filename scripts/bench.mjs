#!/usr/bin/env node
// `npm run bench [-- --heavy]`: runs tests/bench/figures.ts (TypeScript, through a Vite module
// runner, as the backend's vite config is loaded) and exits with its code. The runner stays open
// until the figures are made: the product loads parts of itself on first use (dynamic imports),
// which a closed runner (vite's runnerImport) could no longer serve.
// `--activate-once STORAGE` is the child process figures.ts spawns per activation measurement.
import { createRunnableDevEnvironment, resolveConfig } from 'vite';

/** Runs `run` with the module at `path` (relative to this file), loaded by a runner kept open meanwhile. */
async function withModule(path, run) {
  const config = await resolveConfig(
    {
      configFile: false,
      envDir: false,
      logLevel: 'error',
      environments: {
        inline: {
          consumer: 'server',
          dev: { moduleRunnerTransform: true },
          resolve: { external: true, mainFields: [], conditions: ['node'] },
        },
      },
    },
    'serve',
  );
  const environment = createRunnableDevEnvironment('inline', config, {
    runnerOptions: { hmr: { logger: false } },
    hot: false,
  });
  await environment.init();
  try {
    return await run(await environment.runner.import(new URL(path, import.meta.url).pathname));
  } finally {
    await environment.close();
  }
}

const args = process.argv.slice(2);
if (args[0] === '--activate-once') {
  const times = await withModule('../tests/bench/activate-once.ts', module =>
    module.activateOnce(new URL('..', import.meta.url).pathname, args[1]),
  );
  process.stdout.write(`${JSON.stringify(times)}\n`);
  // Whatever activation left open (timers, watchers) must not keep this child alive.
  process.exit(0);
}
if (args[0] === '--heap-once') {
  const heap = await withModule('../tests/bench/backend-heap.ts', module =>
    module.heapOnce(new URL('..', import.meta.url).pathname, args[1]),
  );
  process.stdout.write(`${JSON.stringify(heap)}\n`);
  process.exit(0);
}
process.exitCode = await withModule('../tests/bench/figures.ts', module => module.main(args));
