/**
 * The per-field checks of a disk-build request, which the form runs as the user types and the
 * schema (disk-build-schema.ts) runs on the whole request. Pure: the webview imports them.
 *
 * Rules decided here (each message names the field and says why):
 * - user and group names: POSIX portable names, lower-case `[a-z_][a-z0-9_-]*`, at most 32 characters.
 *   `root` is allowed for users (setting root's password or SSH key is common on servers); the system
 *   accounts every Fedora/CentOS base image already has (bin, daemon, nobody, sshd, systemd-*…) are refused,
 *   and so are groups those images already define (wheel, adm…) — add users to them through `groups` instead.
 * - SSH keys: one public key per user, one line: `<type> <base64> [comment]`, the type one of OpenSSH's
 *   (ed25519, rsa, ecdsa-nistp256/384/521, sk-ed25519, sk-ecdsa); the base64 body must decode and name
 *   the same type inside (a truncated or mistyped paste is caught here, not at first login).
 * - kernel arguments: printable ASCII only; no newline, no single quote, backtick or backslash; double
 *   quotes balanced; whitespace only inside double quotes (`name="a b"`, as the kernel parses it). The
 *   appended line is at most 2048 bytes (x86 and arm64 COMMAND_LINE_SIZE).
 * - mount points: `/`, `/boot`, or a folder under `/var` (not `/var` itself, not the `/var/run` and
 *   `/var/lock` symlinks); absolute, no `.`/`..`, no trailing slash, no empty segment; only `/` and
 *   `/boot` with btrfs. Sizes: a number with a unit (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB), above zero.
 * - types: at least one, no repeats; ISO types alone and one at a time (the builder makes either one
 *   installer ISO or a set of disk images per run, and every ISO type writes `bootiso/install.iso`);
 *   image-builder makes one type per run and no ISO here.
 * - installer settings (kickstart, Anaconda modules), ISO labels and FIPS only with an ISO type; a
 *   kickstart cannot be combined with users (the builder refuses it: put users in the kickstart).
 * - AWS: AMI name, bucket and region all three, only with the `ami` type. chown: numeric `UID:GID`.
 */

import { hasControlCharacter, type RootFilesystem } from './disk-build';

// ---------------------------------------------------------------------------------------------
// Crypt hashes: a password in one of these forms is taken by the builder as already hashed.

