import { homedir } from 'node:os';
import { join } from 'node:path';

export interface PathEnv {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

const hostPathEnv = (): PathEnv => ({ env: process.env, platform: process.platform, home: homedir() });

/**
 * Where Bootc Studio keeps its records (builds, VMs) outside Podman Desktop: `$BOOTC_STUDIO_HOME`,
 * else the platform's per-user data folder. Inside Podman Desktop the extension's storagePath is used.
 */
export function defaultStoreDir({ env, platform, home }: PathEnv = hostPathEnv()): string {
  if (env.BOOTC_STUDIO_HOME) return env.BOOTC_STUDIO_HOME;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'bootc-studio');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'bootc-studio');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'bootc-studio');
}
