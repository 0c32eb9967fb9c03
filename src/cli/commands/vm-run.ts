import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { BUILDER_PRESETS, type BuilderChoice } from '../../api/disk-build';
import { ValidationError } from '../../api/validation';
import type { LaunchVmRequest } from '../../api/vms';
import { BuildStore, isBuildId } from '../../builds/build-store';
import { findOrBuildImageDisk } from '../../vms/vm-image-disk';
import type { CliCommand, CliContext } from '../cli-context';
import { UsageError } from '../cli-context';
import { buildJobs, openBuilds } from '../disk-builds';
import { followJob } from '../job-follower';
import { describeVm, openVms } from '../vms';
import { openSsh } from './vm-ssh';

/**
 * `bootc-studio vm run SOURCE`: a VM of a finished build (its id or a unique prefix), of a disk
 * file or installer ISO (installed onto a new disk at the first start), or of a bootc image — whose qcow2 is built once per image ID and settings and reused after
 * — started and followed; then, in a terminal and unless --detach, SSH into it.
 */
export const vmRunCommand: CliCommand = {
  name: 'vm run',
  summary: 'Boot a bootc image, a finished disk build or a disk file as a new VM, then open SSH into it',
  usage: 'IMAGE|BUILD-ID|DISK-PATH',
  positionals: [1, 1],
  options: {
    name: { type: 'string', description: "The VM's name (default: the image's name and a number)" },
    memory: { type: 'string', description: 'Memory in MiB (default 2048)' },
    cpus: { type: 'string', description: 'CPUs (default 2)' },
    user: { type: 'string', description: "The guest user given the VM's SSH key at boot (default root)" },
    hypervisor: {
      type: 'string',
      description: 'qemu (default), fusion where VMware Fusion is installed (macOS), hyperv (Windows)',
    },
    'disk-size': {
      type: 'string',
      description: 'For an installer ISO: the size in GiB of the new disk it installs onto (default 20)',
    },
    builder: {
      type: 'string',
      description: `For an IMAGE: the builder of its disk (${Object.keys(BUILDER_PRESETS).join(', ')}, or an image; default centos)`,
    },
    'cloud-init': {
      type: 'boolean',
      description:
        "Attach a cloud-init NoCloud seed with the VM's key (default: when the image has cloud-init; off for a disk file)",
    },
    'no-cloud-init': { type: 'boolean', description: 'Attach no cloud-init seed, even when the image has cloud-init' },
    detach: { type: 'boolean', short: 'd', description: 'Do not open SSH once it runs; print how to reach it' },
  },
  async run(ctx, values, positionals) {
    const memoryMiB = numberOption(values.memory, '--memory');
    const cpus = numberOption(values.cpus, '--cpus');
    const diskGiB = numberOption(values['disk-size'], '--disk-size');
    if (values['cloud-init'] === true && values['no-cloud-init'] === true) {
      throw new UsageError('--cloud-init and --no-cloud-init: choose one');
    }
    const cloudInit = values['cloud-init'] === true ? true : values['no-cloud-init'] === true ? false : undefined;
    const source = await sourceOf(ctx, positionals[0], values.builder as string | undefined);
    if (!source) return 1;
    const request: LaunchVmRequest = {
      source,
      name: values.name as string | undefined,
      memoryMiB,
      cpus,
      sshUser: values.user as string | undefined,
      hypervisor: values.hypervisor as LaunchVmRequest['hypervisor'],
      diskGiB,
      cloudInit,
    };
    const cli = openVms(ctx);
    const { vms, jobs } = cli;
    const vm = await vms.create(request).catch((error: unknown) => {
      if (error instanceof ValidationError) {
        throw new UsageError(
          error.errors.map(({ field, message }) => `${FLAGS[field] ?? field}: ${message}`).join('; '),
        );
      }
      throw error;
    });
    if (!ctx.json) ctx.io.stderr.write(`Made VM ${vm.name} (${vm.id})\n`);
    const job = await followJob(jobs, vms.start(vm.id).id, ctx.io, { json: ctx.json, interrupt: 'cancel' });
    if (job.status !== 'succeeded') return 1;
    const info = await vms.get(vm.id);
    if (ctx.json) return 0;
    if (values.detach !== true && ctx.io.stdout.isTTY && job.warnings.length === 0)
      return openSsh(cli, info, [], ctx.io);
    ctx.io.stdout.write(describeVm(info));
    return 0;
  },
};

/** The flag (or argument) each field of a VM request comes from. */
const FLAGS: Record<string, string> = {
  source: 'IMAGE|BUILD-ID|DISK-PATH',
  name: '--name',
  memoryMiB: '--memory',
  cpus: '--cpus',
  sshUser: '--user',
  hypervisor: '--hypervisor',
  diskGiB: '--disk-size',
  cloudInit: '--cloud-init',
};

function numberOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new UsageError(`${name}: a whole number, not ${JSON.stringify(value)}`);
  return number;
}

function builderChoice(value: string | undefined): BuilderChoice {
  if (value === undefined) return 'centos';
  if (value in BUILDER_PRESETS) return value as keyof typeof BUILDER_PRESETS;
  return { image: value };
}

/**
 * A build id (or unique prefix) of the store, else a disk file (a path: it starts with `/`, `.` or
 * `~`, or names a file), else a bootc image whose disk is found or built (undefined when that build
 * did not succeed; it said why).
 */
async function sourceOf(
  ctx: CliContext,
  given: string,
  builder: string | undefined,
): Promise<LaunchVmRequest['source'] | undefined> {
  const wanted = given.trim().toLowerCase();
  const path = resolve(ctx.io.cwd ?? process.cwd(), given);
  if (/^[0-9a-f]{1,12}$/.test(wanted) && !existsSync(path)) {
    const { records } = await new BuildStore(ctx.storeDir).list();
    const matches = records.filter(record => record.id.startsWith(wanted));
    if (matches.length === 1 && isBuildId(matches[0].id)) return { buildId: matches[0].id };
    if (matches.length > 1)
      throw new UsageError(`BUILD-ID: ${given} names ${matches.length} builds; give more of the id`);
  }
  if (existsSync(path)) return { diskPath: path };
  if (/^[./~]/.test(given)) throw new UsageError(`DISK-PATH: ${given} does not exist`);

  const builds = await openBuilds(ctx);
  const disk = await findOrBuildImageDisk(
    { engine: await ctx.engine(), builds, storeDir: ctx.storeDir },
    { image: given, builder: builderChoice(builder) },
  );
  if (disk.reused) {
    if (!ctx.json)
      ctx.io.stderr.write(
        `Reusing the disk of build ${disk.buildId} (image ${disk.imageId.slice(0, 12)}, same settings)\n`,
      );
  } else {
    if (!ctx.json)
      ctx.io.stderr.write(
        `Building a qcow2 of ${given} (build ${disk.buildId}); the next run of this image reuses it\n`,
      );
    const ended = await followJob(buildJobs(builds), disk.buildId, ctx.io, { json: ctx.json, interrupt: 'cancel' });
    if (ended.status !== 'succeeded') return undefined;
  }
  return { buildId: disk.buildId, imageId: disk.imageId };
}
