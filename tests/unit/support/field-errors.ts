import { errorInfoOf } from '../../../src/api/errors';

/** The fields what `run` throws names (as the bridge carries them), or undefined when it does not throw. */
export function fieldsOf(run: () => unknown): Record<string, string> | undefined {
  try {
    run();
  } catch (error) {
    return errorInfoOf(error).fields;
  }
  return undefined;
}
