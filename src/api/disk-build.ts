/**
 * The disk-image build request as the form, the CLI and the backend share it: its types, the image
 * types, architectures, root filesystems and builder presets, and the small helpers on them. Its
 * per-field checks are in disk-build-fields.ts, the architecture and root filesystem choices in
 * disk-build-architectures.ts, the schema in disk-build-schema.ts. Pure: the webview imports it.
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

/** What the form and the backend know about the chosen image, for the checks the schema cannot make. */
export interface DiskBuildImageFacts {
  /** Architectures of the image or of its manifest list's members. */
  architectures?: readonly string[];
  labels?: Record<string, string>;
}

/** What a secret is shown as (passwords in a preview, in a record, in the form's imported config). */
export const MASK = '********';
