/**
 * The rpm-ostree side of the day-2 commands before anything reaches a VM: `vm reset` asks on a
 * terminal (no answer, nothing reset) and needs --yes elsewhere; `vm switch --signature` takes only
 * the choices there are. (Against a real VM: tests/integration/rpm-ostree.spec.ts.)
 */

import { PassThrough } from 'node:stream';

import { describe, expect, test } from 'vitest';

import { vmResetCommand, vmSwitchCommand } from '../../../src/cli/commands/vm-update';
import { runCli } from '../../../src/cli/run';

async function run(argv: string[], stdin?: NodeJS.ReadableStream & { isTTY?: boolean }) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    [...argv, '--store', '/nonexistent/bootc-studio-store'],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      stdin,
    },
    {
      commands: [vmResetCommand, vmSwitchCommand],
      version: '9.9.9',
      connect: async () => {
        throw new Error('no engine in this test');
      },
    },
  );
  return { code, stdout, stderr };
}

describe('vm reset', () => {
  test('off a terminal it needs --yes, saying what a reset drops', async () => {
    const { code, stderr } = await run(['vm', 'reset', 'my-vm']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--yes: Reset VM my-vm to its image: Its layered packages, overrides and removals are dropped\. Confirm with --yes/,
    );
  });

  test('on a terminal it asks; anything but yes resets nothing', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const running = run(['vm', 'reset', 'my-vm'], input);
    input.end('n\n');
    const { code, stderr } = await running;
    expect(code).toBe(1);
    expect(stderr).toMatch(/Reset VM my-vm to its image\? .* \[y\/N\] Nothing was reset\./);
  });

  test('on a terminal, yes goes on to the VM (here: there is none)', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const running = run(['vm', 'reset', 'my-vm'], input);
    input.end('yes\n');
    const { code, stderr } = await running;
    expect(stderr).not.toMatch(/Nothing was reset/);
    expect(stderr).toMatch(/VM: no VM named or with the id "my-vm"/);
    expect(code).toBe(2);
  });
});

test('vm switch --signature takes unverified, signed or remote:NAME only', async () => {
  const { code, stderr } = await run(['vm', 'switch', 'my-vm', 'quay.io/me/os:2', '--signature', 'trusted']);
  expect(code).toBe(2);
  expect(stderr).toMatch(
    /--signature: choose how the image is verified: unverified \(any image from the registry\), signed .*, or remote:NAME/,
  );
});
