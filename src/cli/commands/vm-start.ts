import type { CliCommand } from '../cli-context';
import { followJob } from '../job-follower';
import { describeVm, openVms, resolveVm } from '../vms';

/** `bootc-studio vm start VM`: boots a stopped VM again (its overlay disk keeps what it wrote). */
export const vmStartCommand: CliCommand = {
  name: 'vm start',
  summary: 'Start a stopped VM; its disk keeps what it wrote before',
  usage: 'VM',
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    const { vms, jobs } = openVms(ctx);
    const vm = await resolveVm(vms, positionals[0]);
    const job = await followJob(jobs, vms.start(vm.id).id, ctx.io, { json: ctx.json, interrupt: 'cancel' });
    if (job.status !== 'succeeded') return 1;
    if (!ctx.json) ctx.io.stdout.write(describeVm(await vms.get(vm.id)));
    return 0;
  },
};
