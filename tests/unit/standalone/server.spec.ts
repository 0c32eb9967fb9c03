import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';

import { HostUi } from '../../../src/standalone/host-ui';
import { StandaloneServer } from '../../../src/standalone/server';
import { WebviewRegistry } from '../../../src/standalone/webview-host';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, res => {
      let body = '';
      res.setEncoding('utf8').on('data', chunk => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(
  url: string,
  headers: Record<string, string>,
): Promise<{ opened: boolean; status?: number; ws: WebSocket }> {
  return new Promise(resolve => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ opened: true, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode, ws }));
    ws.once('error', () => resolve({ opened: false, ws }));
  });
}

describe('standalone server: only the page it printed the URL for can use it', () => {
  const token = 'a'.repeat(48);
  const root = mkdtempSync(join(tmpdir(), 'standalone-server-'));
  const ui = new HostUi();
  let server: StandaloneServer;
  let webviews: WebviewRegistry;
  let origin: string;
  const cookie = `bootc_studio_token=${token}`;

  beforeAll(async () => {
    mkdirSync(join(root, 'media'));
    writeFileSync(join(root, 'media', 'app.js'), 'console.log("app")');
    writeFileSync(join(root, 'secret.txt'), 'not for the webview');
    webviews = new WebviewRegistry({
      origin: () => server.origin,
      extensionRoot: root,
      changed: panels => ui.setPanels(panels.map(panel => ({ id: panel.id, title: panel.title }))),
    });
    server = new StandaloneServer({ port: 0, token, extensionRoot: root, ui, webviews, engineLabel: 'podman (test)' });
    origin = await server.listen();
    const panel = webviews.create('test', 'Test', { localResourceRoots: [{ fsPath: join(root, 'media') }] });
    panel.html = `<html><head><title>t</title></head><body><script src="${panel.webview.asWebviewUri({ fsPath: join(root, 'media', 'app.js') } as never)}"></script></body></html>`;
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('listens on 127.0.0.1 and prints a URL carrying the token', () => {
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`${origin}/?token=${token}`);
  });

  test('without the token, or with a wrong one, every page is refused', async () => {
    expect((await get(`${origin}/`)).status).toBe(403);
    expect((await get(`${origin}/host.js`)).status).toBe(403);
    expect((await get(`${origin}/ext/media/app.js`)).status).toBe(403);
    expect((await get(`${origin}/?token=${'b'.repeat(48)}`)).status).toBe(403);
    expect((await get(`${origin}/`, { Cookie: 'bootc_studio_token=nope' })).status).toBe(403);
  });

  test('the token in the URL becomes a strict, HttpOnly cookie and leaves the address bar', async () => {
    const reply = await get(server.url);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/');
    expect(String(reply.headers['set-cookie'])).toBe(`${cookie}; HttpOnly; SameSite=Strict; Path=/`);
    const page = await get(`${origin}/`, { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('podman-desktop-colors-styles');
    expect(page.body).toContain('podman (test)');
  });

  test('a request for another host name (DNS rebinding) is refused even with the cookie', async () => {
    const reply = await get(`${origin}/`, { Cookie: cookie, Host: 'attacker.example:80' });
    expect(reply.status).toBe(421);
  });

  test('a request from another origin is refused even with the cookie; the server’s own pages pass', async () => {
    const foreign = { Cookie: cookie, Origin: 'http://attacker.example' };
    expect((await get(`${origin}/`, foreign)).status).toBe(403);
    expect((await get(`${origin}/ext/media/app.js`, foreign)).status).toBe(403);
    // Another port of 127.0.0.1 is the same site: SameSite=Strict still sends it the cookie.
    expect((await get(`${origin}/`, { Cookie: cookie, 'Sec-Fetch-Site': 'same-site' })).status).toBe(403);
    expect((await get(`${origin}/`, { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await get(`${origin}/`, { Cookie: cookie, Origin: origin, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(
      200,
    );
    expect((await get(`${origin}/`, { Cookie: cookie, 'Sec-Fetch-Site': 'none' })).status).toBe(200);
  });

  test('the webview document gets the theme and the acquirePodmanDesktopApi preload before its own scripts', async () => {
    const [panel] = webviews.all();
    const page = await get(`${origin}/webview/${panel.id}/`, { Cookie: cookie });
    expect(page.status).toBe(200);
    const preload = page.body.indexOf('acquirePodmanDesktopApi');
    expect(preload).toBeGreaterThan(page.body.indexOf('<head>'));
    expect(preload).toBeLessThan(page.body.indexOf('<title>'));
    expect(page.body).toContain('--pd-content-bg');
  });

  test('extension files are served from the panel resource roots only, never outside them', async () => {
    expect((await get(`${origin}/ext/media/app.js`, { Cookie: cookie })).body).toContain('console.log("app")');
    expect((await get(`${origin}/ext/secret.txt`, { Cookie: cookie })).status).toBe(403);
    expect((await get(`${origin}/ext/media/..%2F..%2F..%2Fetc%2Fpasswd`, { Cookie: cookie })).status).toBe(403);
    expect((await get(`${origin}/ext/media/missing.js`, { Cookie: cookie })).status).toBe(404);
  });

  test('WebSockets need the cookie and the server’s own Origin', async () => {
    const [panel] = webviews.all();
    const url = `${origin.replace('http', 'ws')}/ws/webview/${panel.id}`;
    const foreign = await openSocket(url, { Cookie: cookie, Origin: 'http://attacker.example' });
    expect(foreign).toMatchObject({ opened: false, status: 403 });
    const noOrigin = await openSocket(url, { Cookie: cookie });
    expect(noOrigin.opened).toBe(false);
    const noCookie = await openSocket(url, { Origin: origin });
    expect(noCookie).toMatchObject({ opened: false, status: 403 });
    const own = await openSocket(url, { Cookie: cookie, Origin: origin });
    expect(own.opened).toBe(true);
    own.ws.close();
  });

  test('the bridge carries page messages to the panel and panel messages to the page', async () => {
    const [panel] = webviews.all();
    const received: unknown[] = [];
    const subscription = panel.webview.onDidReceiveMessage(message => received.push(message));
    const { ws } = await openSocket(`${origin.replace('http', 'ws')}/ws/webview/${panel.id}`, {
      Cookie: cookie,
      Origin: origin,
    });
    const toPage = new Promise(resolve => ws.once('message', data => resolve(JSON.parse(data.toString()))));
    ws.send(JSON.stringify({ kind: 'message', data: { kind: 'rpc-request', id: 1, method: 'x', args: [] } }));
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(received).toEqual([{ kind: 'rpc-request', id: 1, method: 'x', args: [] }]);
    await panel.webview.postMessage({ kind: 'rpc-push', channel: 'images-changed' });
    expect(await toPage).toEqual({ kind: 'message', data: { kind: 'rpc-push', channel: 'images-changed' } });
    ws.close();
    subscription.dispose();
  });
});
