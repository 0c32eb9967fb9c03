/**
 * The fields of a disk-build request as the `disk build` command's flags name them, so that a
 * refusal names what the user typed: `--user (2)`, `--filesystem (1)`, or `--config (user 1)` for
 * what the config file gave.
 */

import type { FieldError } from '../api/validation';

/**
 * Where the request's list items came from: the first `users` users (`groups`, …) from `--config`,
 * the rest from their flags; `keyFlags` the users whose key came from `--ssh-key`. Refusals name the
 * flag or the config file accordingly.
 */
export interface FlagSources {
  users: number;
  groups: number;
  kernelArgs: number;
  filesystems: number;
  keyFlags: number[];
  /** Keys of the --config file this tool does not know: passed to the builder as written. */
  unknownConfigKeys?: string[];
}

/**
 * The request's field names, as the command's flags: `config.users.0.name` → `--user (1)`, or
 * `--config (user 1)` for a user the config file gave (`sources`).
 */
export function flagOf(field: string, sources?: FlagSources): string {
  const none: FlagSources = { users: 0, groups: 0, kernelArgs: 0, filesystems: 0, keyFlags: [] };
  const from = sources ?? none;
  // The nth item of a list: from the config file (its own numbering), else the nth of its flag.
  const item = (flag: string, what: string, index: string, fromConfig: number) =>
    Number(index) < fromConfig
      ? `--config (${what} ${Number(index) + 1})`
      : `${flag} (${Number(index) - fromConfig + 1})`;
  let match: RegExpExecArray | null;
  if ((match = /^config\.users\.(\d+)\.sshKey/.exec(field))) {
    return from.keyFlags.includes(Number(match[1]))
      ? `--ssh-key (${Number(match[1]) + 1})`
      : item('--ssh-key', "user's key", match[1], from.users);
  }
  if ((match = /^config\.users\.(\d+)/.exec(field))) return item('--user', 'user', match[1], from.users);
  if ((match = /^config\.groups\.(\d+)/.exec(field))) return item('--group', 'group', match[1], from.groups);
  if ((match = /^config\.kernelArgs\.(\d+)/.exec(field)))
    return item('--kernel-arg', 'kernel argument', match[1], from.kernelArgs);
  if ((match = /^config\.filesystems\.(\d+)/.exec(field)))
    return item('--filesystem', 'filesystem', match[1], from.filesystems);
  if (field === 'config.kernelArgs') return '--kernel-arg';
  if (field.startsWith('config.')) return '--config';
  if (field.startsWith('types')) return '--type';
  const flags: Record<string, string> = {
    outputDir: '--output',
    arch: '--arch',
    rootfs: '--rootfs',
    chown: '--chown',
    aws: '--aws-ami-name',
    'aws.amiName': '--aws-ami-name',
    'aws.bucket': '--aws-bucket',
    'aws.region': '--aws-region',
    builder: '--builder',
    'builder.image': '--builder',
    image: 'IMAGE',
    engineId: 'the engine (--url)',
    detach: '--detach',
  };
  return flags[field] ?? field;
}

export function flagErrors(errors: readonly FieldError[], sources?: FlagSources): string {
  // A message that names its user already says whose it is, whether from --user or --config.
  return errors
    .map(error =>
      /^User \S+: /.test(error.message) ? error.message : `${flagOf(error.field, sources)}: ${error.message}`,
    )
    .join('; ');
}
