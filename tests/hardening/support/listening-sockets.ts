/**
 * The listening sockets of a set of processes, read from /proc as `ss -lntpx` would: TCP (v4 and
 * v6) in state LISTEN from /proc/<pid>/net/tcp{,6}, UNIX sockets with SO_ACCEPTCON from
 * /proc/<pid>/net/unix, each tied to its process through the `socket:[inode]` links of /proc/<pid>/fd.
 */

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  pid: number;
  /** The process's argv[0] and first arguments, for messages. */
  command: string;
  kind: 'tcp' | 'tcp6' | 'unix';
  inode: number;
  /** tcp: the address it listens on (`127.0.0.1`, `0.0.0.0`, `::`…). */
  address?: string;
  port?: number;
  /** unix: the path (`@name` for an abstract socket, '' for an unnamed one). */
  path?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function commandOf(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).slice(0, 6).join(' ');
}

/** Every process's parent, from /proc/<pid>/stat. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    // The command (2nd field) is in parentheses and may hold spaces: the ppid is the 2nd field after ')'.
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
    if (Number.isInteger(ppid)) map.set(Number(name), ppid);
  }
  return map;
}

/** `root` and all its descendants. */
export function processTree(root: number): number[] {
  const parentOf = parents();
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/** Processes whose command line mentions `text` (e.g. a test's private dir: a QEMU that outlived its parent). */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter(name => /^\d+$/.test(name) && Number(name) !== process.pid)
    .map(Number)
    .filter(pid => (readText(`/proc/${pid}/cmdline`) ?? '').includes(text));
}

function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: number[] = [];
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(Number(match[1]));
    } catch {
      // closed in between
    }
  }
  return inodes;
}

/** A /proc/net/tcp address: `0100007F:1F90` → 127.0.0.1, 8080 (each 32-bit word little-endian). */
export function parseProcAddress(hex: string): { address: string; port: number } {
  const [ip, port] = hex.split(':');
  const words = ip.match(/.{8}/g) ?? [];
  const bytes = words.flatMap(word => (word.match(/../g) ?? []).reverse().map(byte => parseInt(byte, 16)));
  let address: string;
  if (bytes.length === 4) address = bytes.join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
    address = groups.join(':');
    if (address === '0:0:0:0:0:0:0:0') address = '::';
    else if (address === '0:0:0:0:0:0:0:1') address = '::1';
    else if (address.startsWith('0:0:0:0:0:ffff:')) address = `::ffff:${bytes.slice(12).join('.')}`;
  }
  return { address, port: parseInt(port, 16) };
}

interface NetEntry {
  kind: ListeningSocket['kind'];
  address?: string;
  port?: number;
  path?: string;
}

/** The listening sockets of the network namespace `pid` is in, by inode. */
function listeningInNamespaceOf(pid: number): Map<number, NetEntry> {
  const entries = new Map<number, NetEntry>();
  for (const kind of ['tcp', 'tcp6'] as const) {
    const lines = (readText(`/proc/${pid}/net/${kind}`) ?? '').split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue; // 0A: TCP_LISTEN
      entries.set(Number(fields[9]), { kind, ...parseProcAddress(fields[1]) });
    }
  }
  const unix = (readText(`/proc/${pid}/net/unix`) ?? '').split('\n').slice(1);
  for (const line of unix) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 7) continue;
    const flags = parseInt(fields[3], 16);
    if ((flags & 0x10000) === 0) continue; // __SO_ACCEPTCON: a listening socket
    entries.set(Number(fields[6]), { kind: 'unix', path: fields.slice(7).join(' ') });
  }
  return entries;
}

/** The listening sockets held by `pids`. */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const found: ListeningSocket[] = [];
  const seen = new Set<string>();
  for (const pid of pids) {
    const inodes = socketInodes(pid);
    if (inodes.length === 0) continue;
    const table = listeningInNamespaceOf(pid);
    for (const inode of inodes) {
      const entry = table.get(inode);
      if (!entry || seen.has(`${pid}:${inode}`)) continue;
      seen.add(`${pid}:${inode}`);
      found.push({ pid, command: commandOf(pid), inode, ...entry });
    }
  }
  return found;
}
