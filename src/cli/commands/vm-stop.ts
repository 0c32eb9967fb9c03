import type { CliCommand } from '../cli-context';
import { followJob } from '../job-follower';
import { openVms, resolveVm } from '../vms';

/** `bootc-studio vm stop VM…`: the power button, then QMP quit, then SIGTERM — never SIGKILL first. */
export const vmStopCommand: CliCommand = {
  name: 'vm stop',
  summary: 'Stop VMs cleanly (the guest powers off; QEMU is made to quit only if it does not)',
  usage: 'VM…',
  positionals: [1, 100],
  async run(ctx, _values, positionals) {
    const { vms, jobs } = openVms(ctx);
    const targets = [];
    for (const given of positionals) targets.push(await resolveVm(vms, given));
    let code = 0;
    // All at once: each guest takes its time to power off.
    const started = targets.map(vm => vms.stop(vm.id));
    for (const job of started) {
      const ended = await followJob(jobs, job.id, ctx.io, { json: ctx.json, interrupt: 'stop' });
      if (ended.status !== 'succeeded') code = 1;
    }
    return code;
  },
};
