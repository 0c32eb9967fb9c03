/**
 * The SSH tunnel against an in-process SSH server (ssh2's Server) that forwards
 * `direct-streamlocal@openssh.com` channels to a fake podman on a unix socket, as sshd does: what
 * goes over one connection, streams and their end, idle disconnects, sharing, and the messages of
 * what the server refuses. Real OpenSSH and podman: tests/integration/podman-ssh.spec.ts.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AuthContext, Connection, ParsedKey } from 'ssh2';
import { Server, utils } from 'ssh2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { parseEndpointUrl } from '../../../src/engine/engine-endpoint';
import { checkEndpoint } from '../../../src/engine/socket/podman-socket-connection';
import { PodmanSocketEngine } from '../../../src/engine/socket/podman-socket';
import { SshSocketAgent } from '../../../src/ssh/ssh-channel';
import type { SshEndpoint } from '../../../src/ssh/ssh-endpoint';
import { SshTunnel } from '../../../src/ssh/ssh-tunnel';
import { acquireSshTunnel, closeSharedSshTunnels } from '../../../src/ssh/ssh-tunnel-leases';
import { ed25519KeyPair } from '../support/ssh-keys';

const INFO = {
  host: { arch: 'amd64', os: 'linux', security: { rootless: false } },
  store: { graphRoot: '/var/lib/containers/storage' },
  version: { Version: '5.2.1' },
};

function parse(key: string): ParsedKey {
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
}

describe('SshTunnel', () => {
  let dir: string;
  let home: string;
  let podmanSocket: string;
  let podman: HttpServer;
  let sshd: Server;
  let port: number;
  let clientKeyPath: string;
  let knownHostsLine: string;
  /** Requests to /slow being answered right now, and the most at once. */
  const slow = { now: 0, most: 0 };
  /** What the SSH server does with a streamlocal request and with authentication, per test. */
  let forwarding: 'accept' | 'refuse';
  let authMode: 'key' | 'password-only';
  let connections: Connection[];
  /** Channels of the current test (a channel of an earlier test may close late). */
  let channels: { opened: number; closed: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssh-tunnel-spec-'));
    home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    podmanSocket = join(dir, 'podman.sock');

    podman = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const json = (body: unknown) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Libpod-Api-Version': '5.2.1' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/_ping') {
        res.writeHead(200, { 'Libpod-Api-Version': '5.2.1' });
        res.end('OK');
      } else if (req.url === '/v4.0.0/libpod/info') {
        json(INFO);
      } else if (req.url === '/v4.0.0/libpod/images/json') {
        json([{ Id: 'abc', RepoTags: ['localhost/os:1'], Labels: { 'containers.bootc': '1' }, Size: 5, Created: 1 }]);
      } else if (req.url?.startsWith('/slow')) {
        // A slow answer: requests sent together are in podman's hands at the same time.
        slow.now++;
        slow.most = Math.max(slow.most, slow.now);
        setTimeout(() => {
          slow.now--;
          json({ url: req.url });
        }, 50);
      } else if (req.url === '/stream') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        let count = 0;
        const timer = setInterval(() => res.write(`tick ${count++}\n`), 20);
        res.on('close', () => clearInterval(timer));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>(resolve => podman.listen(podmanSocket, resolve));

    const hostKey = ed25519KeyPair();
    const clientKey = ed25519KeyPair();
    const allowed = parse(clientKey.public);
    clientKeyPath = join(dir, 'client_key');
    writeFileSync(clientKeyPath, clientKey.private, { mode: 0o600 });

    sshd = new Server({ hostKeys: [hostKey.private] }, client => {
      connections.push(client);
      client.on('error', () => undefined);
      client.on('authentication', (ctx: AuthContext) => {
        if (authMode === 'password-only') {
          ctx.reject(['password']);
          return;
        }
        if (
          ctx.method === 'publickey' &&
          ctx.key.algo === allowed.type &&
          ctx.key.data.equals(allowed.getPublicSSH()) &&
          (!ctx.signature || allowed.verify(ctx.blob as Buffer, ctx.signature, ctx.hashAlgo) === true)
        ) {
          ctx.accept();
          return;
        }
        ctx.reject(['publickey']);
      });
      client.on('ready', () => {
        // Without a listener ssh2 refuses the channel as administratively prohibited.
        if (forwarding === 'refuse') return;
        client.on('openssh.streamlocal', (accept, _reject, info) => {
          const channel = accept();
          const counts = channels;
          counts.opened++;
          const socket = connect(info.socketPath);
          socket.on('error', () => channel.close());
          // Drain what the client still sends once podman is gone, so the channel can close.
          socket.on('close', () => channel.resume());
          channel.on('close', () => {
            counts.closed++;
            socket.destroy();
          });
          socket.pipe(channel).pipe(socket);
        });
      });
    });
    await new Promise<void>(resolve => sshd.listen(0, '127.0.0.1', resolve));
    port = (sshd.address() as AddressInfo).port;
    const hostPublic = parse(hostKey.public).getPublicSSH().toString('base64');
    knownHostsLine = `[127.0.0.1]:${port} ssh-ed25519 ${hostPublic}\n`;
    writeFileSync(join(home, '.ssh', 'known_hosts'), knownHostsLine);
  });

  afterAll(async () => {
    closeSharedSshTunnels();
    for (const client of connections ?? []) client.end();
    await new Promise(resolve => sshd.close(resolve));
    podman.closeAllConnections();
    await new Promise(resolve => podman.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    forwarding = 'accept';
    authMode = 'key';
    connections = [];
    channels = { opened: 0, closed: 0 };
  });

  afterEach(() => closeSharedSshTunnels());

  const env = () => ({ HOME: home, CONTAINER_SSHKEY: clientKeyPath });
  const endpoint = (): SshEndpoint => parseEndpointUrl(`ssh://tester@127.0.0.1:${port}${podmanSocket}`) as SshEndpoint;

  /** GET `path` through `agent`; resolves with the body once the answer ends. */
  function get(agent: SshSocketAgent, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({ host: 'podman', path, agent }, res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a failure');
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise(resolve => setTimeout(resolve, 10));
    }
  }

  test('the engine over SSH: one connection carries many concurrent requests, a channel each', async () => {
    const engine = new PodmanSocketEngine(endpoint(), { env: env() });
    expect(await checkEndpoint(engine.endpoint, { env: env() })).toEqual({ apiVersion: '5.2.1' });
    const images = await engine.listImages();
    expect(images.map(image => image.repoTags)).toEqual([['localhost/os:1']]);
    expect(images[0].engineName).toBe('podman (rootful) on 127.0.0.1');
    const all = await Promise.all(Array.from({ length: 30 }, () => engine.listImages()));
    expect(all.every(list => list.length === 1)).toBe(true);
    // checkEndpoint's connection lingered for the engine: one login in all.
    expect(connections).toHaveLength(1);
    await until(() => channels.closed === channels.opened, 'every channel to close');
    expect(channels.opened).toBe(33);
    engine.dispose();
  });

  test('requests overlap: a slow answer does not hold up the others', async () => {
    const tunnel = new SshTunnel(endpoint(), { env: env() });
    const agent = new SshSocketAgent(tunnel, podmanSocket);
    const bodies = await Promise.all(Array.from({ length: 20 }, (_, index) => get(agent, `/slow/${index}`)));
    expect(bodies.map(body => (JSON.parse(body) as { url: string }).url)).toEqual(
      Array.from({ length: 20 }, (_, index) => `/slow/${index}`),
    );
    expect(slow.most).toBe(20);
    await until(() => tunnel.openStreams === 0, 'the streams to close');
    tunnel.close();
  });

  test('a streaming answer flows until the reader stops; its channel then closes', async () => {
    const tunnel = new SshTunnel(endpoint(), { env: env() });
    const agent = new SshSocketAgent(tunnel, podmanSocket);
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: 'podman', path: '/stream', agent }, res => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          if (body.includes('tick 3')) {
            req.destroy();
            resolve(body);
          }
        });
      });
      req.on('error', error => (error.message.includes('socket hang up') ? undefined : reject(error)));
      req.end();
    });
    expect(text).toMatch(/^tick 0\ntick 1\ntick 2\ntick 3/);
    await until(() => tunnel.openStreams === 0, 'the stream to close');
    await until(() => channels.closed === 1, 'the server to see the channel close');
    tunnel.close();
  });

  test('an idle connection is closed, and the next request connects again', async () => {
    const tunnel = new SshTunnel(endpoint(), { env: env(), idleDisconnectMs: 50 });
    const agent = new SshSocketAgent(tunnel, podmanSocket);
    expect(await get(agent, '/_ping')).toBe('OK');
    expect(tunnel.connected).toBe(true);
    await until(() => !tunnel.connected, 'the idle disconnect');
    expect(await get(agent, '/_ping')).toBe('OK');
    expect(connections).toHaveLength(2);
    tunnel.close();
  });

  test('a connection the server dropped while idle is replaced on the next request', async () => {
    const tunnel = new SshTunnel(endpoint(), { env: env() });
    const agent = new SshSocketAgent(tunnel, podmanSocket);
    expect(await get(agent, '/_ping')).toBe('OK');
    connections[0].end();
    await until(() => !tunnel.connected, 'the drop to be seen');
    expect(await get(agent, '/_ping')).toBe('OK');
    expect(connections).toHaveLength(2);
    tunnel.close();
  });

  test('close() fails open streams and later requests', async () => {
    const tunnel = new SshTunnel(endpoint(), { env: env() });
    const agent = new SshSocketAgent(tunnel, podmanSocket);
    const streaming = new Promise<string>((resolve, reject) => {
      const req = request({ host: 'podman', path: '/stream', agent }, res => {
        res.once('data', () => tunnel.close());
        res.on('error', error => resolve(error.message));
        res.on('end', () => reject(new Error('ended normally')));
      });
      req.on('error', error => resolve(error.message));
      req.end();
    });
    expect(await streaming).toMatch(/aborted|has been closed/);
    await expect(tunnel.openStream()).rejects.toThrow(`The SSH connection for ${endpoint().url} has been closed.`);
    expect(tunnel.openStreams).toBe(0);
  });

  test('leases share a tunnel; the last release closes it, after a linger if asked', async () => {
    const first = acquireSshTunnel(endpoint(), { env: env() });
    const second = acquireSshTunnel(endpoint(), { env: env() });
    expect(second.tunnel).toBe(first.tunnel);
    const other = acquireSshTunnel(endpoint(), { env: { ...env(), HOME: dir } });
    expect(other.tunnel).not.toBe(first.tunnel);
    other.release();

    await (await first.tunnel.openStream()).destroy();
    first.release(5_000);
    first.release(); // twice: no effect
    expect(first.tunnel.connected).toBe(true);
    second.release(50); // the last one, lingering
    const again = acquireSshTunnel(endpoint(), { env: env() });
    expect(again.tunnel).toBe(first.tunnel);
    again.release();
    await expect(first.tunnel.openStream()).rejects.toThrow('has been closed');
    expect(acquireSshTunnel(endpoint(), { env: env() }).tunnel).not.toBe(first.tunnel);
  });

  test('a server that refuses the forwarding says which setting allows it', async () => {
    forwarding = 'refuse';
    const tunnel = new SshTunnel(endpoint(), { env: env() });
    await expect(tunnel.openStream()).rejects.toThrow(
      /refuses to forward connections to the unix socket .*podman\.sock.*AllowStreamLocalForwarding yes/,
    );
    tunnel.close();
  });

  test('a server that takes no keys: the methods it offers instead', async () => {
    authMode = 'password-only';
    const error = await rejection(new SshTunnel(endpoint(), { env: env() }).openStream());
    expect(error.message).toContain(`SSH authentication as tester@127.0.0.1:${port} failed for ${endpoint().url}`);
    expect(error.message).toContain('the server accepts no keys, only: password');
  });

  test('an ssh-agent that is not there is reported, and the default keys are tried after it', async () => {
    const agentHome = join(dir, 'agent-home');
    mkdirSync(join(agentHome, '.ssh'), { recursive: true });
    writeFileSync(join(agentHome, '.ssh', 'known_hosts'), knownHostsLine);
    writeFileSync(join(agentHome, '.ssh', 'id_ed25519'), ed25519KeyPair().private);
    const tunnel = new SshTunnel(endpoint(), { env: { HOME: agentHome, SSH_AUTH_SOCK: join(dir, 'no-agent.sock') } });
    const error = await rejection(tunnel.openStream());
    expect(error.message).toMatch(
      /\(tried the ssh-agent at .*no-agent\.sock \(unusable: [^)]+\); the key .*agent-home\/\.ssh\/id_ed25519\)/,
    );
    tunnel.close();
  });

  test('an empty known_hosts: the host is unknown, whatever the keys', async () => {
    const emptyHome = join(dir, 'empty-home');
    mkdirSync(join(emptyHome, '.ssh'), { recursive: true });
    writeFileSync(join(emptyHome, '.ssh', 'known_hosts'), '');
    const tunnel = new SshTunnel(endpoint(), { env: { HOME: emptyHome, CONTAINER_SSHKEY: clientKeyPath } });
    const error = await rejection(tunnel.openStream());
    expect(error.message).toContain(`The SSH host key of 127.0.0.1:${port} (ssh-ed25519 SHA256:`);
    expect(error.message).toContain(`is not in ${join(emptyHome, '.ssh', 'known_hosts')}`);
    expect(connections).toHaveLength(1);
    tunnel.close();
  });
});
