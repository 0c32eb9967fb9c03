/**
 * A plain GET to a local podman socket with node:http, answered as docker-modem's `dial` answers
 * it. Loading dockerode (with gRPC, protobufjs and ssh2) costs more CPU than a whole
 * `bootc-studio images --json` otherwise does (issue 12); a GET without query, body, auth or
 * upgrade needs nothing of it. Anything else still goes through dockerode (podman-socket-connection.ts).
 */

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { addAbortSignal } from 'node:stream';

/** The part of docker-modem's dial options a plain GET may carry. */
export interface DialRequest {
  path: string;
  method?: string;
  options?: unknown;
  file?: unknown;
  headers?: object;
  isStream?: boolean;
  statusCodes?: Record<number, unknown>;
  abortSignal?: AbortSignal;
  hijack?: boolean;
  openStdin?: boolean;
  authconfig?: unknown;
  registryconfig?: unknown;
}

export type DialCallback = (error: unknown, data: unknown) => void;

/** Whether `request` is one plainDial answers exactly as docker-modem would. */
export function isPlainGet(request: DialRequest): boolean {
  return (
    request.method === 'GET' &&
    request.options === undefined &&
    request.file === undefined &&
    !request.hijack &&
    !request.openStdin &&
    request.authconfig === undefined &&
    request.registryconfig === undefined &&
    Object.keys(request.headers ?? {}).length === 0 &&
    // docker-modem drops one trailing `?` when there is no query; any other `?` is its business.
    !request.path.slice(0, -1).includes('?')
  );
}

/** docker-modem's utils.parseJSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** docker-modem's error for a status its caller did not expect. */
function statusError(response: IncomingMessage, statusCodes: Record<number, unknown>, json: unknown): Error {
  const status = response.statusCode ?? 0;
  const cause = json as { message?: unknown; error?: unknown } | null;
  const error = new Error(
    `(HTTP code ${status}) ${String(statusCodes[status] || 'unexpected')} - ${String(cause?.message || cause?.error || cause)} `,
  );
  return Object.assign(error, { reason: statusCodes[status], statusCode: status, json });
}

export function plainDial(socketPath: string, request: DialRequest, callback: DialCallback): void {
  const statusCodes = request.statusCodes ?? {};
  let finished = false;
  const finish = (error: unknown, data: unknown) => {
    if (finished) return;
    finished = true;
    callback(error, data);
  };
  const path = request.path.endsWith('?') ? request.path.slice(0, -1) : request.path;
  const req = httpRequest({
    socketPath,
    path,
    method: 'GET',
    headers: {},
    ...(request.abortSignal ? { signal: request.abortSignal } : {}),
  });
  req.on('response', (response: IncomingMessage) => {
    const ok = statusCodes[response.statusCode ?? 0] === true;
    if (request.isStream) {
      if (ok) {
        finish(null, response);
        return;
      }
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk));
      response.on('error', error => finish(error, null));
      response.on('end', () => finish(statusError(response, statusCodes, parseJson(text) || text), null));
      return;
    }
    if (request.abortSignal) addAbortSignal(request.abortSignal, response);
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => {
      const buffer = Buffer.concat(chunks);
      const json = parseJson(buffer.toString()) || buffer;
      finish(ok ? null : statusError(response, statusCodes, json), ok ? json : null);
    });
  });
  req.on('error', error => finish(error, null));
  req.end();
}
