import { z } from 'zod';

import { imageReferenceSchema, validate, type FieldError, type Validated } from './validation';

/**
 * The disk-image build request as the form, the CLI and the backend share it, with its schema and
 * the per-field checks the form runs as the user types. Pure: no Node code, so the webview may import it.
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

export const DISK_IMAGE_TYPES = [
  'qcow2',
  'raw',
  'vmdk',
  'vhd',
  'ami',
  'gce',
  'anaconda-iso',
  'iso',
  'bootc-installer',
] as const;
export type DiskImageType = (typeof DISK_IMAGE_TYPES)[number];

/** Installer types: each makes `bootiso/install.iso`; they cannot be mixed with disk types. */
export const ISO_IMAGE_TYPES = ['anaconda-iso', 'iso', 'bootc-installer'] as const satisfies readonly DiskImageType[];

export const BUILD_ARCHITECTURES = ['amd64', 'arm64'] as const;
export type BuildArchitecture = (typeof BUILD_ARCHITECTURES)[number];

export const ROOT_FILESYSTEMS = ['xfs', 'ext4', 'btrfs'] as const;
export type RootFilesystem = (typeof ROOT_FILESYSTEMS)[number];

export type BuilderKind = 'bootc-image-builder' | 'image-builder';

/** The builders offered by name; any other image is `{ image }`. */
export const BUILDER_PRESETS = {
  centos: { image: 'quay.io/centos-bootc/bootc-image-builder:latest', kind: 'bootc-image-builder' },
  rhel9: { image: 'registry.redhat.io/rhel9/bootc-image-builder:9.7', kind: 'bootc-image-builder' },
  rhel10: { image: 'registry.redhat.io/rhel10/bootc-image-builder:10.1', kind: 'bootc-image-builder' },
  'image-builder': { image: 'ghcr.io/osbuild/image-builder-cli:latest', kind: 'image-builder' },
} as const satisfies Record<string, { image: string; kind: BuilderKind }>;
export type BuilderPreset = keyof typeof BUILDER_PRESETS;

/** A preset, or any builder image; `kind` says which command line it speaks (default bootc-image-builder). */
export type BuilderChoice = BuilderPreset | { image: string; kind?: BuilderKind };

export interface BuildUser {
  name: string;
  /** Plain text as typed, or a crypt hash (`$6$…`, `$5$…`, `$2b$…`) kept as is; hashed before any file is written. */
  password?: string;
  /** One OpenSSH public key line. */
  sshKey?: string;
  /** Supplementary groups, e.g. `wheel`. */
  groups: string[];
  /** Fields of this user the form does not know (e.g. `uid`, `shell`), kept from an imported file. */
  extra?: Record<string, unknown>;
}

export interface BuildGroup {
  name: string;
  gid?: number;
  extra?: Record<string, unknown>;
}

export interface BuildFilesystem {
  mountpoint: string;
  /** A size with its unit, e.g. `10 GiB`. */
  minSize: string;
  extra?: Record<string, unknown>;
}

export interface InstallerConfig {
  /** Kickstart contents, multi-line; the builder adds the `ostreecontainer` line itself. */
  kickstart?: string;
  /** Anaconda modules, e.g. `org.fedoraproject.Anaconda.Modules.Timezone`. */
  modulesEnable: string[];
  modulesDisable: string[];
}

export interface IsoLabels {
  volumeId?: string;
  applicationId?: string;
  publisher?: string;
}

export interface BuildConfig {
  users: BuildUser[];
  groups: BuildGroup[];
  kernelArgs: string[];
  filesystems: BuildFilesystem[];
  installer?: InstallerConfig;
  iso?: IsoLabels;
  fips?: boolean;
  /** Everything of an imported file the form does not know, in the file's own shape; written back on export. */
  extra?: Record<string, unknown>;
}

export interface AwsUpload {
  amiName: string;
  bucket: string;
  region: string;
}

export interface DiskBuildRequest {
  /** The bootc image to turn into disks, as the engine knows it. */
  image: string;
  /** The engine holding the image; default the first running one. */
  engineId?: string;
  /** Folder for the artifacts, on the machine of the engine. */
  outputDir: string;
  types: DiskImageType[];
  arch: BuildArchitecture;
  /** Undefined: the image's own default (refused for images that have none, see defaultRootfsFor). */
  rootfs?: RootFilesystem;
  builder: BuilderChoice;
  config: BuildConfig;
  /** `UID:GID` for the artifacts (Linux). */
  chown?: string;
  aws?: AwsUpload;
}

