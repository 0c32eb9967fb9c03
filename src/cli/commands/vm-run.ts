import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import type { LaunchVmRequest, VmInfo } from '../../api/vms';
import { BuildStore, isBuildId } from '../../builds/build-store';
import type { CliCommand, CliContext } from '../cli-context';
import { UsageError } from '../cli-context';
import { followJob } from '../job-follower';
import { describeVm, openVms } from '../vms';
import { openSsh } from './vm-ssh';

/**
 * `bootc-studio vm run SOURCE`: makes a VM of a finished build (its id or a unique prefix) or of a
 * disk file, starts it, follows the start, and — in a terminal, unless --detach — opens SSH into it.
 */
export const vmRunCommand: CliCommand = {
  name: 'vm run',
  summary: 'Boot a finished disk build (or a disk file) as a new VM, then open SSH into it',
  usage: 'BUILD-ID|DISK-PATH',
  positionals: [1, 1],
  options: {
    name: { type: 'string', description: "The VM's name (default: the image's name and a number)" },
    memory: { type: 'string', description: 'Memory in MiB (default 2048)' },
    cpus: { type: 'string', description: 'CPUs (default 2)' },
    user: { type: 'string', description: "The guest user given the VM's SSH key at boot (default root)" },
    detach: { type: 'boolean', short: 'd', description: 'Do not open SSH once it runs; print how to reach it' },
  },
  async run(ctx, values, positionals) {
    const request: LaunchVmRequest = {
      source: await sourceOf(ctx, positionals[0]),
      name: values.name as string | undefined,
      memoryMiB: numberOption(values.memory, '--memory'),
      cpus: numberOption(values.cpus, '--cpus'),
      sshUser: values.user as string | undefined,
    };
    const { vms, jobs } = openVms(ctx);
    const vm = await vms.create(request);
    if (!ctx.json) ctx.io.stderr.write(`Made VM ${vm.name} (${vm.id})\n`);
    const started = vms.start(vm.id);
    const job = await followJob(jobs, started.id, ctx.io, { json: ctx.json, interrupt: 'cancel' });
    if (job.status !== 'succeeded') return 1;
    const info = await vms.get(vm.id);
    if (ctx.json) return 0;
    if (values.detach !== true && ctx.io.stdout.isTTY && job.warnings.length === 0) return openSsh(info, []);
    ctx.io.stdout.write(describeVm(info));
    return 0;
  },
};

function numberOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new UsageError(`${name}: a whole number, not ${JSON.stringify(value)}`);
  return number;
}

/** A build id (or unique prefix) of the store, else a disk file. */
async function sourceOf(ctx: CliContext, given: string): Promise<LaunchVmRequest['source']> {
  const wanted = given.trim().toLowerCase();
  if (/^[0-9a-f]{1,12}$/.test(wanted) && !existsSync(resolve(ctx.io.cwd ?? process.cwd(), given))) {
    const { records } = await new BuildStore(ctx.storeDir).list();
    const matches = records.filter(record => record.id.startsWith(wanted));
    if (matches.length === 1 && isBuildId(matches[0].id)) return { buildId: matches[0].id };
    if (matches.length > 1)
      throw new UsageError(`BUILD-ID: ${given} names ${matches.length} builds; give more of the id`);
  }
  const path = resolve(ctx.io.cwd ?? process.cwd(), given);
  if (!existsSync(path)) {
    throw new UsageError(
      `BUILD-ID|DISK-PATH: ${given} is neither a disk build (see bootc-studio disk ls) nor a disk file`,
    );
  }
  return { diskPath: path };
}

export type { VmInfo };
