#!/usr/bin/env node
// `npm run bench [-- --heavy]`: runs tests/bench/figures.ts (TypeScript, through Vite's module
// runner, as the backend's vite config is loaded) and exits with its code.
// `--activate-once STORAGE` is the child process figures.ts spawns per activation measurement.
import { runnerImport } from 'vite';

const args = process.argv.slice(2);
if (args[0] === '--activate-once') {
  const { module } = await runnerImport(new URL('../tests/bench/activate-once.ts', import.meta.url).pathname);
  const times = await module.activateOnce(new URL('..', import.meta.url).pathname, args[1]);
  process.stdout.write(`${JSON.stringify(times)}\n`);
  // Whatever activation left open (timers, watchers) must not keep this child alive.
  process.exit(0);
}
const { module } = await runnerImport(new URL('../tests/bench/figures.ts', import.meta.url).pathname);
process.exitCode = await module.main(args);
