import { describeErrors, imagePushRequestSchema, validate } from '../../api/validation';
import { startPush } from '../../images/image-transfer';
import type { CliCommand } from '../cli-context';
import { UsageError } from '../cli-context';
import { credentialsFromAuthFiles, parseCreds } from '../registry-credentials';
import { runOperation } from '../run-operation';

export const imagePushCommand: CliCommand = {
  name: 'image push',
  summary: 'Push an image to the registry its full reference names',
  usage: 'REF',
  positionals: [1, 1],
  options: {
    'tls-verify': {
      type: 'string',
      description: 'true or false: --tls-verify=false for a plain-HTTP registry (default: true)',
    },
    creds: {
      type: 'string',
      description: "USER:PASSWORD for the registry (default: podman's auth file, as podman login writes it)",
    },
  },
  async run(ctx, values, positionals) {
    const ref = positionals[0];
    const tlsVerify = parseTlsVerify(values['tls-verify'] as string | undefined);
    const creds = values.creds as string | undefined;
    const credentials = creds !== undefined ? parseCreds(creds) : credentialsFromAuthFiles(ref, ctx.io.env);
    const request = { ref, tlsVerify, credentials };
    const checked = validate(imagePushRequestSchema, request);
    if (!checked.ok) throw new UsageError(describeErrors(checked.errors).replace(/\bcredentials\.\w+/g, '--creds'));
    return runOperation(ctx, deps => startPush(deps, checked.value));
  },
};

/** `--tls-verify=true|false`; anything else is bad input. */
export function parseTlsVerify(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--tls-verify: expected true or false, got ${JSON.stringify(value)}`);
}
