import type { Day2Action, HostStatus } from './day2';

/**
 * What the webview may ask of day 2: a running VM's image status, read over SSH when asked, from
 * the tool that manages it (bootc, rpm-ostree, or `manager: 'none'`; it rejects, saying why, when
 * the VM is not running or cannot be logged in to), and the actions on it, each a
 * job of kind vm-update (see JobsApi) whose detail ends with the status read after it.
 */
export interface Day2Api {
  getVmStatus(vmId: string): Promise<HostStatus>;
  /** Checks, stages, applies, switches or rolls back; the job's id (a bad field is named at once). */
  runVmAction(vmId: string, action: Day2Action): Promise<string>;
  /**
   * Rebuild & update: builds the VM's image again from `source` (remembered for next time), pushes
   * it to the reference the VM tracks, upgrades and reboots the VM; one job of kind vm-update-loop.
   * A missing folder or Containerfile is refused with its field named (contextDir, containerfile).
   * Errors of `bootc container lint` in the new image stop it unless `ignoreLintErrors`. On an
   * rpm-ostree host, `applyLive` applies the update live instead of rebooting.
   */
  rebuildAndUpdateVm(
    vmId: string,
    source: { contextDir: string; containerfile?: string; ignoreLintErrors?: boolean; applyLive?: boolean },
  ): Promise<string>;
}
