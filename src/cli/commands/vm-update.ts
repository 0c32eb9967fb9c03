import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';

import type { Day2Action, Day2Detail, SignatureChoice, UpdateLoopDetail } from '../../api/day2';
import { SIGNATURE_CHOICE } from '../../api/day2';
import { ValidationError } from '../../api/validation';
import type { CliCommand, CliContext } from '../cli-context';
import { UsageError } from '../cli-context';
import { describeStatus, openDay2 } from '../day2';
import { ImageOperations } from '../../images/image-operations';
import { SIGNATURE_HELP } from '../../day2/rpm-ostree-actions';
import { checkDay2Action } from '../../day2/day2-service';
import { checkUpdateLoopRequest, startUpdateLoop } from '../../day2/update-loop';
import { followJob } from '../job-follower';
import { openVms, resolveVm } from '../vms';

/** The argument each field of an action comes from. */
const ARGUMENTS: Record<string, string> = { image: 'REF', action: 'ACTION', signature: '--signature' };

/** Runs a day-2 action on the VM as a job, followed; the status it ends with is printed. */
async function runAction(ctx: CliContext, given: string, action: Day2Action): Promise<number> {
  const cli = openVms(ctx);
  const vm = await resolveVm(cli.vms, given);
  const job = usageOf(() => openDay2(cli).run(vm.id, action));
  const ended = await followJob(cli.jobs, job.id, ctx.io, { json: ctx.json, interrupt: 'cancel' });
  const status = (ended.detail as Day2Detail | undefined)?.status;
  if (!ctx.json && ended.status === 'succeeded' && status) ctx.io.stdout.write(describeStatus(status));
  return ended.status === 'succeeded' ? 0 : 1;
}

/** What `run` returns; a ValidationError it throws becomes bad input naming the arguments. */
function usageOf<T>(run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    if (error instanceof ValidationError) {
      throw new UsageError(
        error.errors.map(({ field, message }) => `${ARGUMENTS[field] ?? field}: ${message}`).join('; '),
      );
    }
    throw error;
  }
}

const apply = {
  type: 'boolean',
  description: 'Reboot into it now, then wait for the VM to answer again',
} as const;

/** `bootc-studio vm upgrade VM [--check|--apply]`. */
export const vmUpgradeCommand: CliCommand = {
  name: 'vm upgrade',
  summary: 'Update a running VM to the newest push of the image it tracks (bootc upgrade, rpm-ostree upgrade)',
  usage: 'VM',
  positionals: [1, 1],
  options: {
    check: { type: 'boolean', description: 'Only look for an update (nothing is downloaded or staged)' },
    apply,
  },
  async run(ctx, values, positionals) {
    if (values.check === true && values.apply === true) throw new UsageError('--check and --apply: choose one');
    return runAction(
      ctx,
      positionals[0],
      values.check === true ? { kind: 'check' } : { kind: 'upgrade', apply: values.apply === true },
    );
  },
};

/** `bootc-studio vm switch VM REF [--apply] [--signature unverified|signed|remote:NAME]`. */
export const vmSwitchCommand: CliCommand = {
  name: 'vm switch',
  summary: 'Make a running VM follow another image and stage it (bootc switch, rpm-ostree rebase)',
  usage: 'VM REF',
  positionals: [2, 2],
  options: {
    apply,
    signature: {
      type: 'string',
      description:
        "How the image is verified (rpm-ostree hosts must say): unverified, signed (the host's containers policy) or remote:NAME (the keys of ostree remote NAME)",
    },
  },
  async run(ctx, values, positionals) {
    const signature = typeof values.signature === 'string' ? values.signature : undefined;
    const image = positionals[1];
    if (signature !== undefined && !SIGNATURE_CHOICE.test(signature)) {
      throw new UsageError(`--signature: ${SIGNATURE_HELP}`);
    }
    // REF is checked before the VM is asked anything.
    usageOf(() => checkDay2Action({ kind: 'switch', image, apply: false }));
    if (signature === undefined && !image.startsWith('ostree-')) {
      // rpm-ostree never guesses how to verify: ask which tool manages the VM before anything runs.
      const cli = openVms(ctx);
      const vm = await resolveVm(cli.vms, positionals[0]);
      const status = await openDay2(cli).status(vm.id);
      if (status.manager === 'rpm-ostree') {
        throw new UsageError(
          `--signature: VM ${vm.name} is managed by rpm-ostree, which does not guess how to verify ${image}: ${SIGNATURE_HELP}`,
        );
      }
    }
    return runAction(ctx, positionals[0], {
      kind: 'switch',
      image,
      apply: values.apply === true,
      ...(signature ? { signature: signature as SignatureChoice } : {}),
    });
  },
};

