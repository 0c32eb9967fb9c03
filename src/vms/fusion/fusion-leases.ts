/**
 * The address Fusion's NAT network (vmnet8) gave a VM, from its DHCP server's lease file — the way
 * to a guest without VMware Tools (open-vm-tools), where `vmrun getGuestIPAddress` has no answer.
 * The file is in ISC dhcpd's format: `lease 172.16.1.5 { starts 4 2026/12/03 09:30:00; ends 4
 * 2026/12/03 10:00:00; hardware ethernet 00:0c:29:ab:cd:ef; … }`, times in UTC, a new lease
 * appended after the older ones.
 */

/** Where Fusion's vmnet8 DHCP server keeps its leases on macOS. */
export const FUSION_VMNET8_LEASES = '/var/db/vmware/vmnet-dhcpd-vmnet8.leases';

export interface DhcpLease {
  ip: string;
  /** The client's MAC address, lower case, two hex digits a byte (`00:0c:29:ab:cd:ef`). */
  mac?: string;
  starts?: Date;
  ends?: Date;
  /** `binding state` when the server writes one (`active`, `free`, …). */
  bindingState?: string;
  /** The lease's position in the file: a later one is newer. */
  index: number;
}

/** A MAC address in one spelling (`00:0c:29:ab:cd:ef`), or undefined when `text` isn't one. */
export function normalizeMac(text: string): string | undefined {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || !parts.every(part => /^[0-9A-Fa-f]{1,2}$/.test(part))) return undefined;
  return parts.map(part => part.toLowerCase().padStart(2, '0')).join(':');
}

/**
 * `4 2026/12/03 10:00:00` (weekday, date, UTC time) or `epoch 1796292000` as a Date; undefined for
 * `never` or nonsense.
 */
function parseLeaseTime(words: string[]): Date | undefined {
  if (words[0] === 'epoch') {
    const seconds = Number(words[1]);
    return Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
  }
  const [date, time] = words.length >= 3 ? words.slice(1) : words;
  const match = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(date ?? '');
  const clock = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(time ?? '');
  if (!match || !clock) return undefined;
  const [year, month, day] = match.slice(1).map(Number);
  const [hours, minutes, seconds] = clock.slice(1).map(Number);
  const when = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds));
  return Number.isNaN(when.getTime()) ? undefined : when;
}

/** The statements of a lease's body, split at `;` outside double quotes. */
function statements(body: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of body) {
    if (char === '"') quoted = !quoted;
    if (char === ';' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out.filter(Boolean);
}

/** The line up to a `#` outside double quotes (ISC writes e.g. `starts epoch 1796292000; # Thu …`). */
function withoutComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

/** Every lease in the file's text, in file order; comments and other declarations are skipped. */
export function parseDhcpLeases(text: string): DhcpLease[] {
  const withoutComments = text.split(/\r?\n/).map(withoutComment).join('\n');
  const leases: DhcpLease[] = [];
  const block = /\blease\s+(\d{1,3}(?:\.\d{1,3}){3})\s*\{([^}]*)\}/g;
  for (const match of withoutComments.matchAll(block)) {
    const lease: DhcpLease = { ip: match[1], index: leases.length };
    for (const statement of statements(match[2])) {
      const words = statement.split(/\s+/);
      const [first, second] = words;
      if (first === 'hardware' && second === 'ethernet' && words[2]) {
        lease.mac = normalizeMac(words[2]);
      } else if (first === 'starts') {
        lease.starts = parseLeaseTime(words.slice(1));
      } else if (first === 'ends') {
        lease.ends = parseLeaseTime(words.slice(1));
      } else if (first === 'binding' && second === 'state' && words[2]) {
        lease.bindingState = words[2].toLowerCase();
      }
    }
    leases.push(lease);
  }
  return leases;
}

const INACTIVE = new Set(['free', 'abandoned', 'released', 'expired', 'backup']);

function timeOf(lease: DhcpLease): number {
  return (lease.starts ?? lease.ends)?.getTime() ?? Number.NEGATIVE_INFINITY;
}

/**
 * The newest lease for `mac` (compared in any case and spelling): the latest start (else end),
 * then the later in the file. Leases the server marks free, released or abandoned don't count.
 */
export function newestLeaseFor(leases: readonly DhcpLease[], mac: string): DhcpLease | undefined {
  const wanted = normalizeMac(mac);
  if (!wanted) return undefined;
  let best: DhcpLease | undefined;
  for (const lease of leases) {
    if (lease.mac !== wanted || (lease.bindingState && INACTIVE.has(lease.bindingState))) continue;
    if (!best || timeOf(lease) > timeOf(best) || (timeOf(lease) === timeOf(best) && lease.index > best.index)) {
      best = lease;
    }
  }
  return best;
}

/** The address the lease file's text gives `mac` most recently, or undefined. */
export function leasedAddressFor(leasesText: string, mac: string): string | undefined {
  return newestLeaseFor(parseDhcpLeases(leasesText), mac)?.ip;
}
