/**
 * Requests to one podman service through dockerode's modem (unix socket or SSH, as createDockerode
 * sets it up), for the podman-socket adapter and standalone mode's container engine: JSON calls with
 * a timeout and podman's own error message, and streaming calls (build, push, pull, logs, events)
 * that hand back the open response.
 *
 * Query values are passed as data, never pasted into the path; request bodies go in the body, never
 * in the query (dockerode's own createContainer copies the whole body, environment included, into
 * the URL). Registry credentials travel only in the X-Registry-Auth header and appear in no message.
 */

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

import { errorMessage } from '../../api/errors';
import { CancelledError, EngineError } from '../container-engine';
import type { EngineEndpoint } from '../engine-endpoint';
import { connectionFailureMessage } from '../engine-endpoint';
import { tunnelFailureOf } from '../../ssh/ssh-channel';
import type { EngineDocker } from './podman-socket-connection';

/** podman's versioned libpod API prefix; v4.0.0 is answered by podman 4 and 5. */
export const LIBPOD = '/v4.0.0/libpod';
/** The Docker-compatible API version podman 4 and 5 answer. */
export const COMPAT = '/v1.41';

export type QueryValue = string | number | boolean | string[] | Record<string, string> | undefined;

export interface SocketRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path without query, e.g. `/v4.0.0/libpod/images/pull` or `/v1.41/images/json`. */
  path: string;
  /**
   * Undefined values are left out; arrays repeat the key; objects are sent as JSON (Docker's
   * buildargs, labels).
   */
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  body?: unknown;
  /** A streamed body (a build context tar). */
  file?: Readable;
  headers?: Record<string, string>;
  /** HTTP statuses that mean success. Default 200, 201, 204. */
  ok?: readonly number[];
  /** What is being done, for messages: `Pushing 127.0.0.1:5000/x:1`. */
  doing: string;
  /** A message per HTTP status, replacing the generic one. */
  messages?: Record<number, string>;
  signal?: AbortSignal;
}

/** A failed request whose HTTP status and podman's own message are kept for callers to map. */
export class SocketRequestError extends EngineError {
  constructor(
    message: string,
    statusCode: number | undefined,
    /** podman's message (its `message` or `cause`), when it answered with one. */
    readonly podmanMessage?: string,
  ) {
    super(message, statusCode);
    this.name = 'SocketRequestError';
  }
}

const DEFAULT_OK = [200, 201, 204];

export interface PodmanSocketClientOptions {
  /**
   * The error of a request whose `signal` aborted it (a timeout is reported as such). Default: a
   * CancelledError saying `<doing>: cancelled`.
   */
  abortError?: (doing: string) => Error;
}

export class PodmanSocketClient {
  private readonly abortError: (doing: string) => Error;

  constructor(
    private readonly docker: EngineDocker,
    private readonly endpoint: EngineEndpoint,
    private readonly requestTimeoutMs: number,
    options: PodmanSocketClientOptions = {},
  ) {
    this.abortError = options.abortError ?? (doing => new CancelledError(`${doing}: cancelled`));
  }

