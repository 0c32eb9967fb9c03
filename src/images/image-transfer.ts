/**
 * Pushes and pulls as operations: the request checked before anything starts, the engine's transfer
 * with per-layer progress into the operation, and the registry's refusal as the operation's error.
 * Credentials are handed to the engine and to the operation's scrubber, nowhere else.
 */

import type { ImagePullRequest, ImagePushRequest } from '../api/image-operations';
import { imagePullRequestSchema, imagePushRequestSchema, parseOrThrow, ValidationError } from '../api/validation';
import type { ContainerEngine, RegistryCredentials } from '../engine/container-engine';
import { registryOf } from '../engine/registry-auth';
import { chooseEngine } from './engine-choice';
import type { ImageOperations } from './image-operations';

export interface ImageTransferDeps {
  engine: ContainerEngine;
  operations: ImageOperations;
}

/** Starts a push of a full reference; rejects (nothing started) on bad input or an image the engine lacks. */
export async function startPush(deps: ImageTransferDeps, input: unknown): Promise<string> {
  const request: ImagePushRequest = parseOrThrow(imagePushRequestSchema, input);
  const engine = await chooseEngine(deps.engine, request.engineId);
  await deps.engine.inspectImage(engine.id, request.ref).catch(() => {
    throw new ValidationError([
      { field: 'ref', message: `${engine.name} has no image ${request.ref}; build or tag it first` },
    ]);
  });
  const credentials = request.credentials;
  const operation = deps.operations.start(
    {
      kind: 'push',
      ref: request.ref,
      engineId: engine.id,
      engineName: engine.name,
      secrets: credentials ? [credentials.password, `${credentials.username}:${credentials.password}`] : [],
    },
    async context => {
      context.log(`Pushing ${request.ref} from ${engine.name}`);
      context.message(`Pushing ${request.ref}`);
      const result = await deps.engine.pushImage(
        engine.id,
        request.ref,
        { credentials, tlsVerify: request.tlsVerify, signal: context.signal },
        {
          log: line => context.log(line),
          layer: update => context.layer(update),
        },
      );
      const message = `Pushed ${request.ref}${result.digest ? ` (${result.digest})` : ''}`;
      context.log(message);
      // Said once the image is there: a failed push has nothing a VM could pull anyway.
      for (const warning of pushWarnings(request.ref)) context.warn(warning);
      return { message, digest: result.digest };
    },
  );
  return operation.id;
}

/** Starts a pull; rejects (nothing started) on bad input. */
export async function startPull(
  deps: ImageTransferDeps,
  input: unknown,
  /** The CLI's: credentials from podman's auth file. */
  extra: { credentials?: RegistryCredentials } = {},
): Promise<string> {
  const request: ImagePullRequest = parseOrThrow(imagePullRequestSchema, input);
  const engine = await chooseEngine(deps.engine, request.engineId);
  const { credentials } = extra;
  const operation = deps.operations.start(
    {
      kind: 'pull',
      ref: request.ref,
      engineId: engine.id,
      engineName: engine.name,
      secrets: credentials ? [credentials.password] : [],
    },
    async context => {
      context.log(`Pulling ${request.ref}${request.platform ? ` for ${request.platform}` : ''} on ${engine.name}`);
      context.message(`Pulling ${request.ref}`);
      const result = await deps.engine.pullImage(
        engine.id,
        request.ref,
        { platform: request.platform, credentials, signal: context.signal },
        {
          log: line => context.log(line),
          layer: update => context.layer(update),
        },
      );
      const message = `Pulled ${request.ref}`;
      context.log(message);
      return { imageId: result.imageId, message };
    },
  );
  return operation.id;
}

/** What a user should know before pushing `ref`: a VM cannot pull from this machine's localhost. */
export function pushWarnings(ref: string): string[] {
  const registry = registryOf(ref);
  if (registry === undefined || registry === 'localhost') {
    return [
      `${ref} names no registry a VM can pull from (localhost/ is this machine's image store): ` +
        'tag it for a registry first, e.g. quay.io/you/os:1, then push that reference.',
    ];
  }
  if (isLoopback(registry)) {
    return [
      `${registry} is this machine's loopback address: a VM cannot pull or bootc upgrade from it. ` +
        'Tag the image for a registry the VM can reach before booting from it.',
    ];
  }
  return [];
}

function isLoopback(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
