import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { errorMessage } from '../api/errors';
import { defaultStoreDir } from '../platform/paths';
import { findOrStartLocalEngine } from './local-engine';
import { startStandalone } from './standalone-host';

const HELP = `Usage: npm start [-- OPTIONS]   (or: node dist/standalone.js [OPTIONS])

Runs the built Bootc Studio extension against the local podman, the way Podman Desktop would, and
serves its page to a browser at http://127.0.0.1:PORT/ behind a per-run token.

  --port N      port to listen on (default: a free one)
  --url URL     podman service: unix:///path or ssh://user@host/path (default: CONTAINER_HOST,
                else the rootless socket, else /run/podman/podman.sock, else a service started
                for this session)
  --store DIR   Bootc Studio's records (default: $BOOTC_STUDIO_HOME, else the per-user data folder)
  -h, --help    this text
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        url: { type: 'string' },
        store: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err: unknown) {
    process.stderr.write(`bootc-studio standalone: ${errorMessage(err)}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`bootc-studio standalone: --port must be a number from 0 to 65535, got ${values.port}\n`);
    return 2;
  }

  const log = (line: string) => process.stdout.write(`${line}\n`);
  // Listened for from the start: a signal while the podman service is still starting must stop it
  // too, not end this process by default and leave the service behind.
  const stopRequested = stopSignal();
  const engine = await findOrStartLocalEngine(values.url, process.env, log);
  if (stopRequested.received) {
    await engine.stop?.();
    return 0;
  }
  let running;
  try {
    running = await startStandalone({
      extensionRoot: resolve(__dirname, '..'),
      endpoint: engine.endpoint,
      storeDir: values.store ?? defaultStoreDir(),
      port,
    });
  } catch (err: unknown) {
    await engine.stop?.();
    throw err;
  }
  log(`Bootc Studio (standalone) on ${engine.endpoint.url}`);
  log(`Open ${running.url}`);
  log('Press Ctrl-C to stop.');

  await stopRequested.promise;
  await running.stop().catch(err => process.stderr.write(`while stopping: ${errorMessage(err)}\n`));
  await engine.stop?.();
  return 0;
}

/**
 * Resolves on SIGINT, SIGTERM or SIGHUP, or — when started by `npm start` (scripts/start.mjs sets
 * BOOTC_STUDIO_STOP_WITH_PARENT) — when that parent went away without passing a signal on.
 */
function stopSignal(): { promise: Promise<void>; received: boolean } {
  const state = { received: false, promise: Promise.resolve() };
  state.promise = new Promise<void>(done => {
    const stop = () => {
      state.received = true;
      clearInterval(orphaned);
      done();
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
    const parent = process.ppid;
    const orphaned = setInterval(() => {
      if (process.env.BOOTC_STUDIO_STOP_WITH_PARENT === '1' && process.ppid !== parent) stop();
    }, 500);
    orphaned.unref();
  });
  return state;
}

main().then(
  // Exit even if a stream of the engine client still holds the event loop: everything was stopped.
  code => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bootc-studio standalone: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
