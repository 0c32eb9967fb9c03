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
