/**
 * Image builds of the standalone container engine: the request is the socket adapter's
 * (openBuildStream: the context tarred, root-owned, a Containerfile outside it added); what is kept
 * here is Podman Desktop's side of it — its build options as the query, `stream` chunks reported
 * as they come, a failing step as an `error` event, then `finish`, and the call resolving at stream
 * end with podman's events — also after an `error` event, as Podman Desktop does: callers must
 * treat any `error` as failure.
 */

import type * as pd from '@podman-desktop/api';

import type { IncomingMessage } from 'node:http';
import { resolve as resolvePath } from 'node:path';

import { errorMessage } from '../api/errors';
import { EngineError } from '../engine/container-engine';
import { JsonLines } from '../engine/json-lines';
import { openBuildStream } from '../engine/socket/podman-socket-build';
import type { StandaloneEngineContext } from './standalone-engine-context';
import { buildQuery, containerfileInContext } from './standalone-request-params';
import { asRecord, required } from './standalone-streams';

export class StandaloneBuilds {
  readonly #engine: StandaloneEngineContext;

  constructor(engine: StandaloneEngineContext) {
    this.#engine = engine;
  }

  async buildImage(
    context: string,
    eventCollect: (eventName: 'stream' | 'error' | 'finish', data: string) => void,
    buildOptions?: pd.BuildImageOptions,
  ): Promise<unknown> {
    if (buildOptions?.provider) this.#engine.checkConnection(buildOptions.provider);
    const contextDir = resolvePath(required(context, 'build context'));
    const { dockerfile, extraFiles } = await containerfileInContext(contextDir, buildOptions?.containerFile);
    const signal = buildOptions?.abortController?.signal;

    eventCollect('stream', `Uploading the build context from ${contextDir}...Can take a while...\r\n`);
    let response: IncomingMessage;
    try {
      response = await openBuildStream(this.#engine.client, {
        contextDir,
        extraFiles,
        query: buildQuery(buildOptions, dockerfile),
        doing: `Building image${buildOptions?.tag ? ` ${buildOptions.tag}` : ''}`,
        signal,
      });
    } catch (error) {
      eventCollect('error', errorMessage(error));
      throw error;
    }
    eventCollect('stream', `Building image ${buildOptions?.tag ?? ''}...\r\n`);

    return new Promise<unknown>((resolve, reject) => {
      const output: unknown[] = [];
      const splitter = new JsonLines(
        value => {
          output.push(value);
          const event = asRecord(value);
          if (typeof event.stream === 'string' && event.stream !== '') {
            eventCollect('stream', event.stream);
          } else if (typeof event.error === 'string' && event.error !== '') {
            eventCollect('error', event.error);
          } else if (asRecord(event.errorDetail).message) {
            eventCollect('error', String(asRecord(event.errorDetail).message));
          }
        },
        line => eventCollect('stream', `${line}\n`),
      );
      this.#engine.streams.follow(response, {
        data: chunk => splitter.push(chunk),
        end: () => {
          splitter.end();
          eventCollect('finish', '');
          resolve(output);
        },
        error: error => {
          splitter.end();
          const message = signal?.aborted ? 'The build was aborted' : errorMessage(error);
          eventCollect('finish', message);
          reject(new EngineError(message));
        },
      });
    });
  }
}
