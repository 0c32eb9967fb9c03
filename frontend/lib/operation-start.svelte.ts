import { errorMessage, fieldErrorsOf } from '../../src/api/errors';
import { errorsByField } from './build-form';

/**
 * Starting an image build, push or pull from a form: whether the start is under way (the button's
 * spinner), the backend's refusal as one message, and the fields that refusal names, shown under
 * them until the user edits them.
 */
export class OperationStart {
  starting = $state(false);
  error: string | undefined = $state();
  refused: Record<string, string> = $state({});

  /** Calls `start`, then hands the operation id to `started`; a refusal is kept instead. */
  async run(start: () => Promise<string>, started: (operationId: string) => void): Promise<void> {
    this.starting = true;
    this.error = undefined;
    this.refused = {};
    try {
      started(await start());
    } catch (err: unknown) {
      this.error = errorMessage(err);
      this.refused = errorsByField(fieldErrorsOf(err));
    } finally {
      this.starting = false;
    }
  }

  /** The user edited `field` (every field when none is named): its refusal no longer applies. */
  forget(field?: string): void {
    if (field === undefined) this.refused = {};
    else delete this.refused[field];
  }
}
