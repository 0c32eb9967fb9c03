/**
 * The first start of an installer ISO's VM: QEMU boots the ISO against the VM's new blank disk
 * with `-no-reboot`, so the installer's closing reboot (or power-off) ends QEMU; then the disk must
 * hold what the installer wrote. Cancelling ends QEMU (QMP `quit`, then SIGTERM) and leaves no
 * half-installed disk behind.
 */

import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';

import type { QemuLaunch } from './qemu-argv';
import { createBlankDisk, diskHasData } from './qemu-disk';
import { isAlive, startQemu, stopQemu } from './qemu-process';

export interface InstallOptions {
  /** The launch as the installed VM will boot; the installer ISO is added to it. */
  launch: QemuLaunch;
  iso: string;
  qemuImg: string;
  diskGiB: number;
  logFile: string;
  /** How long the installer may run. */
  timeoutMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** How often the installer's QEMU is looked at. Default 1 s. */
  pollMs?: number;
}

export interface InstallResult {
  acceleration: QemuLaunch['acceleration'];
  warnings: string[];
}

/** The last lines of the console, for a message about an installer that wrote nothing. */
async function consoleTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return stripVTControlCharacters(text)
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(Boolean)
    .slice(-5)
    .join('\n');
}

/** A QEMU an earlier, interrupted install left running on this VM's files. */
async function endLeftover(launch: QemuLaunch, log: (line: string) => void): Promise<void> {
  const pid = Number.parseInt(await readFile(launch.pidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`An earlier install of this VM was interrupted and its QEMU (pid ${pid}) still runs: ending it`);
  await stopQemu(pid, launch.qmpSocket, { powerdownTimeoutMs: 0, log });
}

export async function installFromIso(options: InstallOptions): Promise<InstallResult> {
  const { launch, log } = options;
  await endLeftover(launch, log);
  await createBlankDisk(options.qemuImg, launch.disk, options.diskGiB);
  log(
    `Booting the installer ${options.iso} against a new ${options.diskGiB} GiB disk; its console shows how far it is`,
  );
  const began = Date.now();
  let pid: number | undefined;
  try {
    const started = await startQemu({
      launch: { ...launch, installer: options.iso },
      logFile: options.logFile,
      signal: options.signal,
      log,
    });
    pid = started.pid;
    let lastNote = began;
    while (isAlive(pid)) {
      if (options.signal?.aborted) throw new Error('the install was cancelled');
      if (Date.now() - began > options.timeoutMs) {
        throw new Error(`the installer ran longer than ${Math.round(options.timeoutMs / 60_000)} minutes`);
      }
      if (Date.now() - lastNote >= 60_000) {
        lastNote = Date.now();
        log(`The installer runs (${Math.round((lastNote - began) / 60_000)} min)`);
      }
      await sleep(options.pollMs ?? 1000);
    }
    if (!(await diskHasData(options.qemuImg, launch.disk))) {
      const tail = await consoleTail(launch.consoleLog);
      throw new Error(
        `the installer ended without writing to the VM's disk${tail ? `; its console ended with:\n${tail}` : ': see its console'}`,
      );
    }
    log(`The installer ended after ${Math.round((Date.now() - began) / 1000)} s; the VM boots from its disk now`);
    return { acceleration: started.acceleration, warnings: started.warnings };
  } catch (error: unknown) {
    // No half-installed disk stays: the next start installs again from the beginning.
    if (pid !== undefined && isAlive(pid)) {
      log("Ending the installer's QEMU");
      await stopQemu(pid, launch.qmpSocket, { powerdownTimeoutMs: 0, log });
    }
    await rm(launch.disk, { force: true });
    const message = options.signal?.aborted ? 'the install was cancelled' : (error as Error).message;
    throw new Error(`${message}; the VM's disk was removed, and its next start installs again`, { cause: error });
  }
}
