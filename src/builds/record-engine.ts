/**
 * A build record names the engine it ran on by the id that engine had then. Records written before
 * engine ids were stable name a socket path that may serve nothing now (standalone mode's service
 * moves to a fresh folder on every run); read back, they are moved to the id the same engine has
 * now (engine-identity.ts), so Rebuild, Cancel and the builder's clean-up reach it.
 */

import type { DiskBuildRecord } from '../api/disk-builds';
import type { EngineInfo } from '../engine/container-engine';
import { findEngine, isLocalPodmanId } from '../engine/engine-identity';

/** Whether reading `record` needs the running engines at all (an SSH engine's id is its URL: never). */
export function mayHaveMoved(record: DiskBuildRecord): boolean {
  return isLocalPodmanId(record.engineId);
}

/** The record with its engine's current id (in the request too), or as it is when that engine is not running. */
export function onCurrentEngine(record: DiskBuildRecord, engines: readonly EngineInfo[]): DiskBuildRecord {
  const engine = findEngine(engines, record.engineId);
  if (!engine || engine.id === record.engineId) return record;
  const request = record.request.engineId === undefined ? record.request : { ...record.request, engineId: engine.id };
  return { ...record, engineId: engine.id, request };
}
