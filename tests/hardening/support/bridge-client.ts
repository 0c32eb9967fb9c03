/**
 * The webview's bridge as the page uses it, from the test's process: a WebSocket to standalone
 * mode's `/ws/webview/<panel>` with the session cookie and the server's own origin (what the page's
 * preload opens), carrying the same `rpc-request` messages the page's RpcClient posts. The product's
 * RpcClient makes and settles the calls; its ids are shifted far above the page's own, because the
 * backend posts every response to every document connected to the panel, the page's included.
 */

import WebSocket from 'ws';

import type { BootcStudioApi } from '../../../src/api/bootc-studio-api';
import { RpcClient } from '../../../src/api/rpc-client';
import type { RpcRequest } from '../../../src/api/rpc-protocol';
import { isRpcMessage } from '../../../src/api/rpc-protocol';

const ID_OFFSET = 1_000_000_000;

export interface BridgeClient {
  api: BootcStudioApi;
  close(): void;
}

export async function openBridge(
  origin: string,
  token: string,
  panelId: string,
  timeoutMs = 60_000,
): Promise<BridgeClient> {
  const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws/webview/${panelId}`, {
    headers: { Origin: origin, Cookie: `bootc_studio_token=${token}` },
  });
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
    socket.once('unexpected-response', (_request, response) =>
      fail(new Error(`the bridge refused the connection: ${response.statusCode}`)),
    );
  });
  const client = new RpcClient({
    post: (message: RpcRequest) =>
      socket.send(JSON.stringify({ kind: 'message', data: { ...message, id: message.id + ID_OFFSET } })),
    timeoutMs,
  });
  socket.on('message', raw => {
    const envelope = JSON.parse(raw.toString()) as { kind?: string; data?: unknown };
    if (envelope.kind !== 'message' || !isRpcMessage(envelope.data)) return;
    const message = envelope.data;
    if (message.kind !== 'rpc-response') return client.receive(message);
    // Only the answers to this client's own calls.
    if (message.id >= ID_OFFSET) client.receive({ ...message, id: message.id - ID_OFFSET });
  });
  return { api: client.proxy<BootcStudioApi>(), close: () => socket.close() };
}
