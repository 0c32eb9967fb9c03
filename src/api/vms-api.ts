import type { ConsoleChunk, HypervisorChoice, LaunchVmRequest, TerminalChunk, VmInfo } from './vms';

/**
 * What the webview may ask of the VMs room. A start or stop answers with its job's id at once (a
 * job of kind vm-start or vm-stop, see JobsApi); the console is read by byte offset from the VM's
 * console log and written through its socket.
 */
export interface VmsApi {
  /** Every VM as it is now, newest first; records that could not be read are named in `problems`. */
  listVms(): Promise<{ vms: VmInfo[]; problems: { id: string; message: string }[] }>;
  /** Makes a VM (rejecting with the fields named) and starts it; its id and the start job's id. */
  launchVm(request: LaunchVmRequest): Promise<{ vmId: string; jobId: string }>;
  /**
   * Runs a bootc image as a new VM, one job (kind vm-run) of two steps: its disk (an earlier build
   * of the same image ID and settings, or one built now), then the VM, started. The job's id.
   */
  runImageAsVm(image: string, engineId?: string): Promise<string>;
  /** The hypervisors, and why this host cannot offer one. */
  listHypervisors(): Promise<HypervisorChoice[]>;
  /** Starts a stopped VM; the job's id. */
  startVm(vmId: string): Promise<string>;
  /** Stops a running VM cleanly; the job's id. */
  stopVm(vmId: string): Promise<string>;
  /** Stops it if it runs, then removes the VM and its files (never the built disk). */
  deleteVm(vmId: string): Promise<void>;
  /** Console output from byte `from` (negative: the last bytes, to restore a scrollback). */
  readVmConsole(vmId: string, from: number): Promise<ConsoleChunk>;
  /** Typed input for the console. */
  writeVmConsole(vmId: string, data: string): Promise<void>;
  /**
   * Logs into a running VM whose own key could not reach it (VMware Fusion, Hyper-V) with the password
   * of its SSH user, when an action or a terminal failed with code VM_PASSWORD_NEEDED. A password that
   * works is held in the backend's memory until the VM stops; a wrong one is refused on `password`.
   */
  logInToVm(vmId: string, password: string): Promise<VmInfo>;
  /** Opens an SSH shell into a running VM (its own key, its pinned host key) of that size; the terminal's id. */
  openVmTerminal(vmId: string, rows: number, cols: number): Promise<string>;
  /** The terminal's output from offset `from` (0 at first). A terminal unread for a minute is closed. */
  readVmTerminal(terminalId: string, from: number): Promise<TerminalChunk>;
  writeVmTerminal(terminalId: string, data: string): Promise<void>;
  resizeVmTerminal(terminalId: string, rows: number, cols: number): Promise<void>;
  closeVmTerminal(terminalId: string): Promise<void>;
}
