/**
 * The VMs in Podman Desktop's Resources, through the built extension on the Podman Desktop API
 * stand-in, with real QEMU: the "Bootc Studio VMs" provider and its Create form (audited as typed)
 * make and boot a VM from a finished build; its connection's lifecycle stops, starts and deletes
 * the real VM; its shell access is a real SSH shell into it; a VM made elsewhere (the CLI's service
 * on the same store) appears, and disappears when removed. These machines need TCG.
 */

import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { JobRegistry } from '../../src/jobs/job-registry';
import type { ResourceConnection, ResourcesEvent } from '../../src/standalone/standalone-providers';
import { buildDiskFinder } from '../../src/vms/vm-build-disk';
import { VmService } from '../../src/vms/vm-service';
import { BuildStore } from '../../src/builds/build-store';
import { startExtension, waitFor, type ExtensionDriver } from './support/extension-driver';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import { buildTestDisk, recordTestDiskBuild } from './support/test-disk';

const BUILD_ID = 'c0ffee000001';

describe('VMs in Resources (Podman Desktop API stand-in, real QEMU)', () => {
  let podman: PodmanService;
  let driver: ExtensionDriver;
  let store: string;
  let disks: Record<'qcow2' | 'raw' | 'vmdk', string>;
  const events: ResourcesEvent[] = [];
  const reply = (event: ResourcesEvent) => events.push(event);

  const provider = () => driver.providers.summary().find(candidate => candidate.name === 'Bootc Studio VMs');
  const connection = (name: string): ResourceConnection | undefined =>
    provider()?.connections.find(candidate => candidate.name === name);
  const done = (action: string, from: number) =>
    waitFor(() => events.slice(from).find(event => event.type === 'resource-done' && event.action === action), 240_000);

  beforeAll(async () => {
    podman = await startPodmanService();
    driver = await startExtension(podman);
    store = join(podman.dir, 'store');
    disks = await recordTestDiskBuild(await buildTestDisk(), store, join(podman.dir, 'output'), BUILD_ID);
  }, 180_000);

  afterAll(async () => {
    // Whatever a failed test left running is stopped before the store goes.
    const vms = new VmService({
      storeDir: store,
      jobs: new JobRegistry(),
      buildDisk: buildDiskFinder(new BuildStore(store)),
    });
    for (const vm of (await vms.list().catch(() => ({ vms: [] }))).vms) await vms.remove(vm.id).catch(() => undefined);
    driver?.stop();
    await podman?.stop();
  }, 120_000);

  test('the provider is registered with a Create form whose fields come from the manifest, audited as typed', async () => {
    expect(provider()).toMatchObject({
      id: 'bootc-studio-vms',
      status: 'ready',
      connections: [],
      create: { title: 'Create VM' },
    });
    expect(driver.providers.snapshot().fields.map(field => field.id)).toEqual([
      'bootc-studio.factory.vm.source',
      'bootc-studio.factory.vm.name',
      'bootc-studio.factory.vm.memory',
      'bootc-studio.factory.vm.cpus',
      'bootc-studio.factory.vm.hypervisor',
      'bootc-studio.factory.vm.diskSize',
      'bootc-studio.factory.vm.cloudInit',
    ]);
    const providerId = provider()!.id;
    await driver.providers.handle(
      { type: 'resource-audit', providerId, params: { 'bootc-studio.factory.vm.memory': 12 } },
      reply,
    );
    const audit = events.filter(event => event.type === 'resource-audit').at(-1) as Extract<
      ResourcesEvent,
      { type: 'resource-audit' }
    >;
    expect(audit.records.map(record => record.type)).toEqual(['error', 'error']);
    expect(audit.records.map(record => record.record).join(' ')).toMatch(
      /Disk image: .*Memory: a whole number of MiB from 256/,
    );
  });

  test('Create makes and boots a VM from the build; its connection runs, and its shell is a real SSH shell', async () => {
    const from = events.length;
    await driver.providers.handle(
      {
        type: 'resource-create',
        providerId: 'bootc-studio-vms',
        params: {
          'bootc-studio.factory.vm.source': BUILD_ID,
          'bootc-studio.factory.vm.name': 'from-resources',
          'bootc-studio.factory.vm.memory': 384,
          'bootc-studio.factory.vm.cpus': 1,
        },
      },
      reply,
    );
    const created = await done('create', from);
    expect(created).toMatchObject({ type: 'resource-done', action: 'create' });
    expect((created as { error?: string }).error).toBeUndefined();
    // The creation log shows the start's own lines.
    expect(
      events.slice(from).some(event => event.type === 'resource-log' && /SSH on 127\.0\.0\.1:/.test(event.line)),
    ).toBe(true);
    expect(
      await waitFor(() => connection('from-resources')?.status === 'started' && connection('from-resources')),
    ).toMatchObject({ shell: true });

    const shellFrom = events.length;
    await driver.providers.handle(
      { type: 'shell-open', connectionId: connection('from-resources')!.id, sessionId: 's1' },
      reply,
    );
    await driver.providers.handle({ type: 'shell-input', sessionId: 's1', data: 'echo shell-$((40+2))\r' }, reply);
    await waitFor(
      () =>
        events
          .slice(shellFrom)
          .filter(event => event.type === 'shell-data')
          .map(event => (event as { data: string }).data)
          .join('')
          .includes('shell-42'),
      60_000,
    );
    await driver.providers.handle({ type: 'shell-close', sessionId: 's1' }, reply);
  }, 300_000);

  test('lifecycle stop and start act on the real VM', async () => {
    const id = connection('from-resources')!.id;
    let from = events.length;
    await driver.providers.handle({ type: 'resource-action', connectionId: id, action: 'stop' }, reply);
    expect((await done('stop', from)) as { error?: string }).not.toHaveProperty('error');
    expect(connection('from-resources')?.status).toBe('stopped');
    from = events.length;
    await driver.providers.handle({ type: 'resource-action', connectionId: id, action: 'start' }, reply);
    expect((await done('start', from)) as { error?: string }).not.toHaveProperty('error');
    expect(connection('from-resources')?.status).toBe('started');
  }, 300_000);

  test('a VM made on the same store elsewhere (the CLI) appears, and goes when removed; delete removes the VM', async () => {
    const cli = new VmService({
      storeDir: store,
      jobs: new JobRegistry(),
      buildDisk: buildDiskFinder(new BuildStore(store)),
    });
    const vm = await cli.create({ source: { diskPath: disks.raw }, name: 'from-cli' });
    expect(await waitFor(() => connection('from-cli'), 15_000)).toMatchObject({ status: 'stopped' });
    await cli.remove(vm.id);
    await waitFor(() => !connection('from-cli') && true, 15_000);

    const from = events.length;
    await driver.providers.handle(
      { type: 'resource-action', connectionId: connection('from-resources')!.id, action: 'delete' },
      reply,
    );
    expect((await done('delete', from)) as { error?: string }).not.toHaveProperty('error');
    expect(provider()?.connections).toEqual([]);
    expect((await cli.list()).vms).toEqual([]);
  }, 120_000);
});
