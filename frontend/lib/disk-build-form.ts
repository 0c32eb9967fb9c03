import type {
  BuildArchitecture,
  BuildConfig,
  BuilderChoice,
  BuilderKind,
  BuilderPreset,
  DiskBuildRequest,
  DiskImageType,
  RootFilesystem,
} from '../../src/api/disk-build';
import { BUILDER_PRESETS, DISK_IMAGE_TYPES, MASK } from '../../src/api/disk-build';

/*
 * The disk-image build form's model: what the page holds while the user edits it, the request it
 * describes, and the way back from a request (rebuild) or an imported config file. Pure, so the
 * conversions are tested without rendering anything.
 */

/** Rows keep a key of their own so that an error stays with its row when rows above it are removed. */
let lastRowKey = 0;
export function newRowKey(): number {
  return ++lastRowKey;
}

export interface UserRow {
  key: number;
  name: string;
  /** As typed; empty means no password (SSH key only). */
  password: string;
  sshKey: string;
  /** Supplementary groups, comma-separated as typed. */
  groups: string;
  extra?: Record<string, unknown>;
}

export interface GroupRow {
  key: number;
  name: string;
  /** As typed; empty means the image picks one. */
  gid: string;
  extra?: Record<string, unknown>;
}

export interface KernelArgRow {
  key: number;
  value: string;
}

export interface FilesystemRow {
  key: number;
  mountpoint: string;
  /** A size with its unit, e.g. `10 GiB`. */
  minSize: string;
  extra?: Record<string, unknown>;
}

export type ModuleChoice = 'default' | 'enable' | 'disable';

export interface ConfigForm {
  users: UserRow[];
  groups: GroupRow[];
  kernelArgs: KernelArgRow[];
  filesystems: FilesystemRow[];
  kickstart: string;
  /** Anaconda module name → what to do with it; `default` leaves it to the installer. */
  modules: Record<string, ModuleChoice>;
  volumeId: string;
  applicationId: string;
  publisher: string;
  fips: boolean;
  /** Fields of an imported file the form does not know, written back as they came. */
  extra?: Record<string, unknown>;
}

export type BuilderSelection = BuilderPreset | 'custom';

export interface DiskBuildForm {
  image: string;
  engineId?: string;
  outputDir: string;
  types: DiskImageType[];
  arch?: BuildArchitecture;
  rootfs: RootFilesystem | 'default';
  builder: BuilderSelection;
  customBuilder: string;
  customBuilderKind: BuilderKind;
  config: ConfigForm;
  chown: string;
  amiName: string;
  bucket: string;
  region: string;
}

/** The Anaconda modules the installer knows (bootc-tooling §2.4); the first six are on by default. */
export const ANACONDA_MODULES = [
  'Network',
  'Payloads',
  'Security',
  'Services',
  'Storage',
  'Users',
  'Localization',
  'Runtime',
  'Subscription',
  'Timezone',
].map(name => `org.fedoraproject.Anaconda.Modules.${name}`);

export const ANACONDA_DEFAULT_ON = new Set(ANACONDA_MODULES.slice(0, 6));

export const BUILDER_LABELS: Record<BuilderSelection, string> = {
  centos: 'CentOS bootc-image-builder (default)',
  rhel9: 'RHEL 9 bootc-image-builder',
  rhel10: 'RHEL 10 bootc-image-builder',
  'image-builder': 'image-builder (one type per build)',
  custom: 'Another builder image…',
};

export const TYPE_LABELS: Record<DiskImageType, string> = {
  qcow2: 'QCOW2 (QEMU, libvirt)',
  raw: 'RAW disk',
  vmdk: 'VMDK (VMware)',
  vhd: 'VHD (Hyper-V, Azure)',
  ami: 'AMI (Amazon EC2)',
  gce: 'GCE (Google Compute Engine)',
  'anaconda-iso': 'Anaconda installer ISO',
  iso: 'Installer ISO',
  'bootc-installer': 'bootc installer ISO',
};

export function emptyConfigForm(): ConfigForm {
  return {
    users: [],
    groups: [],
    kernelArgs: [],
    filesystems: [],
    kickstart: '',
    modules: {},
    volumeId: '',
    applicationId: '',
    publisher: '',
    fips: false,
  };
}

export function emptyDiskBuildForm(): DiskBuildForm {
  return {
    image: '',
    outputDir: '',
    types: ['qcow2'],
    rootfs: 'default',
    builder: 'centos',
    customBuilder: '',
    customBuilderKind: 'bootc-image-builder',
    config: emptyConfigForm(),
    chown: '',
    amiName: '',
    bucket: '',
    region: '',
  };
}

