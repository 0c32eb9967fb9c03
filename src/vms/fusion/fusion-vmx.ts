/**
 * The .vmx file VMware Fusion boots a built disk from, and reading a value back out of one (Fusion
 * writes `ethernet0.generatedAddress` into it at the first power-on).
 *
 * On Apple Silicon Fusion runs only arm64 guests; an amd64 disk there is refused (QEMU's emulation
 * boots it). The disk is on NVMe, the firmware EFI (bootc's arm64 disks need UEFI; its x86_64 disks
 * boot from either), the network NAT on vmnet8 with an address Fusion generates, the serial port a
 * log file. `msg.autoAnswer` and `uuid.action = "create"` keep Fusion from stopping on a question
 * (e.g. "was this VM moved or copied?") that nobody would see in a headless start.
 *
 * A .vmx value is a double-quoted string with no escape our writer needs: a name or path holding a
 * `"`, a `|` (VMware's own escape character) or a control character (a newline would start a new
 * key) is refused rather than escaped.
 */

import { ValidationError } from '../../api/validation';

export type FusionGuestArch = 'amd64' | 'arm64';
export type FusionHostArch = 'arm64' | 'x64';
export type FusionNic = 'e1000e' | 'vmxnet3';

export interface VmxInput {
  /** Shown in Fusion's library (`displayName`). */
  name: string;
  guestArch: FusionGuestArch;
  hostArch: FusionHostArch;
  memoryMiB: number;
  cpus: number;
  /** The VM's monolithicSparse vmdk: absolute, or relative to the .vmx's folder. */
  diskFile: string;
  /** Where Fusion writes the serial console (absolute). */
  serialLogPath: string;
  /** The virtual NIC; e1000e unless told (Linux drives both with in-kernel drivers). */
  network?: FusionNic;
  /** Fusion's guest OS id; `arm-fedora-64` for arm64 guests, `fedora-64` for amd64, unless told. */
  guestOs?: string;
}

/**
 * The virtual hardware version written: 20 is what Fusion 13.0 and later power on (21 needs 13.5).
 * A version newer than the installed Fusion knows would not power on at all.
 */
export const VMX_HARDWARE_VERSION = 20;

/** Fusion's limits per VM (Fusion 13: 32 vCPUs, 128 GiB); VMware wants memory in multiples of 4 MiB. */
export const FUSION_LIMITS = { memoryMiB: { min: 256, max: 128 * 1024 }, cpus: { min: 1, max: 32 } } as const;

const DEFAULT_GUEST_OS: Record<FusionGuestArch, string> = { arm64: 'arm-fedora-64', amd64: 'fedora-64' };
const GUEST_OS_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const NICS: readonly string[] = ['e1000e', 'vmxnet3'];

/** Why `value` can't be a .vmx string, or undefined when it can. */
function vmxStringProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must not be empty';
  if (value.includes('"')) return 'must not contain a double quote (")';
  if (value.includes('|')) return 'must not contain a | (VMware’s escape character in .vmx files)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain a newline or other control character';
  return undefined;
}