/** `bootc-studio vm rollback VM [--apply]`. */
export const vmRollbackCommand: CliCommand = {
  name: 'vm rollback',
  summary: 'Boot the previous deployment of a running VM at its next reboot (bootc rollback, rpm-ostree rollback)',
  usage: 'VM',
  positionals: [1, 1],
  options: { apply },
  async run(ctx, values, positionals) {
    return runAction(ctx, positionals[0], { kind: 'rollback', apply: values.apply === true });
  },
};

/** `bootc-studio vm apply-live VM`: rpm-ostree applies the pending deployment to the running system. */
export const vmApplyLiveCommand: CliCommand = {
  name: 'vm apply-live',
  summary:
    "Apply a running VM's pending deployment to the running system without a reboot (rpm-ostree apply-live; rpm-ostree hosts)",
  usage: 'VM',
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    return runAction(ctx, positionals[0], { kind: 'apply-live' });
  },
};

/** Asks on the terminal; false unless the answer is yes. */
async function confirmOnTerminal(ctx: CliContext, question: string): Promise<boolean> {
  const input = ctx.io.stdin as NodeJS.ReadableStream;
  const reader = createInterface({ input, output: ctx.io.stderr as NodeJS.WritableStream, terminal: false });
  try {
    return /^y(es)?$/i.test((await reader.question(`${question} [y/N] `)).trim());
  } finally {
    reader.close();
  }
}

/** `bootc-studio vm reset VM [--yes] [--apply]`: rpm-ostree back to the plain image. */
export const vmResetCommand: CliCommand = {
  name: 'vm reset',
  summary:
    'Reset a running VM to its image: drop its layered packages, overrides and removals (rpm-ostree reset; rpm-ostree hosts)',
  usage: 'VM',
  positionals: [1, 1],
  options: {
    yes: { type: 'boolean', short: 'y', description: 'Do not ask: the layered packages are dropped' },
    apply,
  },
  async run(ctx, values, positionals) {
    if (values.yes !== true) {
      const question = `Reset VM ${positionals[0]} to its image? Its layered packages, overrides and removals are dropped.`;
      if (ctx.io.stdin?.isTTY !== true) {
        throw new UsageError(`--yes: ${question.replace('?', ':')} Confirm with --yes`);
      }
      if (!(await confirmOnTerminal(ctx, question))) {
        ctx.io.stderr.write('Nothing was reset.\n');
        return 1;
      }
    }
    return runAction(ctx, positionals[0], { kind: 'reset', apply: values.apply === true });
  },
};

/** `bootc-studio vm rebuild VM [DIR] [-f FILE]`: the update loop — build, push, upgrade, reboot, check. */
export const vmRebuildCommand: CliCommand = {
  name: 'vm rebuild',
  summary:
    "Rebuild a running VM's image from its Containerfile folder, push it to the reference the VM tracks, then upgrade and reboot the VM into it",
  usage: 'VM [DIR]',
  positionals: [1, 2],
  options: {
    file: {
      type: 'string',
      short: 'f',
      description: 'The Containerfile, relative to DIR (default Containerfile, then Dockerfile)',
    },
    'skip-lint': { type: 'boolean', description: 'Go on when bootc container lint finds errors in the new image' },
    'apply-live': {
      type: 'boolean',
      description: 'rpm-ostree hosts: apply the update to the running system instead of rebooting',
    },
  },
  async run(ctx, values, positionals) {
    const cli = openVms(ctx);
    const vm = await resolveVm(cli.vms, positionals[0]);
    const contextDir = resolve(ctx.io.cwd ?? process.cwd(), positionals[1] ?? '.');
    const request = await checkUpdateLoopRequest({
      vmId: vm.id,
      contextDir,
      ...(typeof values.file === 'string' ? { containerfile: values.file } : {}),
      ...(values['skip-lint'] === true ? { ignoreLintErrors: true } : {}),
      ...(values['apply-live'] === true ? { applyLive: true } : {}),
    }).catch((error: unknown) => {
      if (error instanceof ValidationError) {
        const flags: Record<string, string> = { contextDir: 'DIR', containerfile: '--file' };
        throw new UsageError(
          error.errors.map(({ field, message }) => `${flags[field] ?? field}: ${message}`).join('; '),
        );
      }
      throw error;
    });
    const engine = await ctx.engine();
    const job = startUpdateLoop(
      { engine, operations: new ImageOperations(), jobs: cli.jobs, vms: cli.vms, day2: openDay2(cli) },
      request,
    );
    const ended = await followJob(cli.jobs, job.id, ctx.io, { json: ctx.json, interrupt: 'cancel' });
    const detail = ended.detail as UpdateLoopDetail | undefined;
    if (ended.status === 'failed' && /cannot pull from/.test(ended.error?.message ?? '')) {
      ctx.io.stderr.write(
        `Switch the VM to a pushed reference first: bootc-studio vm switch ${vm.name} REGISTRY/NAME:TAG\n`,
      );
    }
    if (!ctx.json && ended.status === 'succeeded' && detail?.status) ctx.io.stdout.write(describeStatus(detail.status));
    return ended.status === 'succeeded' ? 0 : 1;
  },
};
