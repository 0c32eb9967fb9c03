/**
 * Image builds of the standalone container engine, with Podman Desktop's semantics: the context
 * tarred (root-owned entries; a Containerfile outside it added), `stream` chunks reported, a failing
 * step as `error`, then `finish`, and the call resolving at stream end — also after an `error`
 * event, as Podman Desktop does: callers must treat any `error` as failure.
 */

import type * as pd from '@podman-desktop/api';

import type { IncomingMessage } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';

import { errorMessage } from '../api/errors';
import { packBuildContext } from '../engine/build-context';
import { EngineError } from '../engine/container-engine';
import { JsonLines } from '../engine/json-lines';
import { COMPAT } from '../engine/socket/podman-socket-client';
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
    let tar: Readable;
    try {
      tar = await packBuildContext(contextDir, extraFiles, signal);
    } catch (error) {
      const failure = new EngineError(`Reading the build context ${contextDir} failed: ${errorMessage(error)}`);
      eventCollect('error', failure.message);
      throw failure;
    }
    // A context file that cannot be read breaks the upload; say that, not "no podman service".
    let tarFailure: unknown;
    tar.once('error', error => (tarFailure = error));
    let response: IncomingMessage;
    try {
      response = await this.#engine.client.stream({
        method: 'POST',
        path: `${COMPAT}/build`,
        query: buildQuery(buildOptions, dockerfile),
        file: tar,
        headers: { 'Content-Type': 'application/x-tar' },
        doing: `Building image${buildOptions?.tag ? ` ${buildOptions.tag}` : ''}`,
        signal,
      });
    } catch (error) {
      tar.destroy();
      const failure =
        tarFailure !== undefined && !signal?.aborted
          ? new EngineError(`Reading the build context ${contextDir} failed: ${errorMessage(tarFailure)}`)
          : error;
      eventCollect('error', errorMessage(failure));
      throw failure;
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
