import { ValidationError } from '../api/validation';
import type { ContainerEngine, EngineInfo } from '../engine/container-engine';
import { EngineError } from '../engine/container-engine';

/**
 * The engine an operation runs on: the one named, else the first running one. An unknown id is bad
 * input (the field is named); no running engine at all is a failure.
 */
export async function chooseEngine(engine: ContainerEngine, engineId: string | undefined): Promise<EngineInfo> {
  const engines = await engine.listEngines();
  if (engineId !== undefined) {
    const found = engines.find(candidate => candidate.id === engineId);
    if (!found) {
      throw new ValidationError([{ field: 'engineId', message: `no running engine ${engineId}` }]);
    }
    return found;
  }
  if (engines.length === 0) throw new EngineError('No container engine is running; start podman first');
  return engines[0];
}
