import { dirname } from 'node:path';
import { readFile } from 'node:fs/promises';

import type { VmInfo } from '../../api/vms';
import { findExecutable } from '../../platform/executables';
import { runProcess } from '../../platform/process';
import { connectWithKey, execOverSsh, HostKeyChangedError } from '../../ssh/ssh-session';
import { openVmShell } from '../../vms/vm-shell';
import { sshArgv } from '../../vms/vm-request';
import type { CliCommand, CliIo } from '../cli-context';
import { openVms, resolveVm } from '../vms';

/**
 * `bootc-studio vm ssh VM [-- COMMAND…]`: SSH into the VM with its own key, its host key checked
 * against the one pinned at boot — ssh2 in this process, no ssh binary. With a COMMAND, it runs
 * there (its output here, its exit status ours); without, an interactive shell on this terminal
 * (raw mode, resized with it). A VM whose hypervisor could not give it a key at boot (VMware
 * Fusion) is reached with the OpenSSH client and the user's own keys, as the image was built.
 */
export const vmSshCommand: CliCommand = {
  name: 'vm ssh',
  summary: 'Open SSH into a running VM (or run COMMAND there): its own key, its pinned host key',
  usage: 'VM [-- COMMAND…]',
  positionals: [1, 1000],
  async run(ctx, _values, positionals) {
    const { vms } = openVms(ctx);
    const vm = await resolveVm(vms, positionals[0]);
    if (vm.state !== 'running' || !vm.sshPort) {
      ctx.io.stderr.write(`bootc-studio: VM ${vm.name} is ${vm.state}; start it: bootc-studio vm start ${vm.name}\n`);
      return 1;
    }
    return openSsh(vm, positionals.slice(1), ctx.io);
  },
};

/** SSH into the VM on this terminal (or COMMAND there); the exit status. */
export async function openSsh(vm: VmInfo, command: string[], io: CliIo): Promise<number> {
  if (vm.hypervisor !== 'qemu') return openSshWithUserKeys(vm, command, io);
  try {
    return command.length > 0 ? await runRemote(vm, command, io) : await interactiveShell(vm, io);
  } catch (error: unknown) {
    const why =
      error instanceof HostKeyChangedError ? `${error.message}; refusing to log in` : (error as Error).message;
    io.stderr.write(`bootc-studio: cannot reach VM ${vm.name}: ${why}\n`);
    return 1;
  }
}

async function runRemote(vm: VmInfo, command: string[], io: CliIo): Promise<number> {
  const { client } = await connectWithKey({
    host: vm.sshHost ?? '127.0.0.1',
    port: vm.sshPort as number,
    user: vm.sshUser,
    privateKey: await readFile(vm.sshKeyPath),
    hostKeyFingerprint: vm.hostKeyFingerprint,
  });
  try {
    // As OpenSSH does: the words are joined into one command line for the remote shell.
    const result = await execOverSsh(client, command.join(' '), {
      onStdout: text => io.stdout.write(text),
      onStderr: text => io.stderr.write(text),
    });
    return result.code;
  } finally {
    client.end();
  }
}

function interactiveShell(vm: VmInfo, io: CliIo): Promise<number> {
  const stdin = io.stdin;
  const tty = stdin?.isTTY === true;
  const out = io.stdout as NodeJS.WritableStream & {
    columns?: number;
    rows?: number;
    on?(e: 'resize', l: () => void): unknown;
  };
  const size = () => ({ rows: out.rows ?? 24, cols: out.columns ?? 80 });
  return new Promise<number>(resolvePromise => {
    let failed = false;
    const shell = openVmShell(
      vm,
      {
        data: text => io.stdout.write(text),
        error: message => {
          failed = true;
          io.stderr.write(`bootc-studio: ${message}\n`);
        },
        end: () => {
          if (tty) stdin?.setRawMode?.(false);
          stdin?.removeListener('data', onData);
          stdin?.pause();
          process.stdout.removeListener('resize', onResize);
          resolvePromise(failed ? 1 : 0);
        },
      },
      size(),
    );
    const onData = (chunk: Buffer | string) => shell.write(chunk);
    const onResize = () => {
      const { rows, cols } = size();
      shell.resize(rows, cols);
    };
    if (out === process.stdout) process.stdout.on('resize', onResize);
    if (stdin) {
      if (tty) stdin.setRawMode?.(true);
      stdin.on('data', onData);
      stdin.on('end', () => shell.write('exit\n'));
      stdin.resume();
    }
  });
}

/** The OpenSSH client with the user's keys and agent (the image carries the user's key). */
async function openSshWithUserKeys(vm: VmInfo, command: string[], io: CliIo): Promise<number> {
  const ssh = findExecutable('ssh');
  if (!ssh) {
    io.stderr.write(
      `bootc-studio: VM ${vm.name} is reached with your own key (its hypervisor cannot give it one at boot), through the OpenSSH client, which is not installed\n`,
    );
    return 1;
  }
  const [, ...args] = sshArgv(vm, { key: vm.sshKeyPath, dir: dirname(vm.sshKeyPath) }, command, false);
  return (await runProcess([ssh, ...args], { interactive: true })).code;
}
