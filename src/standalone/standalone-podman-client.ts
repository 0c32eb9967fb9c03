/**
 * Requests to one podman service through dockerode's modem (unix socket or SSH, as
 * createDockerode sets it up), for the stand-in's container engine: JSON calls with a timeout and
 * podman's own error message, and streaming calls (build, push, pull, logs, events) that hand back
 * the open response.
 *
 * Query values are passed as data, never pasted into the path; request bodies go in the body, never
 * in the query (dockerode's own createContainer copies the whole body, environment included, into
 * the URL). Registry credentials travel only in the X-Registry-Auth header and appear in no message.
 */

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

import type Dockerode from 'dockerode';

import { EngineError } from '../engine/container-engine';
import type { EngineEndpoint } from '../engine/engine-endpoint';
import { describeConnectionError, noServiceMessage } from '../engine/engine-endpoint';

export type QueryValue = string | number | boolean | Record<string, string> | undefined;

export interface PodmanRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path without query, e.g. `/images/json` or `/v4.0.0/libpod/info`. */
  path: string;
  /** Undefined values are left out; objects are sent as JSON (Docker's buildargs, labels). */
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  body?: unknown;
  /** A streamed body (a build context tar). */
  file?: Readable;
  headers?: Record<string, string>;
  /** HTTP statuses that mean success. Default 200, 201, 204. */
  ok?: readonly number[];
  /** What is being done, for messages: `Pushing localhost/x:1`. */
  doing: string;
  /** A message per HTTP status, replacing the generic one. */
  messages?: Record<number, string>;
  signal?: AbortSignal;
}

const DEFAULT_OK = [200, 201, 204];

export class PodmanClient {
  constructor(
    private readonly docker: Dockerode,
    private readonly endpoint: EngineEndpoint,
    private readonly requestTimeoutMs: number,
  ) {}

  /** A request whose whole answer is read: parsed JSON, a string, or undefined for no content. */
  json<T = unknown>(request: PodmanRequest): Promise<T> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    return this.dial<T>(request, false, signal);
  }

  /** A request whose answer is a stream: resolves with it once the status line says success. */
  stream(request: PodmanRequest): Promise<IncomingMessage> {
    return this.dial<IncomingMessage>(request, true, request.signal);
  }

  private dial<T>(request: PodmanRequest, isStream: boolean, signal: AbortSignal | undefined): Promise<T> {
    const statusCodes: Record<number, boolean> = {};
    for (const status of request.ok ?? DEFAULT_OK) statusCodes[status] = true;
    const query = compactQuery(request.query ?? {});
    const hasQuery = Object.keys(query).length > 0;
    const hasBody = request.body !== undefined;
    // docker-modem appends `_query` after the `?` and sends `_body` as JSON; `{}` as a body means
    // "no body" to it. Without either it must get no options at all, or it sends them as the body.
    const options = hasQuery || hasBody ? { _query: query, _body: hasBody ? request.body : {} } : undefined;
    return new Promise<T>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `${request.path}?`,
          method: request.method,
          options,
          file: request.file,
          headers: request.headers,
          isStream,
          statusCodes,
          abortSignal: signal,
        },
        (error: unknown, data: unknown) => {
          if (error) reject(this.failure(request, error, signal));
          else resolve(data as T);
        },
      );
    });
  }

  private failure(request: PodmanRequest, error: unknown, signal: AbortSignal | undefined): Error {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status !== 'number') {
      if (signal?.aborted) {
        const reason: unknown = signal.reason;
        const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
        return new EngineError(
          timedOut
            ? `${request.doing}: no answer from ${this.endpoint.url} within ${this.requestTimeoutMs / 1000} s`
            : `${request.doing}: the operation was aborted`,
        );
      }
      return new EngineError(`${request.doing}: ${noServiceMessage(this.endpoint, describeConnectionError(error))}`);
    }
    const known = request.messages?.[status];
    if (known) return new EngineError(known, status);
    // A streaming request's error body is not kept as `json`: docker-modem folds its text into the
    // message, as `(HTTP code 500) unexpected - <podman's message> `.
    const reason =
      podmanMessage((error as { json?: unknown }).json) ??
      podmanMessage(messageOf(error).replace(/^\(HTTP code \d+\) [^-]*- /, ''));
    return new EngineError(`${request.doing} failed: HTTP ${status}${reason ? ` — ${reason}` : ''}`, status);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function compactQuery(query: Record<string, QueryValue>): Record<string, string | number | boolean | object> {
  const compact: Record<string, string | number | boolean | object> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) compact[key] = value;
  }
  return compact;
}

/** podman's error text from an error body: `{cause, message, response}` JSON, or plain text. */
export function podmanMessage(json: unknown): string | undefined {
  const text = Buffer.isBuffer(json) ? json.toString('utf8') : typeof json === 'string' ? json : undefined;
  const record =
    json !== null && typeof json === 'object' && !Buffer.isBuffer(json) ? (json as Record<string, unknown>) : {};
  const message =
    (typeof record.message === 'string' && record.message) ||
    (typeof record.cause === 'string' && record.cause) ||
    text;
  return message ? message.split('\n')[0].trim().slice(0, 500) || undefined : undefined;
}
