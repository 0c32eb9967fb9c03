/**
 * The wire format of the webview bridge. A request carries an id; the reply carries the same id.
 * A push carries only a channel name and an optional small body: it says "X changed", never the
 * only copy of data, because Podman Desktop drops messages posted while the webview is not shown.
 */

import type { ErrorInfo } from './errors';

export interface RpcRequest {
  kind: 'rpc-request';
  id: number;
  method: string;
  args: unknown[];
}

export interface RpcResponse {
  kind: 'rpc-response';
  id: number;
  ok: boolean;
  result?: unknown;
  /** What went wrong, when `ok` is false: its message, its code and the fields it names. */
  error?: ErrorInfo;
}

export interface RpcPush {
  kind: 'rpc-push';
  channel: PushChannel;
  body?: unknown;
}

export type RpcMessage = RpcRequest | RpcResponse | RpcPush;

/** Invalidation hints the backend sends; the page re-fetches what the channel names. */
export const PUSH_CHANNELS = {
  imagesChanged: 'images-changed',
  enginesChanged: 'engines-changed',
  /** A job (of any kind) started, progressed, ended or was removed: re-read listJobs / getJob. */
  jobsChanged: 'jobs-changed',
  /** A VM was made, started, stopped or removed: re-read listVms. */
  vmsChanged: 'vms-changed',
  /** A deep link is pending: call `takePendingRoute()`. */
  routePending: 'route-pending',
} as const;

export type PushChannel = (typeof PUSH_CHANNELS)[keyof typeof PUSH_CHANNELS];

export function isRpcMessage(value: unknown): value is RpcMessage {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'rpc-request' || kind === 'rpc-response' || kind === 'rpc-push';
}
