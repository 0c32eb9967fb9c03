/**
 * The argv of each Hyper-V action: Windows PowerShell running Bootc Studio's fixed script
 * (hyperv-script.ts) with `-File`, each user value a separate argv entry in base64. No value is ever
 * put into PowerShell source (see hyperv-script.ts for why `-Command` and plain values are not
 * used). Values are checked here first; a refusal is a ValidationError naming the field.
 *
 * A Hyper-V VM writes to the disk it is given: pass the VM's own copy (converted or copied into its
 * folder), never the built disk. Generation 1 boots bootc-image-builder's fixed VHD (BIOS, IDE);
 * generation 2 (UEFI, SCSI) needs a VHDX — `convertVhdArgv` (Hyper-V's Convert-VHD) or
 * `qemuImgToVhdxArgv` makes one — and gets Secure Boot off.
 */

import { writeFile } from 'node:fs/promises';
import { join, win32 } from 'node:path';

import { ValidationError } from '../../api/validation';
import type { HypervAction } from './hyperv-script';
import { HYPERV_SCRIPT, HYPERV_SCRIPT_NAME } from './hyperv-script';

export interface HypervScriptRef {
  /** Where HYPERV_SCRIPT was written (writeHypervScript). */
  scriptPath: string;
  /** powershell.exe to run (windowsPowerShell() by default). */
  powershell?: string;
}

export type HypervGeneration = 1 | 2;

export interface NewVmInput {
  name: string;
  generation: HypervGeneration;
  memoryMiB: number;
  /** The VM's own disk: a .vhd for generation 1, a .vhdx for generation 2. */
  vhdPath: string;
  /** The virtual switch; Hyper-V's "Default Switch" (NAT) is the usual one. None: no network. */
  switchName?: string;
  /** Where Hyper-V keeps the VM's configuration (New-VM -Path); Hyper-V's default folder when absent. */
  vmFolder?: string;
}

/** Hyper-V's limits: names up to 100 characters, memory in multiples of 2 MiB, vCPUs per generation. */
export const HYPERV_LIMITS = {
  nameLength: 100,
  memoryMiB: { min: 256, max: 1024 * 1024 },
  cpus: { 1: 64, 2: 240 },
} as const;

/** Windows PowerShell 5.1 by its full path (no PATH lookup), from `SystemRoot`. */
export function windowsPowerShell(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(
    env.SystemRoot || env.windir || 'C:\\Windows',
    'System32',
    'WindowsPowerShell',
    'v1.0',
    'powershell.exe',
  );
}

/** Writes the fixed script into `dir` (replacing what was there) and resolves with its path. */
export async function writeHypervScript(dir: string): Promise<string> {
  const path = join(dir, HYPERV_SCRIPT_NAME);
  await writeFile(path, HYPERV_SCRIPT, { encoding: 'ascii' });
  return path;
}

