import type { VmInfo } from '../../api/vms';
import { connectWithKey, execOverSsh, HostKeyChangedError, type KeySshTarget } from '../../ssh/ssh-session';
import { openVmShell } from '../../vms/vm-shell';
import type { CliCommand, CliIo } from '../cli-context';
import { openVms, resolveVm, type CliVms } from '../vms';

/**
 * `bootc-studio vm ssh VM [-- COMMAND…]`: SSH into the VM — ssh2 in this process, no ssh binary —
 * with its own key, or where its hypervisor could not give it one at boot (VMware Fusion, Hyper-V)
 * with the user's keys and agent, else the password typed at the prompt; its host key checked
 * against the one pinned at boot. With a COMMAND, it runs there (its output here, its exit status
 * ours); without, an interactive shell on this terminal (raw mode, resized with it).
 */
export const vmSshCommand: CliCommand = {
  name: 'vm ssh',
  summary: 'Open SSH into a running VM (or run COMMAND there); its host key is checked',
  usage: 'VM [-- COMMAND…]',
  positionals: [1, 1000],
  async run(ctx, _values, positionals) {
    const cli = openVms(ctx);
    const vm = await resolveVm(cli.vms, positionals[0]);
    if (vm.state !== 'running' || !vm.sshPort) {
      ctx.io.stderr.write(`bootc-studio: VM ${vm.name} is ${vm.state}; start it: bootc-studio vm start ${vm.name}\n`);
      return 1;
    }
    return openSsh(cli, vm, positionals.slice(1), ctx.io);
  },
};

/** SSH into the VM on this terminal (or COMMAND there); the exit status. */
export async function openSsh(cli: CliVms, vm: VmInfo, command: string[], io: CliIo): Promise<number> {
  try {
    // Asks for the password first when only that gets in; the shell then finds it remembered.
    const target = await cli.sshTarget(vm);
    return command.length > 0 ? await runRemote(target, command, io) : await interactiveShell(vm, io);
  } catch (error: unknown) {
    const why =
      error instanceof HostKeyChangedError ? `${error.message}; refusing to log in` : (error as Error).message;
    io.stderr.write(`bootc-studio: cannot reach VM ${vm.name}: ${why}\n`);
    return 1;
  }
}

async function runRemote(target: KeySshTarget, command: string[], io: CliIo): Promise<number> {
  const { client } = await connectWithKey(target);
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
