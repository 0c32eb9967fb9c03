import { readFile, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { extname, join, normalize, sep } from 'node:path';

import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';

import hostCss from './host-page/host.css?raw';
import hostHtml from './host-page/host.html?raw';
import hostJs from './host-page/host.js?raw';
import hostResourcesJs from './host-page/host-resources.js?raw';
import webviewPreload from './host-page/webview-preload.js?raw';
import type { HostCommand, HostUi } from './host-ui';
import { themeStyle } from './pd-theme';
import type { StandalonePanel, WebviewRegistry } from './webview-host';

export type Theme = 'dark' | 'light';

export interface StandaloneServerOptions {
  port: number;
  token: string;
  extensionRoot: string;
  ui: HostUi;
  webviews: WebviewRegistry;
  /** Shown in the host bar: which engine the extension talks to. */
  engineLabel: string;
}

const TOKEN_COOKIE = 'bootc_studio_token';
const THEME_COOKIE = 'bootc_studio_theme';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/**
 * Serves the host page and the extension's webviews on 127.0.0.1 behind a per-run token. The token
 * arrives once in the URL, becomes a SameSite=Strict, HttpOnly cookie, and every later request and
 * WebSocket needs it; requests and WebSockets must also come from the server's own origin, and a
 * Host header that is not the server's own (DNS rebinding) is refused. A page on another origin gets nothing.
 */
export class StandaloneServer {
  readonly #options: StandaloneServerOptions;
  readonly #http = createServer((request, response) => void this.#onRequest(request, response));
  readonly #sockets = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  #port = 0;

  constructor(options: StandaloneServerOptions) {
    this.#options = options;
    this.#http.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#options.port, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#http.address() as AddressInfo).port;
    return this.origin;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The URL to open: carries the token once. */
  get url(): string {
    return `${this.origin}/?token=${this.#options.token}`;
  }

  async close(): Promise<void> {
    for (const client of this.#sockets.clients) client.terminate();
    this.#sockets.close();
    this.#http.closeAllConnections();
    await new Promise<void>(resolve => this.#http.close(() => resolve()));
  }

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (!this.#ownHost(request))
        return deny(response, 421, 'Misdirected request: this server answers only as 127.0.0.1 or localhost.');
      if (fromAnotherOrigin(request)) return deny(response, 403, 'Forbidden: a request from another origin.');
      const url = new URL(request.url ?? '/', this.origin);
      if (request.method !== 'GET' && request.method !== 'HEAD') return deny(response, 405, 'Method not allowed.');

      const queryToken = url.searchParams.get('token');
      if (queryToken !== null) {
        if (!this.#validToken(queryToken)) return deny(response, 403, 'Forbidden: wrong token.');
        // Trade the token in the URL for a cookie, and take it out of the address bar and history.
        url.searchParams.delete('token');
        response.writeHead(303, {
          'Set-Cookie': `${TOKEN_COOKIE}=${queryToken}; HttpOnly; SameSite=Strict; Path=/`,
          Location: `${url.pathname}${url.search}`,
          'Cache-Control': 'no-store',
        });
        return void response.end();
      }
      if (!this.#validToken(cookie(request, TOKEN_COOKIE))) {
        return deny(response, 403, 'Forbidden: open the URL that `npm start` printed; it carries the session token.');
      }

      const theme: Theme = cookie(request, THEME_COOKIE) === 'light' ? 'light' : 'dark';
      const { pathname } = url;
      if (pathname === '/') return send(response, 200, '.html', this.#hostPage(theme));
      if (pathname === '/host.js') return send(response, 200, '.js', hostJs);
      if (pathname === '/host-resources.js') return send(response, 200, '.js', hostResourcesJs);
      if (pathname === '/host.css') return send(response, 200, '.css', hostCss);
      if (pathname === '/favicon.ico') return this.#sendFile(response, join(this.#options.extensionRoot, 'icon.png'));
      const webview = /^\/webview\/([\w-]+)\/$/.exec(pathname);
      if (webview) {
        const panel = this.#options.webviews.get(webview[1]);
        if (!panel) return deny(response, 404, 'No such webview.');
        return send(response, 200, '.html', injectIntoWebview(panel, theme));
      }
      if (pathname.startsWith('/ext/')) return this.#sendExtensionFile(response, pathname.slice('/ext/'.length));
      return deny(response, 404, 'Not found.');
    } catch (err: unknown) {
      console.error('standalone: request failed', err);
      if (!response.headersSent) deny(response, 500, 'Internal error.');
    }
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!this.#ownHost(request)) return refuse(421, 'Misdirected Request');
    if (request.headers.origin !== `http://${request.headers.host}`) return refuse(403, 'Forbidden');
    if (!this.#validToken(cookie(request, TOKEN_COOKIE))) return refuse(403, 'Forbidden');
    const { pathname } = new URL(request.url ?? '/', this.origin);
    const webview = /^\/ws\/webview\/([\w-]+)$/.exec(pathname);
    const panel = webview ? this.#options.webviews.get(webview[1]) : undefined;
    if (pathname !== '/ws/host' && !panel) return refuse(404, 'Not Found');
    this.#sockets.handleUpgrade(request, socket, head, ws => (panel ? this.#bridge(ws, panel) : this.#host(ws)));
  }

  #bridge(ws: WebSocket, panel: StandalonePanel): void {
    const disconnect = panel.connect({
      send: message => sendJson(ws, { kind: 'message', data: message }),
      reload: () => sendJson(ws, { kind: 'reload' }),
    });
    ws.on('close', disconnect);
    ws.on('message', raw => {
      const message = parseJson(raw.toString());
      if (message?.kind === 'message') panel.receive(message.data);
      else if (message?.kind === 'state') panel.state = message.data;
    });
  }

  #host(ws: WebSocket): void {
    const detach = this.#options.ui.attach(event => sendJson(ws, event));
    ws.on('close', detach);
    ws.on('message', raw => {
      const command = parseJson(raw.toString()) as HostCommand | undefined;
      if (command && typeof command.type === 'string') {
        void this.#options.ui.handle(command, event => sendJson(ws, event));
      }
    });
  }

  #hostPage(theme: Theme): string {
    return hostHtml
      .replace('<!--theme-->', `<style id="podman-desktop-colors-styles">${themeStyle(theme)}</style>`)
      .replace('data-theme=""', `data-theme="${theme}"`)
      .replace('<!--engine-->', escapeHtml(this.#options.engineLabel));
  }

  async #sendExtensionFile(response: ServerResponse, urlPath: string): Promise<void> {
    const relative = normalize(decodeURIComponent(urlPath));
    if (relative.startsWith('..') || relative.startsWith(sep)) return deny(response, 403, 'Forbidden.');
    const file = join(this.#options.extensionRoot, relative);
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return deny(response, 404, 'Not found.');
    }
    // Only what some panel declared as a local resource root (media/), unlike Podman Desktop,
    // which serves the whole extension folder.
    if (!this.#options.webviews.all().some(panel => panel.serves(real)))
      return deny(response, 403, 'Forbidden: not in a webview resource root.');
    return this.#sendFile(response, real);
  }

  async #sendFile(response: ServerResponse, file: string): Promise<void> {
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return deny(response, 404, 'Not found.');
    }
    send(response, 200, extname(file), body);
  }

  #ownHost(request: IncomingMessage): boolean {
    const host = request.headers.host;
    return host === `127.0.0.1:${this.#port}` || host === `localhost:${this.#port}`;
  }

  #validToken(candidate: string | undefined | null): boolean {
    if (!candidate) return false;
    const expected = Buffer.from(this.#options.token);
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The panel's HTML with Podman Desktop's theme variables and the acquirePodmanDesktopApi preload. */
function injectIntoWebview(panel: StandalonePanel, theme: Theme): string {
  const config = JSON.stringify({ panelId: panel.id, state: panel.state ?? null }).replace(/</g, '\\u003c');
  const injected =
    `<style id="podman-desktop-colors-styles">${themeStyle(theme)}</style>` +
    `<script>window.__bootcStudioWebview = ${config};\n${webviewPreload}</script>`;
  const html = panel.html || '<html><head></head><body></body></html>';
  const head = /<head[^>]*>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + injected + html.slice(head.index + head[0].length);
  return injected + html;
}

/**
 * A request a page of another origin made: its Origin is not ours, or the browser says it came from
 * another site or another origin of this site (another port of 127.0.0.1 is the same site, and
 * SameSite=Strict still sends it the cookie). Typed URLs, links from a terminal and the server's own
 * pages (same origin) pass.
 */
function fromAnotherOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}`) return true;
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function send(response: ServerResponse, status: number, extension: string, body: string | Buffer): void {
  response.writeHead(status, {
    'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Content-Security-Policy': "frame-ancestors 'self'",
  });
  response.end(body);
}

function deny(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(`${message}\n`);
}

function sendJson(ws: WebSocket, value: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(value));
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`);
}
