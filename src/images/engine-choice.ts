import { ValidationError } from '../api/validation';
import type { ContainerEngine, EngineInfo } from '../engine/container-engine';
import { EngineError } from '../engine/container-engine';
import { engineGoneMessage, findEngine } from '../engine/engine-identity';

/**
 * The engine an operation runs on: the one named (by any id that still means it: a record's
 * engine after its service moved to another socket), else the first running one. An engine that
 * is gone is bad input (the field is named, the running engines are offered); no running engine
 * at all is a failure.
 */
export async function chooseEngine(engine: ContainerEngine, engineId: string | undefined): Promise<EngineInfo> {
  const engines = await engine.listEngines();
  if (engineId !== undefined) {
    const found = findEngine(engines, engineId);
    if (!found) {
      throw new ValidationError([{ field: 'engineId', message: engineGoneMessage(engineId, engines) }]);
    }
    return found;
  }
  if (engines.length === 0) throw new EngineError('No container engine is running; start podman first');
  return engines[0];
}
