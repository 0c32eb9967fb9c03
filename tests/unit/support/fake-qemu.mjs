#!/usr/bin/env node
// A stand-in for qemu-system-*: what the VM code sees of QEMU's process and QMP, without a guest.
// `-accel kvm` with FAKE_QEMU_KVM=die fails as a KVM that cannot run the firmware does; with
// FAKE_QEMU_KVM=internal-error it stays up with the guest stopped in that state. Otherwise it
// serves QMP on the `-qmp unix:PATH,…` socket: query-status, system_powerdown (exits after
// FAKE_QEMU_POWERDOWN_MS unless FAKE_QEMU_IGNORE_POWERDOWN is set), quit. Every command is
// appended to FAKE_QEMU_TRACE when set.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

const argv = process.argv.slice(2);
const value = flag => argv[argv.indexOf(flag) + 1];
const accel = value('-accel') ?? '';
const trace = line => process.env.FAKE_QEMU_TRACE && appendFileSync(process.env.FAKE_QEMU_TRACE, `${line}\n`);
trace(`start ${accel}`);
if (accel.startsWith('kvm') && process.env.FAKE_QEMU_KVM === 'die') {
  process.stderr.write('KVM internal error. Suberror: 1\nemulation failure\n');
  process.exit(1);
}
const status = accel.startsWith('kvm') && process.env.FAKE_QEMU_KVM === 'internal-error' ? 'internal-error' : 'running';
const qmpPath = value('-qmp')
  .replace(/^unix:/, '')
  .split(',')[0];
if (value('-pidfile')) writeFileSync(value('-pidfile'), `${process.pid}\n`);
process.on('SIGTERM', () => {
  trace('SIGTERM');
  process.exit(143);
});
createServer(socket => {
  socket.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
  let buffer = '';
  socket.on('data', chunk => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const { execute } = JSON.parse(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      trace(execute);
      if (execute === 'query-status')
        socket.write(`{"return": {"status": "${status}", "running": ${status === 'running'}}}\r\n`);
      else socket.write('{"return": {}}\r\n');
      if (execute === 'system_powerdown') {
        socket.write('{"event": "POWERDOWN", "timestamp": {}}\r\n');
        if (!process.env.FAKE_QEMU_IGNORE_POWERDOWN)
          setTimeout(() => process.exit(0), Number(process.env.FAKE_QEMU_POWERDOWN_MS ?? 100));
      }
      if (execute === 'quit') setTimeout(() => process.exit(0), 50);
    }
  });
}).listen(qmpPath);
