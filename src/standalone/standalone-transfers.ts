/**
 * Pushes and pulls of the standalone container engine, with Podman Desktop's semantics:
 * `pushImage` resolves as soon as the push stream is open, progress and registry errors arriving as
 * JSON text in `data` chunks and `end` marking completion; `pullImage` resolves when the pull
 * completed and rejects on failure. TLS is skipped for the registries the stand-in trusts.
 */

import type * as pd from '@podman-desktop/api';

import type { IncomingMessage } from 'node:http';

import { errorMessage } from '../api/errors';

import { EngineError } from '../engine/container-engine';
import { JsonLines } from '../engine/json-lines';
import { registryAuthHeader } from '../engine/registry-auth';
import { COMPAT } from '../engine/socket/podman-socket-client';
import { compatPushRequest, libpodPullRequest } from '../engine/socket/podman-socket-images';
import type { StandaloneEngineContext } from './standalone-engine-context';
import { skipsTlsVerify } from './standalone-registry-tls';
import { fromImageQuery, pullFailure, toPullEvent } from './standalone-request-params';
import { asRecord, required, textEvents } from './standalone-streams';

export class StandaloneTransfers {
  readonly #engine: StandaloneEngineContext;

  constructor(engine: StandaloneEngineContext) {
    this.#engine = engine;
  }

  async pushImage(
    engineId: string,
    imageTag: string,
    callback: (name: string, data: string) => void,
    authInfo?: pd.ContainerAuthInfo,
  ): Promise<void> {
    this.#engine.checkEngine(engineId);
    required(imageTag, 'image tag');
    // The Docker-compatible push: the one Podman Desktop makes, so progress arrives in Docker's shape.
    const response = await this.#engine.client.stream(
      compatPushRequest(imageTag, {
        tlsVerify: skipsTlsVerify(imageTag, this.#engine.insecure) ? false : undefined,
        headers: authInfo ? { 'X-Registry-Auth': registryAuthHeader(authInfo) } : undefined,
        doing: `Pushing ${imageTag}`,
        messages: { 404: `Image ${imageTag} not found on ${this.#engine.options.engineName}` },
      }),
    );
    const text = textEvents(callback);
    this.#engine.streams.follow(response, {
      data: text.data,
      end: () => {
        text.end();
        callback('end', '');
      },
      // Podman Desktop has no handler here (a broken stream would be an uncaught error); the
      // stand-in reports it the way registry errors arrive, then ends.
      error: error => {
        callback('data', `${JSON.stringify({ error: `Push of ${imageTag} interrupted: ${errorMessage(error)}` })}\n`);
        callback('end', '');
      },
    });
  }

  async pullImage(
    connection: pd.ContainerProviderConnection,
    imageName: string,
    callback: (event: pd.PullEvent) => void,
    platform?: string,
    token?: pd.CancellationToken,
  ): Promise<void> {
    this.#engine.checkConnection(connection);
    required(imageName, 'image name');
    const abort = new AbortController();
    if (token?.isCancellationRequested) throw new EngineError(`Pull of ${imageName} cancelled`);
    const cancellation = token?.onCancellationRequested(() => abort.abort());
    try {
      const insecure = skipsTlsVerify(imageName, this.#engine.insecure);
      let response: IncomingMessage;
      try {
        response = insecure
          ? await this.#engine.client.stream(
              libpodPullRequest(imageName, {
                tlsVerify: false,
                platform,
                doing: `Pulling ${imageName}`,
                signal: abort.signal,
              }),
            )
          : // Podman Desktop's own pull (dockerode's): Docker's events, which extension code reads.
            await this.#engine.client.stream({
              method: 'POST',
              path: `${COMPAT}/images/create`,
              query: { ...fromImageQuery(imageName), platform: platform || undefined },
              doing: `Pulling ${imageName}`,
              signal: abort.signal,
            });
      } catch (error) {
        throw pullFailure(imageName, error);
      }

      await new Promise<void>((resolve, reject) => {
        let failure: string | undefined;
        const splitter = new JsonLines(value => {
          const event = toPullEvent(asRecord(value));
          if (event.error && failure === undefined) failure = event.error;
          callback(event);
        });
        this.#engine.streams.follow(response, {
          data: chunk => splitter.push(chunk),
          end: () => {
            splitter.end();
            if (failure !== undefined) reject(new EngineError(`Pulling ${imageName} failed: ${failure.trim()}`));
            else resolve();
          },
          error: error =>
            reject(
              new EngineError(
                abort.signal.aborted
                  ? `Pull of ${imageName} cancelled`
                  : `Pulling ${imageName}: ${errorMessage(error)}`,
              ),
            ),
        });
      });
    } finally {
      cancellation?.dispose();
    }
  }
}
