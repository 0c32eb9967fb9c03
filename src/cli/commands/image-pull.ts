import { describeErrors, imagePullRequestSchema, validate } from '../../api/validation';
import { startPull } from '../../images/image-transfer';
import type { CliCommand } from '../cli-context';
import { UsageError } from '../cli-context';
import { credentialsFromAuthFiles } from '../registry-credentials';
import { runOperation } from '../run-operation';

export const imagePullCommand: CliCommand = {
  name: 'image pull',
  summary: 'Pull an image from a registry',
  usage: 'REF',
  positionals: [1, 1],
  options: {
    platform: { type: 'string', description: "linux/amd64 or linux/arm64 (default: the engine's own)" },
  },
  async run(ctx, values, positionals) {
    const request = { ref: positionals[0], platform: values.platform as string | undefined };
    const checked = validate(imagePullRequestSchema, request);
    if (!checked.ok) throw new UsageError(describeErrors(checked.errors).replace(/^platform:/, '--platform:'));
    const credentials = credentialsFromAuthFiles(checked.value.ref, ctx.io.env);
    return runOperation(ctx, deps => startPull(deps, checked.value, { credentials }));
  },
};
