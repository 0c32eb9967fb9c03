/**
 * The secrets a build record must never keep, taken out of a request: passwords (plain or hashed),
 * kickstart passwords, and anything shaped like a crypt hash or named `password` among the fields
 * kept from an imported file.
 */

import { type DiskBuildRequest, MASK } from '../api/disk-build';

/**
 * Removes every secret a build record must not keep: passwords (plain or hashed), kickstart passwords,
 * and anything shaped like a crypt hash or named `password` among the fields kept from an imported file.
 */
export function redactDiskBuildRequest(request: DiskBuildRequest): DiskBuildRequest {
  const config = request.config;
  const extra = <T extends { extra?: Record<string, unknown> }>(item: T): T =>
    item.extra ? { ...item, extra: redactUnknown(item.extra) as Record<string, unknown> } : item;
  return {
    ...request,
    config: extra({
      ...config,
      users: config.users.map(({ password: _password, ...user }) => extra(user)),
      groups: config.groups.map(extra),
      filesystems: config.filesystems.map(extra),
      ...(config.installer
        ? {
            installer: {
              ...config.installer,
              ...(config.installer.kickstart === undefined
                ? {}
                : { kickstart: maskKickstartSecrets(config.installer.kickstart) }),
            },
          }
        : {}),
    }),
  };
}

const CRYPT_ANYWHERE = /\$(?:6|5|2[aby])\$[./0-9A-Za-z$=]+/g;

function redactUnknown(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    return key && /pass(?:word|phrase)?$/i.test(key) ? MASK : value.replace(CRYPT_ANYWHERE, MASK);
  }
  if (Array.isArray(value)) return value.map(item => redactUnknown(item));
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUnknown(v, k)]));
  }
  return value;
}

/**
 * Kickstart lines that carry a password: `rootpw [options] <pw>`, `sshpw [options] <pw>`, and any
 * `--password`/`--passphrase` option (`user`, `bootloader`, `autopart --encrypted`…). Masked for previews
 * and records; the config file itself keeps them (the installer needs them). Also works on kickstart text
 * still escaped inside a JSON string, whose lines are separated by a literal `\n`.
 */
export function maskKickstartSecrets(kickstart: string): string {
  return kickstart
    .split(/(\r?\n|\\n)/)
    .map((line, index) => (index % 2 === 1 ? line : maskKickstartLine(line)))
    .join('');
}

// A kickstart word as its shlex-like parser sees it; a backslash ends a word (JSON escapes).
const KICKSTART_WORD = /"[^"]*"|'[^']*'|[^\s"'\\]+/g;
const SECRET_OPTION = /^--(?:password|passphrase)(=?)(.*)$/;

/** The start of a string value in TOML (`contents = "`) or JSON (`"contents": "`): the kickstart begins after it. */
const STRING_VALUE_START = /^\s*(?:"[^"]*"\s*:|[A-Za-z0-9_.-]+\s*=)\s*"/;

function maskKickstartLine(line: string): string {
  const prefix = STRING_VALUE_START.exec(line)?.[0];
  if (prefix) return prefix + maskKickstartLine(line.slice(prefix.length));
  const words = [...line.matchAll(KICKSTART_WORD)].map(match => ({ start: match.index, text: match[0] }));
  if (words.length === 0) return line;
  const masks: { start: number; end: number }[] = [];
  const maskWord = (word: { start: number; text: string } | undefined, skip = 0) => {
    if (word && word.text.length > skip) masks.push({ start: word.start + skip, end: word.start + word.text.length });
  };
  words.forEach((word, index) => {
    const option = SECRET_OPTION.exec(word.text);
    if (!option) return;
    if (option[1] && option[2]) maskWord(word, word.text.length - option[2].length);
    else maskWord(words[index + 1]);
  });
  const command = words[0].text;
  if (command === 'rootpw' || command === 'sshpw') {
    const values = words.slice(1).filter(word => !word.text.startsWith('--'));
    // rootpw takes one value; for sshpw the password is the last one.
    maskWord(command === 'rootpw' ? values[0] : values[values.length - 1]);
  }
  const unique = [...new Map(masks.map(mask => [mask.start, mask])).values()];
  let masked = line;
  for (const { start, end } of unique.sort((a, b) => b.start - a.start)) {
    masked = masked.slice(0, start) + MASK + masked.slice(end);
  }
  return masked;
}
