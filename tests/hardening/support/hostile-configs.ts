/** Hostile build config files, given to the CLI's `--config` and to the bridge's import. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PRIVATE_KEY } from './hostile-values';

/** Config files given to `--config` (and to the bridge's import, in hostile-bridge.spec.ts). */
/**
 * The files whose values (not shape) are wrong: the bridge's import reads them into the form, which
 * marks each bad field (the values are the form's to judge); the CLI refuses them outright.
 */
export const VALUE_LEVEL = new Set([
  'a user named "bin" (a system account)',
  'a kernel argument with backticks',
  'a filesystem at /etc',
  'a filesystem size of -1',
  "a private key as a user's key",
]);

export const CONFIGS: [string, string, string | Buffer][] = [
  ['invalid TOML (an unclosed string)', 'broken.toml', '[[customizations.user]]\nname = "demo\n'],
  ['invalid TOML (a table defined twice)', 'twice.toml', '[customizations]\n[customizations]\n'],
  ['invalid JSON', 'broken.json', '{"customizations": {"user": [ {"name": "demo"} ]'],
  ['users as a string (wrong type)', 'users-string.toml', '[customizations]\nuser = "demo"\n'],
  [
    'a user name as a number (wrong type)',
    'name-number.json',
    JSON.stringify({ customizations: { user: [{ name: 42 }] } }),
  ],
  [
    'a kernel append as a list of numbers',
    'kernel.json',
    JSON.stringify({ customizations: { kernel: { append: [1, 2] } } }),
  ],
  ['a user named "bin" (a system account)', 'system-user.toml', '[[customizations.user]]\nname = "bin"\n'],
  [
    'a kernel argument with backticks',
    'kernel-backticks.json',
    JSON.stringify({ customizations: { kernel: { append: 'init=`id`' } } }),
  ],
  ['a filesystem at /etc', 'fs-etc.toml', '[[customizations.filesystem]]\nmountpoint = "/etc"\nminsize = "10 GiB"\n'],
  [
    'a filesystem size of -1',
    'fs-size.toml',
    '[[customizations.filesystem]]\nmountpoint = "/var/data"\nminsize = "-1"\n',
  ],
  [
    "a private key as a user's key",
    'private-key.json',
    JSON.stringify({ customizations: { user: [{ name: 'demo', key: PRIVATE_KEY }] } }),
  ],
  [
    'a __proto__ key (JSON)',
    'proto.json',
    '{"customizations": {"__proto__": {"polluted": "yes"}, "user": [{"name": "demo"}]}}',
  ],
  ['a 10 MB file', 'huge.toml', Buffer.alloc(10 * 1024 * 1024, '#')],
  ['a folder, not a file', 'a-folder.toml', ''],
  ['a file that does not exist', 'missing.toml', ''],
  ['a binary file', 'binary.toml', Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 0x1b])],
];

/** Writes CONFIGS into `dir` (the folder case as a folder, the missing one not at all). */
export function writeConfigs(dir: string): void {
  for (const [what, file, content] of CONFIGS) {
    if (what.startsWith('a folder')) mkdirSync(join(dir, file));
    else if (!what.startsWith('a file that does not exist')) writeFileSync(join(dir, file), content);
  }
}
