/**
 * Runs one image operation for a CLI command: starts it through the same core the webview uses (its
 * job in a registry of this process), follows it with the CLI's one job follower (Ctrl-C cancels),
 * and answers with the exit code: 0 succeeded, 1 failed or cancelled, 2 (a UsageError) when the
 * input was refused before anything started.
 */

import type { ImageOperation } from '../api/image-operations';
import { ValidationError } from '../api/validation';
import type { ContainerEngine } from '../engine/container-engine';
import { ImageOperations, withOperationDetail } from '../images/image-operations';
import type { CliContext } from './cli-context';
import { UsageError } from './cli-context';
import { followJob } from './job-follower';

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
  const job = await followJob(operations.jobs, id, ctx.io, {
    json: ctx.json,
    interrupt: 'cancel',
    present: withOperationDetail,
  });
  const final = job.detail as ImageOperation;
  const lastLine = operations.jobs.readOwnLog(id, Math.max(0, job.logLines - 1))?.lines.at(-1);
  report(ctx, final, lastLine);
  return final.status === 'succeeded' ? 0 : 1;
}

function report(ctx: CliContext, operation: ImageOperation, lastLine: string | undefined): void {
  for (const warning of operation.warnings) ctx.io.stderr.write(`bootc-studio: warning: ${warning}\n`);
  if (operation.status !== 'succeeded') ctx.io.stderr.write(`bootc-studio: ${operation.error ?? operation.status}\n`);
  // With --json, the follower's last line (the end event) carries the operation.
  if (ctx.json || operation.status !== 'succeeded') return;
  // A push's or a pull's closing message is often its log's last line already: said once.
  if (operation.kind !== 'build' && lastLine === operation.message) return;
  const image = operation.imageId ? ` — image ${operation.imageId.slice(0, 12)}` : '';
  ctx.io.stdout.write(`${operation.message ?? 'Done'}${image}\n`);
}
