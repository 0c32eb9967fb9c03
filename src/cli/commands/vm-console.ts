import { connect } from 'node:net';

import { readConsole } from '../../vms/vm-console';
import type { CliCommand } from '../cli-context';
import { openVms, resolveVm } from '../vms';

/** Detaches when typed at the start of a line, as ssh's escape does. */
const DETACH = '~.';

/**
 * `bootc-studio vm console VM`: this terminal on the VM's serial console (the last of its output
 * first, for context); `~.` at the start of a line detaches. Input that is not a terminal is sent
 * as it is, and the console is left two seconds after it ends.
 */
export const vmConsoleCommand: CliCommand = {
  name: 'vm console',
  summary: "Attach this terminal to a running VM's serial console (~. detaches)",
  usage: 'VM',
  positionals: [1, 1],
  async run(ctx, _values, positionals) {
    const { vms } = openVms(ctx);
    const vm = await resolveVm(vms, positionals[0]);
    if (vm.state !== 'running') {
      ctx.io.stderr.write(`bootc-studio: VM ${vm.name} is ${vm.state}; start it: bootc-studio vm start ${vm.name}\n`);
      return 1;
    }
    const paths = vms.store.pathsOf(vm.id);
    const recent = await readConsole(paths.consoleLog, -2000);
    ctx.io.stdout.write(recent.data);
    ctx.io.stderr.write(`\r\n[Attached to the console of ${vm.name}; type ~. at the start of a line to detach]\r\n`);
    const socket = connect(paths.consoleSocket);
    const stdin = ctx.io.stdin;
    const tty = stdin?.isTTY === true;
    return new Promise<number>(resolvePromise => {
      let atLineStart = true;
      let pendingTilde = false;
      let done = false;
      const finish = (code: number, note: string) => {
        if (done) return;
        done = true;
        if (tty) stdin?.setRawMode?.(false);
        stdin?.removeListener('data', onData);
        stdin?.pause();
        socket.destroy();
        ctx.io.stderr.write(`\r\n[${note}]\r\n`);
        resolvePromise(code);
      };
      const onData = (chunk: Buffer | string) => {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        let out = '';
        for (const char of text) {
          if (pendingTilde) {
            pendingTilde = false;
            if (char === '.') return finish(0, 'Detached');
            out += '~';
          }
          if (atLineStart && char === DETACH[0]) {
            pendingTilde = true;
            continue;
          }
          out += char;
          atLineStart = char === '\r' || char === '\n';
        }
        if (out) socket.write(out);
      };
      socket.on('data', chunk => ctx.io.stdout.write(chunk.toString('utf8')));
      socket.on('error', error => finish(1, `The console closed: ${error.message}`));
      socket.on('close', () => finish(0, 'The VM closed its console (it stopped?)'));
      if (stdin) {
        if (tty) stdin.setRawMode?.(true);
        stdin.on('data', onData);
        stdin.on('end', () => setTimeout(() => finish(0, 'Input ended; detached'), 2000));
        stdin.resume();
      }
    });
  },
};
