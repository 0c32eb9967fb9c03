/**
 * VM start overhead: from the start request (VmService.start, what the page's Start and `vm start`
 * call) to QEMU's process running (its pid file written and the process alive), guest boot excluded,
 * for a VM on a 128 MB and on a 4 GB disk (sparse qcow2 files made with qemu-img). Real QEMU, real
 * firmware; the guest has no system (the disk holds 2 MiB of filler), so the start job is stopped
 * once QEMU runs. Work that grows with the disk (a copy instead of an overlay) would show as a gap
 * between the two sizes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { JobRegistry } from '../../src/jobs/job-registry';
import { VmService } from '../../src/vms/vm-service';
import type { Spread } from './figures';
import { spread } from './figures';
import { makeQcow2 } from './stream-figures';

export const VM_DISK_SIZES = ['128M', '4G'] as const;

export interface VmStartResult {
  sizes: { size: string; start: Spread; acceleration?: string }[];
}

function running(pidFile: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function vmStartFigure(runs: number, qemuImg: string): Promise<VmStartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bootc-studio-bench-vm-'));
  const jobs = new JobRegistry();
  const vms = new VmService({
    storeDir: join(dir, 'store'),
    jobs,
    buildDisk: async () => {
      throw new Error('no builds here');
    },
    sshTimeoutMs: 1000,
    powerdownTimeoutMs: 1000,
  });
  try {
    const sizes: VmStartResult['sizes'] = [];
    for (const size of VM_DISK_SIZES) {
      const disk = join(dir, `disk-${size}.qcow2`);
      makeQcow2(qemuImg, disk, size);
      const samples: number[] = [];
      let acceleration: string | undefined;
      // One more than measured: the first start also warms the file cache (QEMU, firmware, libraries).
      for (let run = 0; run <= runs; run++) {
        const vm = await vms.create({ source: { diskPath: disk }, cpus: 1, memoryMiB: 256 });
        const pidFile = vms.store.pathsOf(vm.id).pidFile;
        const start = performance.now();
        const job = vms.start(vm.id);
        const deadline = start + 60_000;
        while (!running(pidFile)) {
          if (performance.now() > deadline)
            throw new Error(`QEMU did not run within 60 s: ${(await jobs.get(job.id)).error?.message}`);
          await sleep(2);
        }
        const elapsed = performance.now() - start;
        if (run > 0) samples.push(elapsed);
        await jobs.wait(job.id);
        acceleration = (await vms.get(vm.id)).acceleration;
        await vms.remove(vm.id);
      }
      sizes.push({ size, start: spread(samples), ...(acceleration ? { acceleration } : {}) });
    }
    return { sizes };
  } finally {
    const { vms: left } = await vms.list();
    await Promise.all(left.map(vm => vms.remove(vm.id).catch(() => undefined)));
    vms.dispose();
    jobs.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