  /** A request whose whole answer is read: parsed JSON, a string, or undefined for no content. */
  json<T = unknown>(request: SocketRequest): Promise<T> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    return this.dial<T>(request, false, signal);
  }

  /** A request whose answer is a stream: resolves with it once the status line says success. */
  stream(request: SocketRequest): Promise<IncomingMessage> {
    return this.dial<IncomingMessage>(request, true, request.signal);
  }

  private dial<T>(request: SocketRequest, isStream: boolean, signal: AbortSignal | undefined): Promise<T> {
    const statusCodes: Record<number, boolean> = {};
    for (const status of request.ok ?? DEFAULT_OK) statusCodes[status] = true;
    const query: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query[key] = value;
    const hasQuery = Object.keys(query).length > 0;
    const hasBody = request.body !== undefined;
    // docker-modem appends `_query` after the `?` and sends `_body` as JSON; `{}` as a body means
    // "no body" to it. Without either it must get no options at all, or it sends them as the body.
    const options = hasQuery || hasBody ? { _query: query, _body: hasBody ? request.body : {} } : undefined;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(this.failure(request, new Error('aborted'), signal));
        return;
      }
      this.docker.modem.dial(
        {
          path: `${request.path}?`,
          method: request.method,
          options,
          file: request.file,
          headers: request.headers ?? {},
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

  private failure(request: SocketRequest, error: unknown, signal: AbortSignal | undefined): Error {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status !== 'number') {
      if (signal?.aborted) {
        const reason: unknown = signal.reason;
        if (reason instanceof Error && reason.name === 'TimeoutError') {
          return new EngineError(
            `${request.doing}: no answer from ${this.endpoint.url} within ${this.requestTimeoutMs / 1000} s`,
          );
        }
        return this.abortError(request.doing);
      }
      return new EngineError(`${request.doing}: ${connectionFailureMessage(this.endpoint, error)}`);
    }
    // A streaming request's error body is not kept as `json`: docker-modem folds it into the
    // message, as `(HTTP code 500) unexpected - <podman's message> `.
    const reason =
      podmanMessage((error as { json?: unknown }).json) ??
      podmanMessage(errorMessage(error).replace(/^\(HTTP code \d+\) [^-]*- /, ''));
    const known = request.messages?.[status];
    if (known) return new SocketRequestError(known, status, reason);
    return new SocketRequestError(
      `${request.doing} failed: HTTP ${status}${reason ? ` — ${reason}` : ''}`,
      status,
      reason,
    );
  }
}

/**
 * podman's error text from an error body: `{cause, message, response}` JSON, or plain text; its
 * first line, at most `maxLength` characters.
 */
export function podmanMessage(json: unknown, maxLength = 500): string | undefined {
  const text = Buffer.isBuffer(json) ? json.toString('utf8') : typeof json === 'string' ? json : undefined;
  const record =
    json !== null && typeof json === 'object' && !Buffer.isBuffer(json) ? (json as Record<string, unknown>) : {};
  const message =
    (typeof record.message === 'string' && record.message) ||
    (typeof record.cause === 'string' && record.cause) ||
    text;
  return message ? message.split('\n')[0].trim().slice(0, maxLength) || undefined : undefined;
}

/**
 * Reads a response to its end, handing each chunk to `data`. Resolves at the end; rejects when the
 * connection breaks, or with CancelledError when `signal` aborted it.
 */
export function readStream(
  response: IncomingMessage,
  data: (chunk: Buffer) => void,
  signal: AbortSignal | undefined,
  doing: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => {
      response.destroy();
      settle(new CancelledError(`${doing}: cancelled`));
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    response.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        data(chunk);
      } catch (error) {
        response.destroy();
        settle(error);
      }
    });
    response.on('end', () => settle());
    // Over SSH, Node reports a dropped connection only as "aborted"; the tunnel knows why.
    response.on('error', error =>
      settle(
        signal?.aborted
          ? new CancelledError(`${doing}: cancelled`)
          : new EngineError(`${doing}: the connection broke (${errorMessage(tunnelFailureOf(response) ?? error)})`),
      ),
    );
    response.on('close', () => {
      if (!response.readableEnded) {
        const failure = tunnelFailureOf(response);
        settle(
          signal?.aborted
            ? new CancelledError(`${doing}: cancelled`)
            : new EngineError(
                failure
                  ? `${doing}: the connection broke (${failure.message})`
                  : `${doing}: the engine closed the connection before the end`,
              ),
        );
      }
    });
  });
}

/**
 * Whether libpod knows an image, or a manifest list, of that name. exists/ is local only
 * (manifests/{name}/json of podman 4 falls back to the registry); for a manifest list, any refusal
 * means no (podman answers 500 for an image that is not a list).
 */
export function exists(
  client: PodmanSocketClient,
  kind: 'images' | 'manifests',
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  return client
    .json({
      method: 'GET',
      path: `${LIBPOD}/${kind}/${encodeURIComponent(name)}/exists`,
      doing: `Looking up ${name}`,
      signal,
    })
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof SocketRequestError && (kind === 'manifests' || error.statusCode === 404)) return false;
        throw error;
      },
    );
}

/** An image id without its `sha256:` prefix. */
export function normalizeId(id: string): string {
  return id.replace(/^sha256:/, '');
}
