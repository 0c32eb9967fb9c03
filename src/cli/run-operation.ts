/**
 * Runs one image operation for a CLI command: starts it through the same core the webview uses,
 * follows it on the terminal, cancels it on Ctrl-C, and answers with the exit code: 0 succeeded,
 * 1 failed or cancelled, 2 (a UsageError) when the input was refused before anything started.
 */

import type { ImageOperation } from '../api/image-operations';
import { ValidationError } from '../api/validation';
import type { ContainerEngine } from '../engine/container-engine';
import { ImageOperations } from '../images/image-operations';
import type { CliContext } from './cli-context';
import { UsageError } from './cli-context';
import { OperationView } from './operation-view';

export type OperationStarter = (deps: { engine: ContainerEngine; operations: ImageOperations }) => Promise<string>;

/**
 * `flagNames` turns the core's field names in a refusal (`contextDir: …`) into the command's own
 * (`CONTEXT: …`).
 */
export async function runOperation(
  ctx: CliContext,
  start: OperationStarter,
  flagNames: (message: string) => string = message => message,
): Promise<number> {
  const engine = await ctx.engine();
  const operations = new ImageOperations();
  let id: string;
  try {
    id = await start({ engine, operations });
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(flagNames(error.message));
    throw error;
  }
  const view = new OperationView(ctx.io, operations, id, { json: ctx.json });
  const subscription = operations.onDidChange(operation => {
    if (operation.id === id) view.update(operation);
  });
  // The first Ctrl-C cancels; the handler then steps aside, so a second one ends the process at once.
  const stopListening = ctx.io.onInterrupt?.(() => {
    stopListening?.();
    ctx.io.stderr.write('\nCancelling… (Ctrl-C again to quit at once)\n');
    operations.cancel(id);
  });
  let final: ImageOperation;
  try {
    final = await operations.wait(id);
  } finally {
    stopListening?.();
    subscription.dispose();
  }
  view.finish(final);
  report(ctx, final, view.lastLine);
  return final.status === 'succeeded' ? 0 : 1;
}

function report(ctx: CliContext, operation: ImageOperation, lastLine: string | undefined): void {
  for (const warning of operation.warnings) ctx.io.stderr.write(`bootc-studio: warning: ${warning}\n`);
  if (operation.status !== 'succeeded') ctx.io.stderr.write(`bootc-studio: ${operation.error ?? operation.status}\n`);
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify(operation, null, 2)}\n`);
    return;
  }
  if (operation.status !== 'succeeded' || (operation.kind !== 'build' && lastLine === operation.message)) return;
  const image = operation.imageId ? ` — image ${operation.imageId.slice(0, 12)}` : '';
  ctx.io.stdout.write(`${operation.message ?? 'Done'}${image}\n`);
}
