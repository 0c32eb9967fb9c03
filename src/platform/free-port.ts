import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it now): racy, as every
 * such choice is, so whoever binds it says which port it could not have when that happens.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
