/** What the parts of the standalone container engine share with the engine that owns them. */

import type * as pd from '@podman-desktop/api';

import type { PodmanSocketClient } from '../engine/socket/podman-socket-client';
import type { OpenStreams } from './standalone-streams';

export interface StandaloneEngineContext {
  client: PodmanSocketClient;
  /** What every answer carries. */
  fields: { engineId: string; engineName: string; engineType: 'podman' };
  options: { engineId: string; engineName: string; endpoint: { url: string }; warn?: (message: string) => void };
  streams: OpenStreams;
  /** Registries pushed to and pulled from without TLS verification. */
  insecure(registry: string): boolean;
  /** Refuses another engine's id, as Podman Desktop would not find it. */
  checkEngine(engineId: string): void;
  /** Refuses a connection that is not the stand-in's own. */
  checkConnection(connection: pd.ContainerProviderConnection): void;
}
