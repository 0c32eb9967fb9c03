/**
 * Making a rootless podman machine rootful from the build form: asked first, then stop / set
 * --rootful / start as one task with the machine's provider; a failing step is named with podman's words.
 */

import { describe, expect, test, vi } from 'vitest';

import { MAKE_ROOTFUL, makeMachineRootful, type MachineFixHost } from '../../../src/pd/machine-fix';

function host(answer: string | undefined, failOn?: string) {
  const execs: { command: string; args: string[]; env: Record<string, string> }[] = [];
  const reports: { message?: string; increment?: number }[] = [];
  const titles: string[] = [];
  const fake: MachineFixHost = {
    exec: async (command, args, options) => {
      execs.push({ command, args, env: options.env });
      if (failOn && args.includes(failOn)) {
        throw Object.assign(new Error('Command failed'), { stderr: 'Error: machine is busy\n' });
      }
    },
    withProgress: (async (
      options: { title?: string },
      task: (progress: unknown, token: unknown) => Promise<unknown>,
    ) => {
      titles.push(options.title ?? '');
      return task({ report: (value: { message?: string; increment?: number }) => reports.push(value) }, undefined);
    }) as unknown as MachineFixHost['withProgress'],
    taskWidget: () => 2 as never,
    showWarningMessage: vi.fn(async () => answer),
  };
  return { fake, execs, reports, titles };
}

const MACHINE = { name: 'podman-machine-default', vmType: 'applehv' };

describe('makeMachineRootful', () => {
  test('agreed: stop, set --rootful, start — with the machine provider — as one task', async () => {
    const { fake, execs, reports, titles } = host(MAKE_ROOTFUL);
    expect(await makeMachineRootful(fake, MACHINE)).toBe(true);
    expect(execs).toEqual([
      {
        command: 'podman',
        args: ['machine', 'stop', 'podman-machine-default'],
        env: { CONTAINERS_MACHINE_PROVIDER: 'applehv' },
      },
      {
        command: 'podman',
        args: ['machine', 'set', '--rootful', 'podman-machine-default'],
        env: { CONTAINERS_MACHINE_PROVIDER: 'applehv' },
      },
      {
        command: 'podman',
        args: ['machine', 'start', 'podman-machine-default'],
        env: { CONTAINERS_MACHINE_PROVIDER: 'applehv' },
      },
    ]);
    expect(titles).toEqual(['Making podman machine podman-machine-default rootful']);
    expect(reports.at(-1)).toEqual({ increment: 100 });
    expect(vi.mocked(fake.showWarningMessage).mock.calls[0][0]).toMatch(/its containers stop too/);
  });

  test('declined: nothing runs', async () => {
    const { fake, execs } = host('Cancel');
    expect(await makeMachineRootful(fake, MACHINE)).toBe(false);
    expect(execs).toEqual([]);
  });

  test('a failing step stops there and is named with podman’s message', async () => {
    const { fake, execs } = host(MAKE_ROOTFUL, '--rootful');
    await expect(makeMachineRootful(fake, MACHINE)).rejects.toThrow(
      'podman machine set --rootful podman-machine-default failed: Error: machine is busy',
    );
    expect(execs.map(exec => exec.args[1])).toEqual(['stop', 'set']);
  });
});
