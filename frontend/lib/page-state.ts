import { getState, setState } from '../rpc';

/*
 * Small settings the page remembers across Podman Desktop destroying and re-creating it (its
 * webview state, where the router also keeps the route). Lost when Podman Desktop restarts.
 */

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export function rememberedString(key: string): string | undefined {
  try {
    const value = asRecord(getState())[key];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function rememberString(key: string, value: string): void {
  try {
    const saved = setState({ ...asRecord(getState()), [key]: value });
    Promise.resolve(saved).catch((err: unknown) => console.warn(`Could not remember ${key}:`, err));
  } catch (err: unknown) {
    console.warn(`Could not remember ${key}:`, err);
  }
}

/** The output folder of the last disk build started from the form. */
export const LAST_OUTPUT_DIR = 'diskBuildOutputDir';
