/**
 * What Hyper-V answered: the VMs the script's `get` action printed (JSON), their states in our
 * words, and its failures as messages that say what to do — Hyper-V not turned on, or the user not
 * allowed to manage it.
 */

import { HYPERV_EXIT } from './hyperv-script';

export type HypervVmState = 'running' | 'stopped' | 'starting' | 'stopping' | 'unknown';

export interface HypervVm {
  name: string;
  id?: string;
  state: HypervVmState;
  /** Hyper-V's own word for the state (`Running`, `Off`, `Saved`, …), or its number. */
  hypervState: string;
  generation?: number;
  cpus?: number;
  memoryMiB?: number;
  uptimeSeconds?: number;
  /** What the guest's integration services report (needs Hyper-V's KVP daemon in the guest). */
  ipAddresses: string[];
}

/** Hyper-V's VMState numbers (Microsoft.HyperV.PowerShell.VMState), for JSON that carries them. */
const STATE_NUMBERS: Record<number, string> = {
  1: 'Other',
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
  32781: 'ForceShutdown',
  32782: 'ForceReboot',
};

const STATES: Record<string, HypervVmState> = {
  running: 'running',
  off: 'stopped',
  // A saved or hibernated VM runs nothing; Start-VM resumes it.
  saved: 'stopped',
  fastsaved: 'stopped',
  hibernated: 'stopped',
  starting: 'starting',
  resuming: 'starting',
  reset: 'starting',
  forcereboot: 'starting',
  stopping: 'stopping',
  saving: 'stopping',
  fastsaving: 'stopping',
  pausing: 'stopping',
  forceshutdown: 'stopping',
};

/** Hyper-V's word (or number) for a state, in ours; `…Critical` states count as their base state. */
export function hypervStateOf(value: unknown): HypervVmState {
  const word = typeof value === 'number' ? STATE_NUMBERS[value] : typeof value === 'string' ? value : undefined;
  if (!word) return 'unknown';
  const key = word
    .trim()
    .toLowerCase()
    .replace(/critical$/, '');
  return STATES[key] ?? 'unknown';
}

/**
 * ConvertTo-Json's arrays as an array: Windows PowerShell 5.1 may write one as
 * `{"value": […], "Count": n}`, one object alone, or null for none.
 */
function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined || value === '') return [];
  if (typeof value === 'object' && Array.isArray((value as { value?: unknown }).value)) {
    return (value as { value: unknown[] }).value;
  }
  return [value];
}

const numberOf = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The VMs in the `get` action's JSON; throws when it is not JSON or names no VM. */
export function parseGetVmJson(stdout: string): HypervVm[] {
  const text = stdout.replace(/^\uFEFF/, '').trim();
  if (text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`Hyper-V's VM list is not JSON: ${text.slice(0, 200)}`);
  }
  return asArray(parsed).map(item => {
    const row = (item ?? {}) as Record<string, unknown>;
    if (typeof row.Name !== 'string')
      throw new Error(`Hyper-V's VM list has a VM without a name: ${JSON.stringify(item)}`);
    const memory = numberOf(row.MemoryStartup);
    return {
      name: row.Name,
      id: typeof row.Id === 'string' ? row.Id : undefined,
      state: hypervStateOf(row.State),
      hypervState: typeof row.State === 'number' ? (STATE_NUMBERS[row.State] ?? String(row.State)) : String(row.State),
      generation: numberOf(row.Generation),
      cpus: numberOf(row.ProcessorCount),
      memoryMiB: memory === undefined ? undefined : Math.round(memory / (1024 * 1024)),
      uptimeSeconds: numberOf(row.UptimeSeconds),
      ipAddresses: asArray(row.IPAddresses).filter((address): address is string => typeof address === 'string'),
    };
  });
}

export type HypervErrorKind = 'not-enabled' | 'no-rights' | 'not-found' | 'exists' | 'execution-policy' | 'failed';

export class HypervError extends Error {
  constructor(
    readonly kind: HypervErrorKind,
    message: string,
    /** What PowerShell printed, for the log. */
    readonly detail = '',
  ) {
    super(message);
    this.name = 'HypervError';
  }
}

export const HYPERV_MESSAGES = {
  notEnabled:
    'Hyper-V is not enabled on this computer. Turn it on in "Turn Windows features on or off" (Hyper-V, with its ' +
    'PowerShell module), or as administrator run `Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All`, ' +
    'then restart Windows. Windows Home editions have no Hyper-V: use QEMU there.',
  noRights:
    'You are not allowed to manage Hyper-V. Add your account to the "Hyper-V Administrators" group (as administrator: ' +
    '`Add-LocalGroupMember -Group "Hyper-V Administrators" -Member $env:USERNAME`), then sign out and in again.',
  executionPolicy:
    'Windows blocks Bootc Studio’s PowerShell script: a group policy sets a PowerShell execution policy that ' +
    '-ExecutionPolicy Bypass cannot override. Ask your administrator to allow local scripts (RemoteSigned).',
} as const;

const NOT_ENABLED = [
  /is not recognized as (?:the )?name of a cmdlet/i,
  /is not recognized as a cmdlet/i,
  /module '?Hyper-V'? was not loaded/i,
  /CommandNotFoundException/,
  /Hyper-V (?:role|feature|platform) is not (?:installed|enabled)/i,
  /Virtual Machine Management service (?:is not running|is not available|could not be reached)/i,
  /hypervisor is not running/i,
  /could not access an expected WMI class/i,
];
const NO_RIGHTS = [
  /do(?:es)? not have the required permission/i,
  /access (?:is )?denied/i,
  /\bPermissionDenied\b/,
  /\bUnauthorizedAccess/,
  /authorization policy/i,
];

/** The first lines of what PowerShell printed, without our `bootc-studio-error:` marker. */
function excerpt(text: string): string {
  return text
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('bootc-studio-error:'))
    .slice(0, 3)
    .join(' ');
}

/**
 * The HypervError for a failed run of the script (`action` says what was being done, e.g.
 * "start the VM web"); undefined when it exited 0.
 */
export function hypervErrorOf(
  result: { code: number; stdout?: string; stderr?: string },
  action: string,
): HypervError | undefined {
  if (result.code === 0) return undefined;
  const text = `${result.stderr ?? ''}\n${result.stdout ?? ''}`.trim();
  const detail = text.slice(0, 4000);
  if (result.code === HYPERV_EXIT.moduleMissing || NOT_ENABLED.some(pattern => pattern.test(text))) {
    return new HypervError('not-enabled', HYPERV_MESSAGES.notEnabled, detail);
  }
  // Before the rights: a blocked script's error id is `UnauthorizedAccess` too.
  if (/running scripts is disabled on this system|execution[ _]polic/i.test(text)) {
    return new HypervError('execution-policy', HYPERV_MESSAGES.executionPolicy, detail);
  }
  if (NO_RIGHTS.some(pattern => pattern.test(text))) {
    return new HypervError('no-rights', HYPERV_MESSAGES.noRights, detail);
  }
  if (result.code === HYPERV_EXIT.notFound || /unable to find a virtual machine/i.test(text)) {
    return new HypervError('not-found', `could not ${action}: ${excerpt(text) || 'no such Hyper-V VM'}`, detail);
  }
  if (result.code === HYPERV_EXIT.exists) {
    return new HypervError('exists', `could not ${action}: ${excerpt(text)}`, detail);
  }
  const why = excerpt(text) || `powershell.exe exited with ${result.code}`;
  return new HypervError('failed', `could not ${action}: ${why}`, detail);
}