export function newUserRow(): UserRow {
  return { key: newRowKey(), name: '', password: '', sshKey: '', groups: '' };
}

export function newGroupRow(): GroupRow {
  return { key: newRowKey(), name: '', gid: '' };
}

export function newKernelArgRow(value = ''): KernelArgRow {
  return { key: newRowKey(), value };
}

export function newFilesystemRow(): FilesystemRow {
  return { key: newRowKey(), mountpoint: '', minSize: '' };
}

/** A request as the form describes it; `arch` is missing until the user (or the image) chose one. */
export type DraftRequest = Omit<DiskBuildRequest, 'arch'> & { arch?: BuildArchitecture };

/** Which row each item of the request's lists came from, to file errors under their rows. */
export interface RowKeys {
  users: number[];
  groups: number[];
  kernelArgs: number[];
  filesystems: number[];
}

const withExtra = <T extends object>(value: T, extra: Record<string, unknown> | undefined): T =>
  extra && Object.keys(extra).length > 0 ? { ...value, extra } : value;

/** Splits a comma-separated list, dropping blanks. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map(item => item.trim())
    .filter(item => item !== '');
}

/**
 * The config the form describes. Rows left entirely blank are left out (an "Add" clicked by mistake
 * is not an error); installer, ISO and FIPS settings go in only when set.
 */
export function toBuildConfig(form: ConfigForm): { config: BuildConfig; keys: RowKeys } {
  const keys: RowKeys = { users: [], groups: [], kernelArgs: [], filesystems: [] };
  const users = form.users
    .filter(row => row.name.trim() || row.password || row.sshKey.trim() || row.groups.trim())
    .map(row => {
      keys.users.push(row.key);
      const user: BuildConfig['users'][number] = { name: row.name.trim(), groups: splitList(row.groups) };
      if (row.password !== '') user.password = row.password;
      if (row.sshKey.trim() !== '') user.sshKey = row.sshKey.trim();
      return withExtra(user, row.extra);
    });
  const groups = form.groups
    .filter(row => row.name.trim() || row.gid.trim())
    .map(row => {
      keys.groups.push(row.key);
      const group: BuildConfig['groups'][number] = { name: row.name.trim() };
      const gid = row.gid.trim();
      // Not a number: NaN, which the schema refuses with its own message next to the field.
      if (gid !== '') group.gid = /^-?\d+(\.\d+)?$/.test(gid) ? Number(gid) : Number.NaN;
      return withExtra(group, row.extra);
    });
  const kernelArgs = form.kernelArgs
    .filter(row => row.value.trim() !== '')
    .map(row => {
      keys.kernelArgs.push(row.key);
      return row.value.trim();
    });
  const filesystems = form.filesystems
    .filter(row => row.mountpoint.trim() || row.minSize.trim())
    .map(row => {
      keys.filesystems.push(row.key);
      return withExtra({ mountpoint: row.mountpoint.trim(), minSize: row.minSize.trim() }, row.extra);
    });
  const config: BuildConfig = { users, groups, kernelArgs, filesystems };

  const modulesEnable = Object.keys(form.modules).filter(name => form.modules[name] === 'enable');
  const modulesDisable = Object.keys(form.modules).filter(name => form.modules[name] === 'disable');
  if (form.kickstart.trim() !== '' || modulesEnable.length + modulesDisable.length > 0) {
    config.installer = { modulesEnable, modulesDisable };
    if (form.kickstart.trim() !== '') config.installer.kickstart = form.kickstart;
  }
  const iso: NonNullable<BuildConfig['iso']> = {};
  if (form.volumeId.trim()) iso.volumeId = form.volumeId.trim();
  if (form.applicationId.trim()) iso.applicationId = form.applicationId.trim();
  if (form.publisher.trim()) iso.publisher = form.publisher.trim();
  if (Object.keys(iso).length > 0) config.iso = iso;
  if (form.fips) config.fips = true;
  return { config: withExtra(config, form.extra), keys };
}

export function builderChoiceOf(form: DiskBuildForm): BuilderChoice {
  if (form.builder !== 'custom') return form.builder;
  const choice: { image: string; kind?: BuilderKind } = { image: form.customBuilder.trim() };
  if (form.customBuilderKind !== 'bootc-image-builder') choice.kind = form.customBuilderKind;
  return choice;
}