function checkInput(input: VmxInput): void {
  const fields: Record<string, string> = {};
  for (const key of ['name', 'diskFile', 'serialLogPath'] as const) {
    const problem = vmxStringProblem(input[key]);
    if (problem) fields[key] = `${key} ${problem}`;
  }
  if (input.guestArch !== 'amd64' && input.guestArch !== 'arm64') {
    fields.guestArch = 'the guest architecture is amd64 or arm64';
  } else if (input.hostArch !== 'arm64' && input.hostArch !== 'x64') {
    fields.hostArch = 'the host architecture is arm64 or x64';
  } else if (input.hostArch === 'arm64' && input.guestArch === 'amd64') {
    fields.guestArch =
      'VMware Fusion on Apple Silicon runs only arm64 guests: boot this amd64 disk with QEMU (emulated), or build an arm64 disk';
  } else if (input.hostArch === 'x64' && input.guestArch === 'arm64') {
    fields.guestArch = 'VMware Fusion on an Intel Mac runs only x86_64 guests: boot this arm64 disk with QEMU';
  }
  const { memoryMiB, cpus } = input;
  const mem = FUSION_LIMITS.memoryMiB;
  if (!(Number.isInteger(memoryMiB) && memoryMiB >= mem.min && memoryMiB <= mem.max && memoryMiB % 4 === 0)) {
    fields.memoryMiB = `memory for VMware Fusion is a multiple of 4 MiB from ${mem.min} to ${mem.max} MiB`;
  }
  const cpu = FUSION_LIMITS.cpus;
  if (!(Number.isInteger(cpus) && cpus >= cpu.min && cpus <= cpu.max)) {
    fields.cpus = `CPUs for VMware Fusion is a whole number from ${cpu.min} to ${cpu.max}`;
  }
  if (input.network !== undefined && !NICS.includes(input.network)) {
    fields.network = 'the network adapter is e1000e or vmxnet3';
  }
  if (input.guestOs !== undefined && !GUEST_OS_ID.test(input.guestOs)) {
    fields.guestOs = 'the guest OS is a Fusion guestOS id such as arm-fedora-64 or arm-rhel9-64';
  }
  const errors = Object.entries(fields).map(([field, message]) => ({ field, message }));
  if (errors.length > 0) throw new ValidationError(errors);
}

/** The .vmx text (UTF-8, one `key = "value"` a line); throws a ValidationError naming each bad field. */
export function renderVmx(input: VmxInput): string {
  checkInput(input);
  const entries: [string, string][] = [
    ['.encoding', 'UTF-8'],
    ['config.version', '8'],
    ['virtualHW.version', String(VMX_HARDWARE_VERSION)],
    ['virtualHW.productCompatibility', 'hosted'],
    ['displayName', input.name],
    ['guestOS', input.guestOs ?? DEFAULT_GUEST_OS[input.guestArch]],
    ['firmware', 'efi'],
    ['numvcpus', String(input.cpus)],
    ['memsize', String(input.memoryMiB)],
    ['nvme0.present', 'TRUE'],
    ['nvme0:0.present', 'TRUE'],
    ['nvme0:0.fileName', input.diskFile],
    ['ethernet0.present', 'TRUE'],
    ['ethernet0.connectionType', 'nat'],
    ['ethernet0.addressType', 'generated'],
    ['ethernet0.virtualDev', input.network ?? 'e1000e'],
    ['pciBridge0.present', 'TRUE'],
  ];
  for (const bridge of [4, 5, 6, 7]) {
    entries.push(
      [`pciBridge${bridge}.present`, 'TRUE'],
      [`pciBridge${bridge}.virtualDev`, 'pcieRootPort'],
      [`pciBridge${bridge}.functions`, '8'],
    );
  }
  entries.push(
    ['vmci0.present', 'TRUE'],
    ['usb.present', 'TRUE'],
    ['ehci.present', 'TRUE'],
    ['usb_xhci.present', 'TRUE'],
    ['floppy0.present', 'FALSE'],
    ['sound.present', 'FALSE'],
    ['serial0.present', 'TRUE'],
    ['serial0.fileType', 'file'],
    ['serial0.fileName', input.serialLogPath],
    ['msg.autoAnswer', 'TRUE'],
    ['uuid.action', 'create'],
  );
  return entries.map(([key, value]) => `${key} = "${value}"\n`).join('');
}

/** `|xx` (two hex digits) is how VMware writes a character it escapes in a .vmx value, e.g. `|22` for `"`. */
function unescapeVmx(value: string): string {
  return value.replace(/\|([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The value of `key` in a .vmx text (keys compare case-insensitively, as VMware's do; the last of
 * repeated keys wins), unquoted and unescaped; undefined when it is not there.
 */
export function readVmxValue(text: string, key: string): string | undefined {
  const wanted = key.trim().toLowerCase();
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0 || line.slice(0, eq).trim().toLowerCase() !== wanted) continue;
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      const end = value.indexOf('"', 1);
      value = end < 0 ? value.slice(1) : value.slice(1, end);
    }
    found = unescapeVmx(value);
  }
  return found;
}