export function emptyBuildConfig(): BuildConfig {
  return { users: [], groups: [], kernelArgs: [], filesystems: [] };
}

export function isIsoType(type: DiskImageType): boolean {
  return (ISO_IMAGE_TYPES as readonly string[]).includes(type);
}

export function builderKindOf(builder: BuilderChoice): BuilderKind {
  return typeof builder === 'string' ? BUILDER_PRESETS[builder].kind : (builder.kind ?? 'bootc-image-builder');
}

export function builderImageOf(builder: BuilderChoice): string {
  return typeof builder === 'string' ? BUILDER_PRESETS[builder].image : builder.image;
}

/** Whether `text` has a C0 control character or DEL, other than those in `allowed` (e.g. `'\t\n'`). */
export function hasControlCharacter(text: string, allowed = ''): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if ((code < 0x20 || code === 0x7f) && !allowed.includes(char)) return true;
  }
  return false;
}

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

// ---------------------------------------------------------------------------------------------
// Architectures and root filesystems, from what the image says about itself

const ARCH_ALIASES: Record<string, BuildArchitecture> = {
  amd64: 'amd64',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/** `amd64`, `x86_64`, `linux/arm64/v8`… → the build architecture, or undefined for one we cannot build. */
export function toBuildArchitecture(arch: string): BuildArchitecture | undefined {
  const parts = arch.toLowerCase().split('/');
  const name = parts.length > 1 ? parts[1] : parts[0];
  return ARCH_ALIASES[name];
}

/** The architectures a build may target: those the image (or each member of its manifest list) offers. */
export function allowedArchitectures(imageArchs: readonly string[]): BuildArchitecture[] {
  const allowed: BuildArchitecture[] = [];
  for (const arch of imageArchs) {
    const buildArch = toBuildArchitecture(arch);
    if (buildArch && !allowed.includes(buildArch)) allowed.push(buildArch);
  }
  return allowed;
}

/** The one to pre-select: the only one, else the engine's own when offered (a native build), else none. */
export function preselectArchitecture(
  allowed: readonly BuildArchitecture[],
  engineArch?: string,
): BuildArchitecture | undefined {
  if (allowed.length === 1) return allowed[0];
  const native = engineArch ? toBuildArchitecture(engineArch) : undefined;
  return native && allowed.includes(native) ? native : undefined;
}

/** A build for another architecture than the engine's runs under emulation: slow, and on macOS known to fail. */
export function isCrossArchitecture(arch: BuildArchitecture, engineArch: string | undefined): boolean {
  const native = engineArch ? toBuildArchitecture(engineArch) : undefined;
  return native !== undefined && native !== arch;
}

export interface RootfsChoice {
  /** Whether "the image's default" may be offered. */
  offerDefault: boolean;
  /** What the form pre-selects; undefined means the image's default. */
  preselected?: RootFilesystem;
  /** Why "default" is not offered, for the form to say. */
  reason?: string;
}

/**
 * Fedora-based bootc images carry no default root filesystem, so the builder fails without --rootfs.
 * What is read, in order (labels are inherited by images built FROM a base, so derived images keep them):
 * 1. `redhat.id`: `fedora` → Fedora; any other value (centos, rhel) → not Fedora. Decisive when present.
 * 2. `ostree.linux` (the kernel version): a `.fcNN` part → Fedora; `.elN` → not.
 * `org.opencontainers.image.version` is not used: Fedora's `42.2025…` and RHEL's `10.1` cannot be told
 * apart by it. Images with neither label keep "default" (the builder then says if there is none).
 */
export function defaultRootfsFor(imageLabels: Record<string, string> | undefined | null): RootfsChoice {
  const labels = imageLabels ?? {};
  const id = labels['redhat.id']?.trim().toLowerCase();
  let fedora: boolean | undefined;
  if (id) fedora = id === 'fedora';
  else {
    const kernel = labels['ostree.linux'] ?? '';
    if (/\.fc\d+(?:\.|$)/.test(kernel)) fedora = true;
    else if (/\.el\d+/.test(kernel)) fedora = false;
  }
  if (fedora) {
    return {
      offerDefault: false,
      preselected: 'xfs',
      reason: 'Fedora-based images have no default root filesystem: choose one',
    };
  }
  return { offerDefault: true };
}

// ---------------------------------------------------------------------------------------------
// Other fields

const ANACONDA_MODULE = /^org\.fedoraproject\.Anaconda\.Modules\.[A-Z][A-Za-z]*$/;
const CHOWN = /^(\d{1,10}):(\d{1,10})$/;
const MAX_ID = 4294967294;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const AMI_NAME = /^[A-Za-z0-9()[\] ./'@_-]{3,128}$/;
/** Volume ids end up in `inst.stage2=hd:LABEL=…` boot arguments: no spaces. ISO 9660 allows 32 characters. */
const VOLUME_ID = /^[A-Za-z0-9_.-]{1,32}$/;

function isAbsoluteHostPath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

const extraSchema = z.record(z.string(), z.unknown()).optional();

function problemCheck(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  };
}

/** Reports each repeat of `key(item)` at `[...prefix, index, ...field]`. */
function noDuplicates<T>(
  items: readonly T[],
  key: (item: T) => unknown,
  ctx: z.RefinementCtx,
  path: { prefix?: (string | number)[]; field?: string },
  message: string,
) {
  const seen = new Set<unknown>();
  items.forEach((item, index) => {
    const value = key(item);
    if (value === undefined) return;
    if (seen.has(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [...(path.prefix ?? []), index, ...(path.field ? [path.field] : [])],
        message,
      });
    }
    seen.add(value);
  });
}

