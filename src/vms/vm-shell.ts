/**
 * An interactive shell in a running VM: SSH to its loopback port with its own key (or the user's
 * keys and typed password, vm-login.ts), its host key checked against the one pinned at its first
 * login after boot. What a terminal (Podman
 * Desktop's Terminal tab) needs: output as it comes, input, resizes, and one end.
 */

import type { ClientChannel } from 'ssh2';

import { VM_PASSWORD_NEEDED, type VmInfo } from '../api/vms';
import { connectWithKey, LoginRefusedError, openShell } from '../ssh/ssh-session';
import { vmSshTarget } from './vm-login';

export interface ShellCallbacks {
  data(text: string): void;
  /** `code` is VM_PASSWORD_NEEDED when a password would let us in. */
  error(message: string, code?: string): void;
  end(): void;
}

export interface VmShell {
  write(data: string | Uint8Array): void;
  resize(rows: number, cols: number): void;
  close(): void;
}

/** Opens the shell at once; its output, a failure (to connect, too) and its end come through `callbacks`. */
export function openVmShell(vm: VmInfo, callbacks: ShellCallbacks, size = { rows: 24, cols: 80 }): VmShell {
  let channel: ClientChannel | undefined;
  let closed = false;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    callbacks.end();
  };
  let pending: (string | Uint8Array)[] = [];
  let dimensions = size;
  let closeClient = () => undefined as void;

  void (async () => {
    if (vm.state !== 'running' || !vm.sshPort) throw new Error(`VM ${vm.name} is ${vm.state}: start it first`);
    const { client } = await connectWithKey(await vmSshTarget(vm));
    closeClient = () => client.end();
    if (closed) return client.end();
    channel = await openShell(client, dimensions.rows, dimensions.cols);
    channel.on('data', (chunk: Buffer) => callbacks.data(chunk.toString('utf8')));
    channel.stderr.on('data', (chunk: Buffer) => callbacks.data(chunk.toString('utf8')));
    channel.on('close', () => {
      client.end();
      end();
    });
    client.on('close', end);
    for (const data of pending) channel.write(data);
    pending = [];
  })().catch((error: unknown) => {
    const code = error instanceof LoginRefusedError && error.passwordWouldHelp ? VM_PASSWORD_NEEDED : undefined;
    callbacks.error(
      `Could not open a shell in ${vm.name}: ${error instanceof Error ? error.message : String(error)}`,
      code,
    );
    end();
  });

  return {
    write(data) {
      if (channel) channel.write(data);
      else pending.push(data);
    },
    resize(rows, cols) {
      dimensions = { rows, cols };
      channel?.setWindow(rows, cols, 0, 0);
    },
    close() {
      closed = true;
      channel?.close();
      closeClient();
    },
  };
}
