/**
 * A second backend process for the concurrency spec (run with `node --import jiti/register`): makes
 * VM records from a build on a store, all at once, through the product's VmService, as the
 * extension does; prints their ids and names as JSON. Argv: STORE BUILD-ID COUNT.
 */

import { BuildStore } from '../../../src/builds/build-store';
import { JobRegistry } from '../../../src/jobs/job-registry';
import { buildDiskFinder } from '../../../src/vms/vm-build-disk';
import { VmService } from '../../../src/vms/vm-service';

async function main(): Promise<void> {
  const [store, buildId, count] = process.argv.slice(2);
  const vms = new VmService({
    storeDir: store,
    jobs: new JobRegistry(),
    buildDisk: buildDiskFinder(new BuildStore(store)),
  });
  const made = await Promise.all(
    Array.from({ length: Number(count) }, () => vms.create({ source: { buildId }, cpus: 1, memoryMiB: 256 })),
  );
  process.stdout.write(`${JSON.stringify(made.map(vm => ({ id: vm.id, name: vm.name })))}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