const optionalText = (max: number, what: string) =>
  z
    .string()
    .max(max, `${what} has at most ${max} characters`)
    .refine(value => !hasControlCharacter(value), { message: `${what} is one line without control characters` })
    .optional();

export const buildUserSchema = z
  .object({
    name: z.string().superRefine(problemCheck(userNameProblem)),
    password: z.string().optional(),
    sshKey: z.string().superRefine(problemCheck(sshKeyProblem)).optional(),
    groups: z
      .array(z.string().superRefine(problemCheck(memberGroupProblem)))
      .superRefine((groups, ctx) => noDuplicates(groups, g => g, ctx, {}, 'this group is listed twice')),
    extra: extraSchema,
  })
  .superRefine((user, ctx) => {
    const message = user.password === undefined ? undefined : passwordProblem(user.password, user.name || undefined);
    if (message) ctx.addIssue({ code: 'custom', path: ['password'], message });
  });

export const buildGroupSchema = z.object({
  name: z.string().superRefine(problemCheck(groupNameProblem)),
  gid: z
    .number({ message: 'a gid is a whole number' })
    .int('a gid is a whole number')
    .min(1, 'a gid is at least 1 (0 is root)')
    .max(2147483647, 'a gid is at most 2147483647')
    .optional(),
  extra: extraSchema,
});

export const buildFilesystemSchema = z.object({
  mountpoint: z.string().superRefine(problemCheck(mountpoint => mountpointProblem(mountpoint))),
  minSize: z.string().superRefine(problemCheck(sizeProblem)),
  extra: extraSchema,
});

export const buildConfigSchema = z
  .object({
    users: z.array(buildUserSchema),
    groups: z.array(buildGroupSchema),
    kernelArgs: z.array(z.string().superRefine(problemCheck(kernelArgumentProblem))),
    filesystems: z.array(buildFilesystemSchema),
    installer: z
      .object({
        kickstart: z
          .string()
          .max(1_000_000, 'a kickstart has at most 1 MB')
          .refine(text => !text.includes('\0'), { message: 'a kickstart is text' })
          .optional(),
        modulesEnable: z.array(
          z.string().regex(ANACONDA_MODULE, 'an Anaconda module is named org.fedoraproject.Anaconda.Modules.<Name>'),
        ),
        modulesDisable: z.array(
          z.string().regex(ANACONDA_MODULE, 'an Anaconda module is named org.fedoraproject.Anaconda.Modules.<Name>'),
        ),
      })
      .superRefine((installer, ctx) => {
        noDuplicates(
          installer.modulesEnable,
          m => m,
          ctx,
          { prefix: ['modulesEnable'] },
          'this module is listed twice',
        );
        noDuplicates(
          installer.modulesDisable,
          m => m,
          ctx,
          { prefix: ['modulesDisable'] },
          'this module is listed twice',
        );
        installer.modulesDisable.forEach((module, index) => {
          if (installer.modulesEnable.includes(module)) {
            ctx.addIssue({
              code: 'custom',
              path: ['modulesDisable', index],
              message: 'this module is also in the enabled list: the builder would disable it; keep it in one list',
            });
          }
        });
      })
      .optional(),
    iso: z
      .object({
        volumeId: z
          .string()
          .regex(
            VOLUME_ID,
            'an ISO volume id is 1–32 letters, digits, _ . or - (no spaces: it is used as a boot label)',
          )
          .optional(),
        applicationId: optionalText(128, 'an ISO application id'),
        publisher: optionalText(128, 'an ISO publisher'),
      })
      .optional(),
    fips: z.boolean().optional(),
    extra: extraSchema,
  })
  .superRefine((config, ctx) => {
    const byName = (item: { name: string }) => item.name || undefined;
    noDuplicates(config.users, byName, ctx, { prefix: ['users'], field: 'name' }, 'two users have this name');
    noDuplicates(config.groups, byName, ctx, { prefix: ['groups'], field: 'name' }, 'two groups have this name');
    noDuplicates(
      config.groups,
      group => group.gid,
      ctx,
      { prefix: ['groups'], field: 'gid' },
      'two groups have this gid',
    );
    noDuplicates(
      config.filesystems,
      fs => fs.mountpoint || undefined,
      ctx,
      { prefix: ['filesystems'], field: 'mountpoint' },
      'two filesystems have this mount point',
    );
    const appended = config.kernelArgs.join(' ');
    if (new TextEncoder().encode(appended).length > KERNEL_ARGS_MAX_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['kernelArgs'],
        message: `the kernel arguments add up to more than ${KERNEL_ARGS_MAX_BYTES} bytes, the kernel's limit`,
      });
    }
    if (config.installer?.kickstart?.trim() && config.users.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['installer', 'kickstart'],
        message: 'the builder cannot combine a kickstart with users: create the users in the kickstart, or remove it',
      });
    }
  });

