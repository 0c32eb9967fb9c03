/**
 * The VM side of the crash specs, by the test's own hand (not through the product): which QEMU
 * processes run a VM (from /proc: its `-name bootc-studio-<id>`), and whether a QMP socket greets.
 */

import { readdir, readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';

/** Pids of the QEMU processes whose command line names the VM `id`. */
export async function qemuPidsOf(id: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = argv.split('\0');
    if (!args[0]?.includes('qemu-system')) continue;
    if (args.some(arg => arg === `bootc-studio-${id}` || arg.startsWith(`guest=bootc-studio-${id}`))) {
      // A zombie (exited, not yet reaped) runs nothing.
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      if (/\) Z /.test(stat)) continue;
      pids.push(Number(entry));
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Whether a QMP server greets on `socket` (its `{"QMP": …}` line) within a few seconds. */
export function qmpGreets(socket: string): Promise<boolean> {
  return new Promise(resolve => {
    const connection = createConnection(socket);
    let text = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      connection.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 5000);
    connection.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done(/"QMP"\s*:/.test(text));
    });
    connection.on('error', () => done(false));
    connection.on('close', () => done(/"QMP"\s*:/.test(text)));
  });
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
