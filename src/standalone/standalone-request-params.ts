/**
 * What the standalone engine puts on the wire for Podman Desktop's options: the build query and
 * where the Containerfile goes, the pull endpoints' parameters and events, env files. Pure functions
 * (but for reading files), unit-tested without a podman.
 */

import type * as pd from '@podman-desktop/api';

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve as resolvePath, sep } from 'node:path';

import type { ExtraContextFile } from '../engine/build-context';
import { EngineError } from '../engine/container-engine';

/**
 * Where the Containerfile is, for the build request: its path inside the context, or — when it
 * lies outside (`../Containerfile`, as Podman Desktop allows) — a copy added to the context under
 * `Containerfile.<n>`, a name no file of the context has.
 */
export async function containerfileInContext(
  contextDir: string,
  containerFile: string | undefined,
): Promise<{ dockerfile?: string; extraFiles: ExtraContextFile[] }> {
  if (!containerFile) return { extraFiles: [] };
  const absolute = resolvePath(contextDir, containerFile);
  const inside = relative(contextDir, absolute);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) {
    return { dockerfile: inside.split(sep).join('/'), extraFiles: [] };
  }
  const content = await readFile(absolute);
  let index = 0;
  while (existsSync(join(contextDir, `Containerfile.${index}`))) index++;
  const name = `Containerfile.${index}`;
  return { dockerfile: name, extraFiles: [{ name, content }] };
}

export function buildQuery(buildOptions: pd.BuildImageOptions | undefined, dockerfile: string | undefined) {
  const o = buildOptions ?? {};
  // Podman Desktop accepts `pull` as a boolean or the string 'true'.
  const pull = typeof o.pull === 'string' ? o.pull.toLowerCase() === 'true' : o.pull;
  return {
    dockerfile,
    t: o.tag,
    platform: o.platform,
    remote: o.remote,
    q: o.q,
    rm: o.rm,
    forcerm: o.forcerm,
    memory: o.memory,
    memswap: o.memswap,
    cpushares: o.cpushares,
    cpusetcpus: o.cpusetcpus,
    cpuperiod: o.cpuperiod,
    cpuquota: o.cpuquota,
    shmsize: o.shmsize,
    squash: o.squash,
    networkmode: o.networkmode,
    target: o.target,
    outputs: o.outputs,
    nocache: o.nocache,
    extrahosts: o.extrahosts || undefined,
    cachefrom: o.cachefrom || undefined,
    buildargs: o.buildargs,
    labels: o.labels,
    pull: pull || undefined,
  };
}

/** Docker's `fromImage` + `tag` for a reference: `a/b:1` → a/b + 1, `a/b@sha256:…` → a/b + sha256:…. */
export function fromImageQuery(reference: string): { fromImage: string; tag: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { fromImage: reference.slice(0, at), tag: reference.slice(at + 1) };
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { fromImage: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { fromImage: reference, tag: 'latest' };
}

/**
 * A PullEvent from either pull stream: Docker's (`status`, `id`, `progress`, `progressDetail`,
 * `error`, `errorDetail`) or libpod's (`stream`, `error`, and a final `{id, images}`).
 */
export function toPullEvent(raw: Record<string, unknown>): pd.PullEvent {
  const event: pd.PullEvent & Record<string, unknown> = { ...raw };
  const detail = asRecord(raw.errorDetail);
  if (typeof raw.error !== 'string' && typeof detail.message === 'string') event.error = detail.message;
  if (typeof event.error === 'string') event.errorDetails = { message: event.error };
  return event;
}

/** Podman Desktop's messages for a pull refused before it starts. */
export function pullFailure(imageName: string, error: unknown): unknown {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (status === 403) {
    return new EngineError(
      `access to image "${imageName}" is denied (403 error). Can also be that image does not exist.`,
      403,
    );
  }
  if (status === 500 || status === 401) {
    return new EngineError(
      `access to image "${imageName}" is denied (${status} error). Can also be that the registry requires authentication.`,
      status,
    );
  }
  return error;
}

/** `KEY=value` lines of env files; blank lines and `#` comments skipped, a bare `KEY` taken from this process. */
export async function readEnvFiles(files: readonly string[]): Promise<string[]> {
  const env: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (trimmed.includes('=')) env.push(trimmed);
      else if (process.env[trimmed] !== undefined) env.push(`${trimmed}=${process.env[trimmed]}`);
    }
  }
  return env;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