const builderSchema = z.union([
  z.enum(Object.keys(BUILDER_PRESETS) as [BuilderPreset, ...BuilderPreset[]], {
    message: `a builder is one of ${Object.keys(BUILDER_PRESETS).join(', ')}, or an image`,
  }),
  z.object({
    image: imageReferenceSchema,
    kind: z.enum(['bootc-image-builder', 'image-builder']).optional(),
  }),
]);

export const diskBuildRequestSchema = z
  .object({
    image: imageReferenceSchema,
    engineId: z.string().min(1).optional(),
    outputDir: z
      .string()
      .trim()
      .min(1, 'choose an output folder')
      .refine(isAbsoluteHostPath, { message: 'the output folder is an absolute path' })
      .refine(path => !hasControlCharacter(path), { message: 'the output folder has no newline or control character' })
      .refine(path => !path.includes(':') || /^[A-Za-z]:[\\/]/.test(path), {
        message: 'the output folder has no ":" (it separates the parts of a volume mount)',
      }),
    types: z
      .array(z.enum(DISK_IMAGE_TYPES, { message: `an image type is one of ${DISK_IMAGE_TYPES.join(', ')}` }))
      .min(1, 'choose at least one image type'),
    arch: z.enum(BUILD_ARCHITECTURES, { message: 'the architecture is amd64 or arm64' }),
    rootfs: z.enum(ROOT_FILESYSTEMS, { message: 'the root filesystem is xfs, ext4 or btrfs' }).optional(),
    builder: builderSchema,
    config: buildConfigSchema,
    chown: z
      .string()
      .superRefine(
        problemCheck(value => {
          if (!CHOWN.test(value)) return 'chown is UID:GID in numbers, e.g. 1000:1000';
          if (value.split(':').some(id => Number(id) > MAX_ID)) return 'a UID or GID is at most 4294967294';
          return undefined;
        }),
      )
      .optional(),
    aws: z
      .object({
        amiName: z.string().trim(),
        bucket: z.string().trim(),
        region: z.string().trim(),
      })
      .superRefine((aws, ctx) => {
        const filled = [aws.amiName, aws.bucket, aws.region].filter(value => value.length > 0).length;
        if (filled !== 3) {
          for (const key of ['amiName', 'bucket', 'region'] as const) {
            if (!aws[key]) {
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: 'an AWS upload needs all three: AMI name, bucket and region',
              });
            }
          }
          return;
        }
        if (!AMI_NAME.test(aws.amiName)) {
          ctx.addIssue({
            code: 'custom',
            path: ['amiName'],
            message: "an AMI name is 3–128 letters, digits, spaces and ( ) [ ] . / - ' @ _",
          });
        }
        if (!S3_BUCKET.test(aws.bucket) || aws.bucket.includes('..')) {
          ctx.addIssue({
            code: 'custom',
            path: ['bucket'],
            message: 'an S3 bucket name is 3–63 lower-case letters, digits, dots and hyphens',
          });
        }
        if (!AWS_REGION.test(aws.region)) {
          ctx.addIssue({ code: 'custom', path: ['region'], message: 'an AWS region looks like us-east-1' });
        }
      })
      .optional(),
  })
  .superRefine((request, ctx) => {
    const types = request.types;
    noDuplicates(types, type => type, ctx, { prefix: ['types'] }, 'this type is listed twice');
    const isos = types.filter(isIsoType);
    const disks = types.filter(type => !isIsoType(type));
    if (isos.length > 0 && disks.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['types'],
        message:
          'ISO types cannot be built together with disk types: the builder makes either one installer ISO or a set of disk images per run',
      });
    } else if (new Set(isos).size > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['types'],
        message: 'choose one ISO type per build: each of them writes bootiso/install.iso',
      });
    }
    if (builderKindOf(request.builder) === 'image-builder') {
      if (types.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['types'],
          message:
            'image-builder makes one image type per run: choose one, or use bootc-image-builder for several in one build',
        });
      }
      if (isos.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['types'],
          message:
            'image-builder builds installers from a separate installer image: use bootc-image-builder for ISO types',
        });
      }
    }
    const iso = isos.length > 0;
    const config = request.config;
    const installer = config.installer;
    if (!iso) {
      if (installer?.kickstart?.trim()) isoOnly(ctx, ['config', 'installer', 'kickstart'], 'a kickstart');
      if (installer && installer.modulesEnable.length + installer.modulesDisable.length > 0) {
        isoOnly(ctx, ['config', 'installer', 'modulesEnable'], 'Anaconda modules');
      }
      if (config.iso && Object.values(config.iso).some(value => value)) isoOnly(ctx, ['config', 'iso'], 'ISO labels');
      if (config.fips) {
        ctx.addIssue({
          code: 'custom',
          path: ['config', 'fips'],
          message: 'FIPS here applies to ISO installs; for disk images enable FIPS in the Containerfile',
        });
      }
    }
    config.filesystems.forEach((fs, index) => {
      // The general rules are the filesystem schema's; what depends on the root filesystem is checked here.
      if (mountpointProblem(fs.mountpoint)) return;
      const message = mountpointProblem(fs.mountpoint, request.rootfs);
      if (message) ctx.addIssue({ code: 'custom', path: ['config', 'filesystems', index, 'mountpoint'], message });
    });
    if (request.aws && !types.includes('ami')) {
      ctx.addIssue({ code: 'custom', path: ['aws'], message: 'an AWS upload needs the ami type' });
    }
  });