/** A value as the script receives it: its UTF-8 bytes in base64. */
export function encodeHypervValue(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function textProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters`;
  if (CONTROL.test(value)) return 'must not contain a newline or other control character';
  return undefined;
}

function pathProblem(value: unknown, extensions?: string[]): string | undefined {
  const problem = textProblem(value, 32_767);
  if (problem) return problem;
  const path = value as string;
  if (!win32.isAbsolute(path) || /^[\\/](?![\\/])/.test(path)) return `must be an absolute Windows path: ${path}`;
  if (extensions && !extensions.some(ext => path.toLowerCase().endsWith(ext))) {
    return `must be a ${extensions.join(' or ')} file: ${path}`;
  }
  return undefined;
}

function refuse(fields: Record<string, string | undefined>): void {
  const errors = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([field, message]) => ({ field, message }));
  if (errors.length > 0) throw new ValidationError(errors);
}

function nameProblem(name: unknown): string | undefined {
  const problem = textProblem(name, HYPERV_LIMITS.nameLength);
  return problem && `the VM name ${problem}`;
}

/** `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File <script> -Action <action> …`. */
function scriptArgv(
  ref: HypervScriptRef,
  action: HypervAction,
  values: Record<string, string | undefined>,
  numbers: Record<string, number> = {},
): string[] {
  refuse({ scriptPath: pathProblem(ref.scriptPath, ['.ps1']) });
  const argv = [ref.powershell ?? windowsPowerShell(), '-NoProfile', '-NonInteractive'];
  argv.push('-ExecutionPolicy', 'Bypass', '-File', ref.scriptPath, '-Action', action);
  for (const [parameter, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') argv.push(`-${parameter}`, encodeHypervValue(value));
  }
  for (const [parameter, value] of Object.entries(numbers)) argv.push(`-${parameter}`, String(value));
  return argv;
}

/** New-VM with the disk (generation 1: .vhd, 2: .vhdx with Secure Boot off), static memory, a switch. */
export function newVmArgv(ref: HypervScriptRef, input: NewVmInput): string[] {
  const { memoryMiB, generation } = input;
  const mem = HYPERV_LIMITS.memoryMiB;
  refuse({
    name: nameProblem(input.name),
    generation:
      generation === 1 || generation === 2 ? undefined : 'the generation is 1 (a .vhd disk) or 2 (a .vhdx disk)',
    memoryMiB:
      Number.isInteger(memoryMiB) && memoryMiB >= mem.min && memoryMiB <= mem.max && memoryMiB % 2 === 0
        ? undefined
        : `memory for Hyper-V is a multiple of 2 MiB from ${mem.min} to ${mem.max} MiB`,
    vhdPath: pathProblem(input.vhdPath, generation === 2 ? ['.vhdx'] : generation === 1 ? ['.vhd'] : undefined),
    switchName: input.switchName === undefined ? undefined : textProblem(input.switchName, 256),
    vmFolder: input.vmFolder === undefined ? undefined : pathProblem(input.vmFolder),
  });
  return scriptArgv(
    ref,
    'new',
    { Name: input.name, VhdPath: input.vhdPath, SwitchName: input.switchName, VmFolder: input.vmFolder },
    { Generation: generation, MemoryMiB: memoryMiB },
  );
}

/** Set-VMProcessor -Count. */
export function setProcessorArgv(ref: HypervScriptRef, name: string, cpus: number, generation: HypervGeneration = 2) {
  const max = HYPERV_LIMITS.cpus[generation] ?? HYPERV_LIMITS.cpus[1];
  refuse({
    name: nameProblem(name),
    cpus:
      Number.isInteger(cpus) && cpus >= 1 && cpus <= max
        ? undefined
        : `CPUs for Hyper-V is a whole number from 1 to ${max}`,
  });
  return scriptArgv(ref, 'processor', { Name: name }, { Count: cpus });
}

const PIPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Set-VMComPort -Number 1 to the named pipe `\\.\pipe\<pipeName>` (the serial console). */
export function setComPortArgv(ref: HypervScriptRef, name: string, pipeName: string): string[] {
  refuse({
    name: nameProblem(name),
    pipeName: PIPE_NAME.test(pipeName) ? undefined : 'a pipe name is letters, digits, dots, dashes or underscores',
  });
  return scriptArgv(ref, 'comport', { Name: name, PipeName: pipeName });
}

export function startVmArgv(ref: HypervScriptRef, name: string): string[] {
  refuse({ name: nameProblem(name) });
  return scriptArgv(ref, 'start', { Name: name });
}

/** Stop-VM: `shutdown` asks the guest (Hyper-V's shutdown integration service); `turnoff` cuts power. */
export function stopVmArgv(ref: HypervScriptRef, name: string, mode: 'shutdown' | 'turnoff'): string[] {
  refuse({
    name: nameProblem(name),
    mode: mode === 'shutdown' || mode === 'turnoff' ? undefined : 'shutdown or turnoff',
  });
  const argv = scriptArgv(ref, 'stop', { Name: name });
  return [...argv, '-Mode', mode];
}

/** Remove-VM (turned off first); the disk files stay, for the caller to delete. */
export function removeVmArgv(ref: HypervScriptRef, name: string): string[] {
  refuse({ name: nameProblem(name) });
  return scriptArgv(ref, 'remove', { Name: name });
}

/** Get-VM as a JSON array (hyperv-parse.ts): the VM of that exact name (none: `[]`), or every VM. */
export function getVmArgv(ref: HypervScriptRef, name?: string): string[] {
  if (name !== undefined) refuse({ name: nameProblem(name) });
  return scriptArgv(ref, 'get', { Name: name });
}

/** Convert-VHD from bootc-image-builder's fixed .vhd to a dynamic .vhdx for generation 2. */
export function convertVhdArgv(ref: HypervScriptRef, source: string, destination: string): string[] {
  refuse({ source: pathProblem(source, ['.vhd', '.vhdx']), destination: pathProblem(destination, ['.vhdx']) });
  return scriptArgv(ref, 'convert', { VhdPath: source, Destination: destination });
}

/** The formats qemu-img converts to a VHDX here: bootc-image-builder's vhd (`vpc`), qcow2, raw and vmdk. */
export type QemuImgSourceFormat = 'vpc' | 'qcow2' | 'raw' | 'vmdk';

/**
 * The same conversion with qemu-img (no Hyper-V module needed): `-f <format> -O vhdx -o
 * subformat=dynamic`; a `vpc` source is a .vhd file, the others any file qemu-img read as that format.
 */
export function qemuImgToVhdxArgv(
  qemuImg: string,
  source: string,
  destination: string,
  format: QemuImgSourceFormat = 'vpc',
): string[] {
  refuse({
    source: pathProblem(source, format === 'vpc' ? ['.vhd'] : undefined),
    destination: pathProblem(destination, ['.vhdx']),
    format: ['vpc', 'qcow2', 'raw', 'vmdk'].includes(format) ? undefined : 'a vpc, qcow2, raw or vmdk disk',
  });
  return [qemuImg, 'convert', '-p', '-f', format, '-O', 'vhdx', '-o', 'subformat=dynamic', source, destination];
}