const CRYPT_SHA512 = /^\$6\$(?:rounds=\d{4,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$/;
const CRYPT_SHA256 = /^\$5\$(?:rounds=\d{4,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43}$/;
const CRYPT_BCRYPT = /^\$2[aby]\$\d{2}\$[./0-9A-Za-z]{53}$/;
/** What the builder checks (osbuild/images PasswordIsCrypted): the prefix alone. */
const CRYPT_PREFIX = /^\$(?:6|5|2b|2y|2a)\$/;

/** A well-formed SHA-512, SHA-256 or bcrypt crypt hash. */
export function isCryptHash(value: string): boolean {
  return CRYPT_SHA512.test(value) || CRYPT_SHA256.test(value) || CRYPT_BCRYPT.test(value);
}

const CONTROL_NAMES: Record<string, string> = {
  '\n': 'newline',
  '\r': 'carriage return',
  '\t': 'tab',
  '\x7f': 'delete',
};

/** The first C0 control character or DEL in `text`, named for a person: `newline`, `tab`, `U+001B`. */
export function controlCharacterName(text: string): string | undefined {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f)
      return CONTROL_NAMES[char] ?? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

/**
 * A password's problem, for the user named `userName` (the message names them: it also reaches the
 * CLI and an imported config's report, where no form row says whose password it is).
 */
export function passwordProblem(password: string, userName?: string): string | undefined {
  const control = controlCharacterName(password);
  if (control) {
    const who = userName ? `User ${userName}: the` : 'The';
    return `${who} password contains a control character (${control}); nobody could type it at a login prompt`;
  }
  if (password.length === 0) return 'a password cannot be empty: leave it out to log in with the SSH key only';
  if (password.length > 1024) return 'a password has at most 1024 characters';
  if (CRYPT_PREFIX.test(password) && !isCryptHash(password)) {
    return 'starts like a crypt hash ($6$, $5$, $2b$) but is not a complete one; the builder would take it as a hash and nobody could log in';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Names

const POSIX_NAME = /^[a-z_][a-z0-9_-]*$/;
const NAME_RULE = 'starts with a lower-case letter or _, then lower-case letters, digits, _ or -';

/** Accounts every Fedora/CentOS bootc base image already has; overwriting them breaks services. */
const SYSTEM_ACCOUNTS = new Set(
  `bin daemon adm lp sync shutdown halt mail operator games ftp nobody dbus tss polkitd sshd
   chrony rpc rpcuser sssd unbound`.split(/\s+/),
);

/** Groups those images already define: a user joins them through its `groups`, they are not created again. */
const SYSTEM_GROUPS = new Set(
  `root bin daemon sys adm tty disk lp mem kmem wheel cdrom mail man dialout floppy games
   tape video ftp lock audio users nobody utmp input kvm render systemd-journal`.split(/\s+/),
);

function nameProblem(name: string, what: 'user' | 'group'): string | undefined {
  if (name.length === 0) return `a ${what} name is required`;
  if (name.length > 32) return `a ${what} name has at most 32 characters`;
  if (!POSIX_NAME.test(name)) return `a ${what} name ${NAME_RULE}`;
  return undefined;
}

export function userNameProblem(name: string): string | undefined {
  const problem = nameProblem(name, 'user');
  if (problem) return problem;
  if (SYSTEM_ACCOUNTS.has(name) || name.startsWith('systemd-')) {
    return `"${name}" is a system account of the image: choose another name`;
  }
  return undefined;
}

export function groupNameProblem(name: string): string | undefined {
  const problem = nameProblem(name, 'group');
  if (problem) return problem;
  if (SYSTEM_GROUPS.has(name)) {
    return `the image already has a "${name}" group: add users to it through their groups instead`;
  }
  return undefined;
}

/** A supplementary group of a user: any valid name, existing groups (wheel) included. */
export function memberGroupProblem(name: string): string | undefined {
  return nameProblem(name, 'group');
}

// ---------------------------------------------------------------------------------------------
// SSH public keys

export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

/** The first string of an SSH wire-format blob (uint32 length, then bytes): the key type. */
function blobKeyType(blob: Uint8Array): string | undefined {
  if (blob.length < 4) return undefined;
  const length = ((blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3]) >>> 0;
  if (length === 0 || length > 64 || 4 + length > blob.length) return undefined;
  return String.fromCharCode(...blob.subarray(4, 4 + length));
}

export function sshKeyProblem(key: string): string | undefined {
  const trimmed = key.trim();
  if (trimmed.length === 0) return 'paste an SSH public key, or leave the field empty';
  // Never echo a private key back, not even in part.
  if (/PRIVATE KEY/.test(trimmed)) return 'this is a private key: paste the public key (the .pub file) instead';
  if (/[\r\n]/.test(trimmed)) return 'an SSH public key is one line: paste a single key';
  if (hasControlCharacter(trimmed, '\t')) return 'an SSH public key has no control characters';
  const [type, body] = trimmed.split(/[ \t]+/);
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    if (/^[a-z-]+=/.test(type) || type.includes('"')) {
      return 'starts with key options: paste the key itself, starting with its type (e.g. ssh-ed25519)';
    }
    return `not an SSH public key: it starts with its type, one of ${SSH_KEY_TYPES.join(', ')}`;
  }
  if (!body) return `the key is missing after "${type}"`;
  const blob = decodeBase64(body);
  if (!blob) return 'the key is not valid base64: it was probably cut or changed when copied';
  if (blobKeyType(blob) !== type) return `the key body does not hold a ${type} key: it was probably cut when copied`;
  if (type === 'ssh-ed25519' && blob.length !== 51)
    return 'the ssh-ed25519 key has the wrong length: it was cut when copied';
  if (blob.length < 4 + type.length + 8) return 'the key is too short: it was cut when copied';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Kernel arguments

/** x86 and arm64 COMMAND_LINE_SIZE; what we append must leave room for the image's own arguments. */
export const KERNEL_ARGS_MAX_BYTES = 2048;

export function kernelArgumentProblem(arg: string): string | undefined {
  if (arg.length === 0) return 'a kernel argument cannot be empty';
  if (/[\r\n]/.test(arg)) return 'a kernel argument has no newline: it would end the kernel command line';
  if (hasControlCharacter(arg)) return 'a kernel argument has no tab or other control character';
  if (/[^\x20-\x7e]/.test(arg)) return 'a kernel argument uses printable ASCII characters only';
  if (/['`\\]/.test(arg)) {
    return 'single quotes, backticks and backslashes break the kernel command line; quote a value with double quotes: name="a b"';
  }
  if ((arg.match(/"/g) ?? []).length % 2 !== 0) return 'a double quote is not closed';
  let quoted = false;
  for (const char of arg) {
    if (char === '"') quoted = !quoted;
    else if (char === ' ' && !quoted) {
      return 'a space outside double quotes splits it into two arguments: add each one separately, or quote the value: name="a b"';
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Mount points and sizes

/** Symlinks on bootc images; osbuild refuses filesystems on symlinked paths. */
const SYMLINKED_VAR = ['/var/run', '/var/lock'];
const SEGMENT = /^[A-Za-z0-9._@+-]+$/;

export function mountpointProblem(mountpoint: string, rootfs?: RootFilesystem): string | undefined {
  if (mountpoint.length === 0) return 'a mount point is required, e.g. / or /var/data';
  if (!mountpoint.startsWith('/')) return 'a mount point is an absolute path: it starts with /';
  if (mountpoint !== '/' && mountpoint.endsWith('/')) return 'a mount point has no trailing slash';
  const segments = mountpoint.split('/').slice(1);
  if (mountpoint !== '/') {
    if (segments.some(segment => segment === '')) return 'a mount point has no empty segment (//)';
    if (segments.some(segment => segment === '.' || segment === '..')) return 'a mount point has no . or .. segment';
    if (segments.some(segment => !SEGMENT.test(segment))) {
      return 'a mount point uses letters, digits and . _ @ + - only';
    }
  }
  const allowed =
    mountpoint === '/' ||
    mountpoint === '/boot' ||
    (segments[0] === 'var' && segments.length > 1 && mountpoint !== '/var');
  if (!allowed) {
    if (mountpoint === '/var') return 'the builder does not accept /var itself: use a folder under it, e.g. /var/data';
    return 'the builder accepts only /, /boot and folders under /var (e.g. /var/data)';
  }
  if (SYMLINKED_VAR.some(link => mountpoint === link || mountpoint.startsWith(`${link}/`))) {
    return `${mountpoint.split('/').slice(0, 3).join('/')} is a symlink in bootc images: choose another folder`;
  }
  if (rootfs === 'btrfs' && mountpoint !== '/' && mountpoint !== '/boot') {
    return 'with btrfs the builder accepts only / and /boot';
  }
  return undefined;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/;

/** `10 GiB` → bytes; undefined when it is not a size with a known unit. Units are read case-insensitively. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const unit = SIZE_UNITS[match[2].toLowerCase()];
  if (!unit) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes → the unit that states them exactly with the smallest number (`10737418240` → `10 GiB`, `20000000000` → `20 GB`). */
export function formatSize(bytes: number): string {
  let best = `${bytes} B`;
  let smallest = bytes;
  for (const unit of ['TiB', 'TB', 'GiB', 'GB', 'MiB', 'MB', 'KiB', 'kB'] as const) {
    const factor = SIZE_UNITS[unit.toLowerCase()];
    if (bytes >= factor && bytes % factor === 0 && bytes / factor < smallest) {
      smallest = bytes / factor;
      best = `${smallest} ${unit}`;
    }
  }
  return best;
}

export function sizeProblem(text: string): string | undefined {
  if (text.trim().length === 0) return 'a size is required, e.g. 10 GiB';
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text)) return 'add a unit: B, KiB, MiB, GiB, TiB, kB, MB, GB or TB (e.g. 10 GiB)';
  const bytes = parseSize(text);
  if (bytes === undefined)
    return 'a size is a number and a unit: B, KiB, MiB, GiB, TiB, kB, MB, GB or TB (e.g. 10 GiB)';
  if (bytes <= 0) return 'a size is above zero';
  return undefined;
}