function isoOnly(ctx: z.RefinementCtx, path: (string | number)[], what: string) {
  ctx.addIssue({
    code: 'custom',
    path,
    message: `${what} only apply to ISO types (anaconda-iso, iso, bootc-installer): remove them or choose an ISO type`,
  });
}

/** What the form and the backend know about the chosen image, for the checks the schema cannot make. */
export interface DiskBuildImageFacts {
  /** Architectures of the image or of its manifest list's members. */
  architectures?: readonly string[];
  labels?: Record<string, string>;
}

/** The schema plus the checks that need the image: architecture offered, a root filesystem where there is no default. */
export function validateDiskBuildRequest(value: unknown, image?: DiskBuildImageFacts): Validated<DiskBuildRequest> {
  const result = validate(diskBuildRequestSchema, value);
  if (!result.ok || !image) return result;
  const errors: FieldError[] = [];
  const request = result.value;
  if (image.architectures && image.architectures.length > 0) {
    const allowed = allowedArchitectures(image.architectures);
    if (!allowed.includes(request.arch)) {
      errors.push({
        field: 'arch',
        message:
          allowed.length > 0
            ? `the image offers ${allowed.join(', ')}, not ${request.arch}`
            : `the image offers no architecture that can be built (${image.architectures.join(', ')})`,
      });
    }
  }
  if (image.labels && !request.rootfs) {
    const choice = defaultRootfsFor(image.labels);
    if (!choice.offerDefault) errors.push({ field: 'rootfs', message: `${choice.reason} (xfs, ext4 or btrfs)` });
  }
  return errors.length > 0 ? { ok: false, errors } : result;
}

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

export const MASK = '********';

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

// The hand-written interfaces above are the documentation; the schema must produce exactly them.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const _requestMatchesSchema: Same<z.output<typeof diskBuildRequestSchema>, DiskBuildRequest> = true;
void _requestMatchesSchema;