/** The request the form describes, types in their usual order, optional parts only when set. */
export function toDraftRequest(form: DiskBuildForm): { request: DraftRequest; keys: RowKeys } {
  const { config, keys } = toBuildConfig(form.config);
  const request: DraftRequest = {
    image: form.image,
    outputDir: form.outputDir.trim(),
    types: DISK_IMAGE_TYPES.filter(type => form.types.includes(type)),
    builder: builderChoiceOf(form),
    config,
  };
  if (form.engineId) request.engineId = form.engineId;
  if (form.arch) request.arch = form.arch;
  if (form.rootfs !== 'default') request.rootfs = form.rootfs;
  if (form.chown.trim()) request.chown = form.chown.trim();
  if (form.amiName.trim() || form.bucket.trim() || form.region.trim()) {
    request.aws = { amiName: form.amiName.trim(), bucket: form.bucket.trim(), region: form.region.trim() };
  }
  return { request, keys };
}

/** The form for an imported or recorded config: every field it knows, the rest kept in `extra`. */
export function configFormOf(config: BuildConfig): ConfigForm {
  const modules: Record<string, ModuleChoice> = {};
  for (const name of config.installer?.modulesEnable ?? []) modules[name] = 'enable';
  // The installer lets `disable` win when a module is in both lists.
  for (const name of config.installer?.modulesDisable ?? []) modules[name] = 'disable';
  const form: ConfigForm = {
    users: config.users.map(user => ({
      key: newRowKey(),
      name: user.name,
      password: user.password ?? '',
      sshKey: user.sshKey ?? '',
      groups: user.groups.join(', '),
      ...(user.extra ? { extra: user.extra } : {}),
    })),
    groups: config.groups.map(group => ({
      key: newRowKey(),
      name: group.name,
      gid: group.gid === undefined ? '' : String(group.gid),
      ...(group.extra ? { extra: group.extra } : {}),
    })),
    kernelArgs: config.kernelArgs.map(arg => newKernelArgRow(arg)),
    filesystems: config.filesystems.map(fs => ({
      key: newRowKey(),
      mountpoint: fs.mountpoint,
      minSize: fs.minSize,
      ...(fs.extra ? { extra: fs.extra } : {}),
    })),
    kickstart: config.installer?.kickstart ?? '',
    modules,
    volumeId: config.iso?.volumeId ?? '',
    applicationId: config.iso?.applicationId ?? '',
    publisher: config.iso?.publisher ?? '',
    fips: config.fips ?? false,
  };
  if (config.extra) form.extra = config.extra;
  return form;
}

/** The form for a recorded request ("rebuild with the same settings"). Its passwords were never kept. */
export function diskBuildFormOf(request: DiskBuildRequest): DiskBuildForm {
  const builder = request.builder;
  const preset = typeof builder === 'string' ? builder : presetOfImage(builder.image, builder.kind);
  return {
    image: request.image,
    ...(request.engineId ? { engineId: request.engineId } : {}),
    outputDir: request.outputDir,
    types: [...request.types],
    arch: request.arch,
    rootfs: request.rootfs ?? 'default',
    builder: preset ?? 'custom',
    customBuilder: typeof builder === 'string' || preset ? '' : builder.image,
    customBuilderKind: typeof builder === 'string' ? 'bootc-image-builder' : (builder.kind ?? 'bootc-image-builder'),
    config: configFormOf(request.config),
    chown: request.chown ?? '',
    amiName: request.aws?.amiName ?? '',
    bucket: request.aws?.bucket ?? '',
    region: request.aws?.region ?? '',
  };
}

function presetOfImage(image: string, kind: BuilderKind | undefined): BuilderPreset | undefined {
  const entry = Object.entries(BUILDER_PRESETS).find(
    ([, preset]) => preset.image === image && preset.kind === (kind ?? 'bootc-image-builder'),
  );
  return entry?.[0] as BuilderPreset | undefined;
}

/** Whether a recorded kickstart lost its passwords to the mask (they must be typed again). */
export function hasMaskedSecret(text: string): boolean {
  return text.includes(MASK);
}

/**
 * Splits a kernel command line into arguments the way the kernel does: at spaces, except inside
 * double quotes (`console=ttyS0 foo="a b"` → `console=ttyS0`, `foo="a b"`).
 */
export function splitKernelLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    if (!quoted && /\s/.test(char)) {
      if (current) args.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) args.push(current);
  return args;
}

/** Whether the configuration holds installer or ISO settings (so the installer section shows). */
export function hasIsoSettings(config: ConfigForm): boolean {
  return (
    config.kickstart.trim() !== '' ||
    Object.keys(config.modules).length > 0 ||
    config.volumeId.trim() !== '' ||
    config.applicationId.trim() !== '' ||
    config.publisher.trim() !== '' ||
    config.fips
  );
}
