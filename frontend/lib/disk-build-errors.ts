import type { FieldError } from '../../src/api/validation';
import type { RowKeys } from './disk-build-form';

/*
 * A refusal of the disk-image build in the form's words, and where on the form each of its fields
 * is shown: the request's field paths (`config.users.1.password`) become the form's labels (`User 2
 * password`) and its rows (by their keys, so an error stays with its row).
 */

/** The form's names of the request's fields (`outputDir` → `Output folder`), for messages. */
const FIELD_LABELS: Record<string, string> = {
  image: 'Image',
  engineId: 'Engine',
  outputDir: 'Output folder',
  types: 'Image types',
  arch: 'Architecture',
  rootfs: 'Root filesystem',
  builder: 'Builder',
  'builder.image': 'Builder image',
  chown: 'Owner of the files',
  aws: 'Upload to AWS',
  'aws.amiName': 'AMI name',
  'aws.bucket': 'S3 bucket',
  'aws.region': 'Region',
  'config.kernelArgs': 'Kernel arguments',
  'config.installer.kickstart': 'Kickstart',
  'config.installer.modules': 'Anaconda modules',
  'config.installer.modulesEnable': 'Anaconda modules',
  'config.installer.modulesDisable': 'Anaconda modules',
  'config.iso': 'ISO settings',
  'config.iso.volumeId': 'Volume id',
  'config.iso.applicationId': 'Application id',
  'config.iso.publisher': 'Publisher',
  'config.fips': 'FIPS',
};

const ROW_LABELS: Record<string, [string, Record<string, string>]> = {
  users: ['User', { name: 'name', password: 'password', sshKey: 'SSH key', groups: 'groups' }],
  groups: ['Group', { name: 'name', gid: 'gid' }],
  kernelArgs: ['Kernel argument', {}],
  filesystems: ['Filesystem', { mountpoint: 'mount point', minSize: 'minimum size' }],
};

/** A request field as the form names it: `Output folder`, `User 2 password`; never `outputDir`. */
export function fieldLabel(field: string): string {
  const known = FIELD_LABELS[field];
  if (known) return known;
  const row = /^config\.(users|groups|kernelArgs|filesystems)\.(\d+)(?:\.(\w+))?/.exec(field);
  if (row) {
    const [what, parts] = ROW_LABELS[row[1]];
    const part = row[3] ? parts[row[3]] : undefined;
    return `${what} ${Number(row[2]) + 1}${part ? ` ${part}` : ''}`;
  }
  const parent = field.includes('.') ? field.slice(0, field.lastIndexOf('.')) : undefined;
  if (parent) return fieldLabel(parent);
  return 'Settings';
}

/**
 * A refusal in the form's words: `Output folder: … does not exist; Architecture: …`. A message that
 * already names its subject (`User alice: the password …`) is not prefixed again.
 */
export function describeForForm(errors: readonly FieldError[]): string {
  return errors
    .map(error => (/^User \S+: /.test(error.message) ? error.message : `${fieldLabel(error.field)}: ${error.message}`))
    .join('; ');
}

/**
 * Where each error is shown: errors of list items are filed under their row (`row:<key>.<field>`,
 * `row:<key>` for a kernel argument), those of Anaconda modules under `config.installer.modules`,
 * the others under their own field name. First message wins.
 */
export function formErrors(errors: readonly FieldError[], keys: RowKeys): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of errors) {
    const field = rowField(error.field, keys) ?? modulesField(error.field) ?? error.field;
    byField[field] ??= error.message;
  }
  return byField;
}

/** Anaconda modules are one control: every error about them is shown there. */
function modulesField(field: string): string | undefined {
  return /^config\.installer\.modules(Enable|Disable)(\.|$)/.test(field) ? 'config.installer.modules' : undefined;
}

function rowField(field: string, keys: RowKeys): string | undefined {
  const parts = field.split('.');
  if (parts[0] !== 'config' || parts.length < 3) return undefined;
  const list = parts[1] as keyof RowKeys;
  if (!(list in keys) || !/^\d+$/.test(parts[2])) return undefined;
  const key = keys[list][Number(parts[2])];
  if (key === undefined) return undefined;
  return parts.length > 3 ? `row:${key}.${parts[3]}` : `row:${key}`;
}

/** Fields with a place on the form; errors of any other field are listed above the Build button. */
const FIELDS = new Set([
  'image',
  'engineId',
  'outputDir',
  'types',
  'arch',
  'rootfs',
  'builder',
  'builder.image',
  'chown',
  'aws',
  'aws.amiName',
  'aws.bucket',
  'aws.region',
  'config.kernelArgs',
]);
const INSTALLER_FIELDS = new Set([
  'config.installer.kickstart',
  'config.installer.modules',
  'config.iso',
  'config.iso.volumeId',
  'config.iso.applicationId',
  'config.iso.publisher',
  'config.fips',
]);
const ROW_FIELD = /^row:\d+(\.(name|password|sshKey|groups|gid|mountpoint|minSize))?$/;
/** Fields whose message waits for the user at that very field, not at the group it belongs to. */
const OWN_TOUCH = new Set(['builder.image']);

/** Whether an error of `field` has a place on the form (else it is listed above the Build button). */
export function hasPlaceOnForm(field: string, installerShown: boolean): boolean {
  if (FIELDS.has(field) || ROW_FIELD.test(field)) return true;
  if (INSTALLER_FIELDS.has(field)) return installerShown;
  return false;
}

/** Whether the user has been at `field` or at a group it belongs to (`aws` for `aws.bucket`). */
export function wasVisited(field: string, touched: ReadonlySet<string>): boolean {
  if (OWN_TOUCH.has(field)) return touched.has(field);
  const parts = field.split('.');
  for (let length = parts.length; length > 0; length--) {
    if (touched.has(parts.slice(0, length).join('.'))) return true;
  }
  return false;
}

/** The request field a form field (`row:<key>.name`) stands for, to name it. */
export function requestFieldOf(formField: string, rowKeys: RowKeys): string {
  const row = /^row:(\d+)(?:\.(\w+))?$/.exec(formField);
  if (!row) return formField;
  for (const [list, keys] of Object.entries(rowKeys)) {
    const index = (keys as number[]).indexOf(Number(row[1]));
    if (index >= 0) return `config.${list}.${index}${row[2] ? `.${row[2]}` : ''}`;
  }
  return formField;
}
