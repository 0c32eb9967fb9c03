/** The schema of a disk-build request, and its validation (the fields named in each refusal). */

import { z } from 'zod';

import { isAbsoluteHostPath } from './host-paths';
import { imageReferenceSchema, validate, type FieldError, type Validated } from './validation';
import {
  BUILD_ARCHITECTURES,
  type DiskBuildImageFacts,
  BUILDER_PRESETS,
  builderKindOf,
  type BuilderPreset,
  DISK_IMAGE_TYPES,
  type DiskBuildRequest,
  hasControlCharacter,
  isIsoType,
  ROOT_FILESYSTEMS,
} from './disk-build';
import { allowedArchitectures, defaultRootfsFor } from './disk-build-architectures';
import { noDuplicates, problemCheck } from './schema-refinements';
import {
  groupNameProblem,
  KERNEL_ARGS_MAX_BYTES,
  kernelArgumentProblem,
  memberGroupProblem,
  mountpointProblem,
  passwordProblem,
  sizeProblem,
  sshKeyProblem,
  userNameProblem,
} from './disk-build-fields';

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

/** The schemas are built on first use, then kept: building them at load was a fifth of activation (issue 12). */
let built: ReturnType<typeof buildSchemas> | undefined;
export const buildConfigSchema = () => (built ??= buildSchemas()).config;
const diskBuildRequestSchema = () => (built ??= buildSchemas()).request;

function buildSchemas() {
  const extraSchema = z.record(z.string(), z.unknown()).optional();

  const optionalText = (max: number, what: string) =>
    z
      .string()
      .max(max, `${what} has at most ${max} characters`)
      .refine(value => !hasControlCharacter(value), { message: `${what} is one line without control characters` })
      .optional();

  const buildUserSchema = z
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

  const buildGroupSchema = z.object({
    name: z.string().superRefine(problemCheck(groupNameProblem)),
    gid: z
      .number({ message: 'a gid is a whole number' })
      .int('a gid is a whole number')
      .min(1, 'a gid is at least 1 (0 is root)')
      .max(2147483647, 'a gid is at most 2147483647')
      .optional(),
    extra: extraSchema,
  });

  const buildFilesystemSchema = z.object({
    mountpoint: z.string().superRefine(problemCheck(mountpoint => mountpointProblem(mountpoint))),
    minSize: z.string().superRefine(problemCheck(sizeProblem)),
    extra: extraSchema,
  });

  const configSchema = z
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

  const requestSchema = z
    .object({
      image: imageReferenceSchema,
      engineId: z.string().min(1).optional(),
      outputDir: z
        .string()
        .trim()
        .min(1, 'choose an output folder')
        .refine(isAbsoluteHostPath, { message: 'the output folder is an absolute path' })
        // The builder gets the folder as its /output: never the whole file system.
        .refine(path => !/^(?:[A-Za-z]:)?[\\/]+$/.test(path), {
          message: 'the output folder cannot be the root folder: choose a folder under it',
        })
        .refine(path => !hasControlCharacter(path), {
          message: 'the output folder has no newline or control character',
        })
        .refine(path => !path.includes(':') || /^[A-Za-z]:[\\/]/.test(path), {
          message: 'the output folder has no ":" (it separates the parts of a volume mount)',
        }),
      types: z
        .array(z.enum(DISK_IMAGE_TYPES, { message: `an image type is one of ${DISK_IMAGE_TYPES.join(', ')}` }))
        .min(1, 'choose at least one image type'),
      arch: z.enum(BUILD_ARCHITECTURES, { message: 'the architecture is amd64 or arm64' }),
      rootfs: z.enum(ROOT_FILESYSTEMS, { message: 'the root filesystem is xfs, ext4 or btrfs' }).optional(),
      builder: builderSchema,
      config: configSchema,
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
  return { config: configSchema, request: requestSchema };
}

function isoOnly(ctx: z.RefinementCtx, path: (string | number)[], what: string) {
  ctx.addIssue({
    code: 'custom',
    path,
    message: `${what} only apply to ISO types (anaconda-iso, iso, bootc-installer): remove them or choose an ISO type`,
  });
}

/** The schema plus the checks that need the image: architecture offered, a root filesystem where there is no default. */
export function validateDiskBuildRequest(value: unknown, image?: DiskBuildImageFacts): Validated<DiskBuildRequest> {
  const result = validate(diskBuildRequestSchema(), value);
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

// The hand-written interfaces above are the documentation; the schema must produce exactly them.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const _requestMatchesSchema: Same<z.output<ReturnType<typeof diskBuildRequestSchema>>, DiskBuildRequest> = true;
void _requestMatchesSchema;
