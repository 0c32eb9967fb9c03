/**
 * Which engine a stored id means. A record (a disk build, an image operation) keeps the id of the
 * engine it ran on, and must still find that engine after the service serving it restarted on
 * another socket — standalone mode starts one in a fresh temp folder on every run. So a local
 * podman's id says what the engine *is* (its host name, its image store, rootful or not), not
 * where it is reached; a remote one is its URL (the socket path there is the only name it has).
 *
 * Records written before that kept `podman:<socket path>`; findEngine() still resolves them.
 */

import { existsSync } from 'node:fs';

import type { EngineInfo } from './container-engine';

/** What makes a local podman the same engine, whichever socket serves it. */
export interface LocalEngineFacts {
  hostname?: string;
  graphRoot?: string;
  rootful?: boolean;
}

const LOCAL_ID = /^podman:(rootful|rootless)@([^:]*):(\/.*)$/;

/**
 * `podman:rootful@myhost:/var/lib/containers/storage`; undefined when the engine did not say where
 * its store is (then nothing stable can be said, and the caller keeps its endpoint's id).
 */
export function localEngineId(facts: LocalEngineFacts): string | undefined {
  if (!facts.graphRoot?.startsWith('/')) return undefined;
  return `podman:${facts.rootful === false ? 'rootless' : 'rootful'}@${facts.hostname ?? ''}:${facts.graphRoot}`;
}

/** An id of the old form, `podman:/path/to/podman.sock`: a local socket that may no longer exist. */
export function isSocketPathId(id: string): boolean {
  return id.startsWith('podman:/');
}

/** A local podman's id, of either form: what a restart of its service may have to map. */
export function isLocalPodmanId(id: string): boolean {
  return isSocketPathId(id) || LOCAL_ID.test(id);
}

/**
 * The running engine a stored id means, or undefined when it is not running:
 * 1. the same id, or one the engine also answers to (`aliases`: the socket it is reached by);
 * 2. a local id (`podman:rootful@host:/store`) → the local podman with that store and mode, even
 *    where the engine reports another id (Podman Desktop names its connections itself);
 * 3. an old socket-path id whose socket is gone → the only local podman, when there is exactly one
 *    (the service standalone mode started is the user's own podman, now on another socket).
 */
export function findEngine(
  engines: readonly EngineInfo[],
  id: string,
  socketExists: (path: string) => boolean = existsSync,
): EngineInfo | undefined {
  const exact = engines.find(engine => engine.id === id || engine.aliases?.includes(id));
  if (exact) return exact;
  const localPodman = engines.filter(engine => engine.type === 'podman' && engine.remote !== true);
  const local = LOCAL_ID.exec(id);
  if (local) {
    const [, mode, hostname, graphRoot] = local;
    return localPodman.find(
      engine =>
        engine.graphRoot === graphRoot &&
        (engine.rootful === undefined || engine.rootful === (mode === 'rootful')) &&
        (engine.hostname === undefined || engine.hostname === hostname),
    );
  }
  // A socket that is still there serves some other podman (another store): not a guess to make.
  if (isSocketPathId(id) && localPodman.length === 1 && !socketExists(id.slice('podman:'.length))) {
    return localPodman[0];
  }
  return undefined;
}

/** The message for an engine that is really gone, naming the ones that run instead. */
export function engineGoneMessage(id: string, engines: readonly EngineInfo[]): string {
  if (engines.length === 0) return `the engine ${id} is not running, and no other engine is: start podman first`;
  const running = engines.map(engine => `${engine.name} (${engine.id})`).join(', ');
  return `the engine ${id} is not running; choose one that is: ${running}`;
}
