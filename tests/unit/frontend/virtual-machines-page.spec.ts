/**
 * The Virtual Machines page and a VM's console page, on the fake bridge: the list with each VM's
 * state, SSH address and actions; start, stop and delete calling the backend; Launch VM from a
 * build with fields checked as typed and the backend's refusal shown on its field; the console
 * restoring its scrollback, following new output and sending typed input through the bridge.
 */

import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { ROUTES } from '../../../src/api/routes';
import type { VmInfo } from '../../../src/api/vms';
import VirtualMachinesPage from '../../../frontend/pages/VirtualMachinesPage.svelte';
import VmDetailsPage from '../../../frontend/pages/VmDetailsPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { fakeRpc, refusal } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

function vm(overrides: Partial<VmInfo> = {}): VmInfo {
  return {
    id: 'a1b2c3d4e5f6',
    name: 'tiny-os-1',
    source: {
      kind: 'build',
      buildId: 'b01dc0ffee42',
      diskPath: '/out/qcow2/disk.qcow2',
      imageRef: 'quay.io/me/tiny-os:1',
    },
    hypervisor: 'qemu',
    architecture: 'amd64',
    memoryMiB: 2048,
    cpus: 2,
    sshUser: 'root',
    state: 'running',
    sshPort: 40022,
    acceleration: 'tcg',
    created: Date.now() - 60_000,
    started: Date.now() - 30_000,
    uptimeMs: 30_000,
    warnings: [],
    sshKeyPath: '/store/vms/a1b2c3d4e5f6/id_rsa',
    sshCommand: 'ssh -i /store/vms/a1b2c3d4e5f6/id_rsa -p 40022 root@127.0.0.1',
    ...overrides,
  };
}

beforeEach(() => {
  fakeRpc.reset();
  router.route = ROUTES.virtualMachines;
});

describe('Virtual Machines page', () => {
  test('lists each VM with its state, source, SSH address and uptime', async () => {
    fakeRpc.api.listVms.mockResolvedValue({
      vms: [
        vm(),
        vm({
          id: 'ffffffffffff',
          name: 'old',
          state: 'stopped',
          sshCommand: undefined,
          uptimeMs: undefined,
          lastError: 'The VM’s QEMU process ended without being stopped',
        }),
      ],
      problems: [],
    });
    render(VirtualMachinesPage);
    const table = await screen.findByRole('table', { name: 'Virtual machines' });
    const running = within(table).getByRole('row', { name: 'VM tiny-os-1' });
    expect(within(running).getByLabelText('State')).toHaveTextContent('Running');
    expect(running).toHaveTextContent('quay.io/me/tiny-os:1');
    expect(running).toHaveTextContent('root@127.0.0.1:40022');
    expect(running).toHaveTextContent('30s');
    expect(running).toHaveTextContent('emulated');
    const stopped = within(table).getByRole('row', { name: 'VM old' });
    expect(within(stopped).getByLabelText('State')).toHaveTextContent('Stopped');
    expect(stopped).toHaveTextContent('ended without being stopped');
    expect(within(stopped).getByRole('button', { name: 'Copy SSH command of old' })).toHaveAttribute(
      'aria-disabled',
      'true',
    );
  });

  test('start, stop and delete call the backend; the console opens its page', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listVms.mockResolvedValue({
      vms: [vm(), vm({ id: 'ffffffffffff', name: 'old', state: 'stopped' })],
      problems: [],
    });
    fakeRpc.api.stopVm.mockResolvedValue('job-stop');
    fakeRpc.api.startVm.mockResolvedValue('job-start');
    fakeRpc.api.deleteVm.mockResolvedValue();
    render(VirtualMachinesPage);
    await user.click(await screen.findByRole('button', { name: 'Stop tiny-os-1' }));
    expect(fakeRpc.api.stopVm).toHaveBeenCalledWith('a1b2c3d4e5f6');
    await user.click(screen.getByRole('button', { name: 'Start old' }));
    expect(fakeRpc.api.startVm).toHaveBeenCalledWith('ffffffffffff');

    await user.click(screen.getByRole('button', { name: 'Delete old' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('The built disk it boots from stays');
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(fakeRpc.api.deleteVm).toHaveBeenCalledWith('ffffffffffff');

    await user.click(screen.getByRole('button', { name: 'Console of tiny-os-1' }));
    expect(router.route).toBe(`${ROUTES.vmDetails}?vm=a1b2c3d4e5f6`);
  });

  test('an empty list says how to make a VM', async () => {
    render(VirtualMachinesPage);
    expect(await screen.findByText('No virtual machines yet')).toBeInTheDocument();
  });

  test('Launch VM for a build: fields checked as typed, the backend’s refusal on its field, then launched', async () => {
    const user = userEvent.setup();
    router.route = `${ROUTES.virtualMachines}?launch=b01dc0ffee42`;
    render(VirtualMachinesPage);
    const dialog = await screen.findByRole('dialog');
    // Only what this host offers can be chosen; the others say why not.
    const hypervisor = await within(dialog).findByRole('combobox', { name: 'Hypervisor' });
    expect(within(hypervisor).getByRole('option', { name: 'QEMU' })).toBeEnabled();
    expect(
      within(hypervisor).getByRole('option', { name: 'VMware Fusion — VMware Fusion is not installed' }),
    ).toBeDisabled();
    const memory = within(dialog).getByLabelText('Memory (MiB)');
    await user.clear(memory);
    await user.type(memory, '12');
    expect(dialog).toHaveTextContent('a whole number of MiB from 256');
    expect(within(dialog).getByRole('button', { name: 'Launch' })).toBeDisabled();
    await user.clear(memory);
    await user.type(memory, '1024');

    fakeRpc.api.launchVm.mockRejectedValueOnce(refusal({ name: 'a VM named "web" exists already' }));
    await user.type(within(dialog).getByLabelText('Name'), 'web');
    await user.click(within(dialog).getByRole('button', { name: 'Launch' }));
    expect(await within(dialog).findByText('a VM named "web" exists already')).toBeInTheDocument();

    fakeRpc.api.launchVm.mockResolvedValueOnce({ vmId: 'a1b2c3d4e5f6', jobId: 'job-1' });
    await user.click(within(dialog).getByRole('button', { name: 'Launch' }));
    expect(fakeRpc.api.launchVm).toHaveBeenLastCalledWith({
      source: { buildId: 'b01dc0ffee42' },
      name: 'web',
      memoryMiB: 1024,
      cpus: 2,
      sshUser: 'root',
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(router.route).toBe(ROUTES.virtualMachines);
  });
});

describe('Launch VM for an installer ISO build', () => {
  test('the form says the ISO installs onto a new disk and asks its size, checked as typed', async () => {
    const user = userEvent.setup();
    fakeRpc.api.getJob.mockResolvedValue({
      id: 'b01dc0ffee42',
      kind: 'disk-build',
      detail: {
        request: { image: 'quay.io/me/os:1' },
        artifacts: [{ type: 'anaconda-iso', path: '/out/bootiso/install.iso', size: 1, mtimeMs: 1, ino: 1, dev: 1 }],
      },
    } as never);
    router.route = `${ROUTES.virtualMachines}?launch=b01dc0ffee42`;
    render(VirtualMachinesPage);
    const dialog = await screen.findByRole('dialog');
    await waitFor(() => expect(dialog).toHaveTextContent('Boots the installer quay.io/me/os:1 (build b01dc0ffee42)'));
    const size = within(dialog).getByLabelText('Disk size (GiB)');
    expect(size).toHaveValue('20');
    await user.clear(size);
    await user.type(size, '1');
    expect(dialog).toHaveTextContent('a whole number of GiB from 2');
    expect(within(dialog).getByRole('button', { name: 'Launch' })).toBeDisabled();
    await user.clear(size);
    await user.type(size, '40');
    fakeRpc.api.launchVm.mockResolvedValueOnce({ vmId: 'a1b2c3d4e5f6', jobId: 'job-1' });
    await user.click(within(dialog).getByRole('button', { name: 'Launch' }));
    expect(fakeRpc.api.launchVm).toHaveBeenLastCalledWith(
      expect.objectContaining({ source: { buildId: 'b01dc0ffee42' }, diskGiB: 40 }),
    );
  });
});

describe('Launch VM: the cloud-init seed', () => {
  test('automatic by default (no field sent); attaching or refusing it is sent as chosen', async () => {
    const user = userEvent.setup();
    router.route = `${ROUTES.virtualMachines}?launch=b01dc0ffee42`;
    render(VirtualMachinesPage);
    const dialog = await screen.findByRole('dialog');
    const choice = within(dialog).getByRole('combobox', { name: 'cloud-init seed' });
    expect(choice).toHaveValue('auto');
    expect(within(choice).getByRole('option', { name: 'When the image has cloud-init' })).toBeInTheDocument();
    fakeRpc.api.launchVm.mockResolvedValue({ vmId: 'a1b2c3d4e5f6', jobId: 'job-1' });
    await user.selectOptions(choice, 'Attach');
    await user.click(within(dialog).getByRole('button', { name: 'Launch' }));
    expect(fakeRpc.api.launchVm).toHaveBeenLastCalledWith(expect.objectContaining({ cloudInit: true }));
  });

  test('a backend refusal shows on the field', async () => {
    const user = userEvent.setup();
    router.route = `${ROUTES.virtualMachines}?launch=b01dc0ffee42`;
    render(VirtualMachinesPage);
    const dialog = await screen.findByRole('dialog');
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'cloud-init seed' }), 'Do not attach');
    fakeRpc.api.launchVm.mockRejectedValueOnce(refusal({ cloudInit: 'no seed for you' }));
    await user.click(within(dialog).getByRole('button', { name: 'Launch' }));
    expect(await within(dialog).findByText('no seed for you')).toBeInTheDocument();
    expect(fakeRpc.api.launchVm).toHaveBeenLastCalledWith(expect.objectContaining({ cloudInit: false }));
  });
});

describe('VM console page', () => {
  test('restores the scrollback, follows new output and sends what is typed', async () => {
    const user = userEvent.setup();
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6`;
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm()], problems: [] });
    fakeRpc.api.readVmConsole
      .mockResolvedValueOnce({ data: 'BOOTED\r\n/ # ', next: 120 })
      .mockResolvedValueOnce({ data: 'echo hi\r\nhi\r\n', next: 140 })
      .mockResolvedValue({ data: '', next: 140 });
    fakeRpc.api.writeVmConsole.mockResolvedValue();
    render(VmDetailsPage);
    expect(await screen.findByRole('heading', { name: 'tiny-os-1' })).toBeInTheDocument();
    expect(screen.getByLabelText('SSH command')).toHaveTextContent('-p 40022');
    expect(screen.queryByLabelText('Cloud-init')).not.toBeInTheDocument();
    const terminal = await screen.findByLabelText('Terminal');
    await waitFor(() => expect(terminal).toHaveTextContent('BOOTED / # echo hi hi'));
    // The last part of the log first (a negative offset), then onwards from where it ended.
    expect(fakeRpc.api.readVmConsole.mock.calls[0]).toEqual(['a1b2c3d4e5f6', -65536]);
    expect(fakeRpc.api.readVmConsole.mock.calls[1]).toEqual(['a1b2c3d4e5f6', 120]);

    await user.type(screen.getByLabelText('Type into the console of tiny-os-1'), 'uptime{Enter}');
    await waitFor(() => expect(fakeRpc.api.writeVmConsole).toHaveBeenCalledWith('a1b2c3d4e5f6', 'uptime\r'));
  });

  test('a VM given a NoCloud seed says so, and why', async () => {
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6`;
    const cloudInit = {
      seed: true,
      decidedBy: 'image',
      reason: 'the image quay.io/me/tiny-os:1 has cloud-init',
    } as const;
    fakeRpc.api.listVms.mockResolvedValue({
      vms: [vm({ cloudInit, cloudInitSeed: '/store/vms/a1b2c3d4e5f6/cidata.img' })],
      problems: [],
    });
    render(VmDetailsPage);
    expect(await screen.findByLabelText('Cloud-init')).toHaveTextContent(
      'Cloud-init: NoCloud seed attached (/store/vms/a1b2c3d4e5f6/cidata.img) — the image quay.io/me/tiny-os:1 has cloud-init',
    );
  });

  test('a deleted VM says so', async () => {
    router.route = `${ROUTES.vmDetails}?vm=gone00000000`;
    render(VmDetailsPage);
    expect(await screen.findByText(/No VM gone00000000/)).toBeInTheDocument();
  });
});

describe('the Image tab of a VM', () => {
  const status = {
    manager: 'bootc' as const,
    tracked: { image: 'quay.io/me/tiny-os:1', transport: 'registry' },
    booted: {
      image: { image: 'quay.io/me/tiny-os:1', version: '1', digest: 'sha256:1111111111111111', architecture: 'amd64' },
      cachedUpdate: { image: 'quay.io/me/tiny-os:1', version: '2', digest: 'sha256:2222222222222222' },
      incompatible: false,
      pinned: false,
      downloadOnly: false,
    },
    rollback: {
      image: { image: 'quay.io/me/tiny-os:0', version: '0', digest: 'sha256:0000000000000000' },
      incompatible: false,
      pinned: false,
      downloadOnly: false,
    },
    rollbackQueued: false,
    readAt: 1,
  };

  test('shows what bootc reports and runs the actions the user picks', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm()], problems: [] });
    fakeRpc.api.getVmStatus.mockResolvedValue(status);
    fakeRpc.api.runVmAction.mockResolvedValue('job-7');
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
    render(VmDetailsPage);
    const panel = await screen.findByLabelText('bootc status');
    expect(panel).toHaveTextContent('Tracks quay.io/me/tiny-os:1');
    expect(panel).toHaveTextContent('Booted quay.io/me/tiny-os:1, version 1');
    expect(panel).toHaveTextContent('sha256:111111111111 · amd64');
    expect(panel).toHaveTextContent('Update available quay.io/me/tiny-os:1, version 2');
    expect(panel).toHaveTextContent('Rollback quay.io/me/tiny-os:0, version 0 Available');
    expect(panel).not.toHaveTextContent('Staged');
    expect(fakeRpc.api.getVmStatus).toHaveBeenCalledWith('a1b2c3d4e5f6');

    await user.click(screen.getByRole('button', { name: 'Upgrade and reboot' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', { kind: 'upgrade', apply: true });
    await user.click(screen.getByRole('button', { name: 'Check for update' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', { kind: 'check' });

    // Switch: Enter in the field sends it; the backend's refusal shows on the field.
    fakeRpc.api.runVmAction.mockRejectedValueOnce(refusal({ image: 'not an image reference' }));
    await user.type(screen.getByLabelText('Switch to another image'), 'Not An Image{Enter}');
    expect(await screen.findByText('not an image reference')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Switch to another image'));
    await user.type(screen.getByLabelText('Switch to another image'), 'quay.io/me/other:2');
    await user.click(screen.getByLabelText('and reboot'));
    await user.click(screen.getByRole('button', { name: 'Switch' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', {
      kind: 'switch',
      image: 'quay.io/me/other:2',
      apply: true,
    });
  });

  test('Rebuild & update starts from the folder last used, and a refused folder shows on its field', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm({ updateFrom: { contextDir: '/home/me/os' } })], problems: [] });
    fakeRpc.api.getVmStatus.mockResolvedValue(status);
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
    render(VmDetailsPage);
    const region = await screen.findByRole('region', { name: 'Rebuild and update' });
    await waitFor(() =>
      expect(region).toHaveTextContent('pushes it to the reference the VM tracks (quay.io/me/tiny-os:1)'),
    );
    expect(within(region).getByLabelText('Containerfile folder')).toHaveValue('/home/me/os');
    fakeRpc.api.rebuildAndUpdateVm.mockRejectedValueOnce(
      refusal({ containerfile: 'Containerfile.x does not exist in /home/me/os' }),
    );
    await user.type(within(region).getByLabelText('Containerfile'), 'Containerfile.x');
    await user.click(within(region).getByRole('button', { name: 'Rebuild & update' }));
    expect(await within(region).findByText('Containerfile.x does not exist in /home/me/os')).toBeInTheDocument();
    fakeRpc.api.rebuildAndUpdateVm.mockResolvedValueOnce('loop-1');
    await user.clear(within(region).getByLabelText('Containerfile'));
    await user.click(within(region).getByRole('button', { name: 'Rebuild & update' }));
    expect(fakeRpc.api.rebuildAndUpdateVm).toHaveBeenLastCalledWith('a1b2c3d4e5f6', { contextDir: '/home/me/os' });
  });

  test('a stopped VM asks to be started; a guest without bootc says why', async () => {
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm({ state: 'stopped' })], problems: [] });
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
    const { unmount } = render(VmDetailsPage);
    expect(await screen.findByText(/Start the VM to see its image/)).toBeInTheDocument();
    expect(fakeRpc.api.getVmStatus).not.toHaveBeenCalled();
    unmount();

    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm()], problems: [] });
    fakeRpc.api.getVmStatus.mockRejectedValue(
      new Error('VM tiny-os-1 has no bootc: its image is not a bootable container managed by bootc'),
    );
    render(VmDetailsPage);
    expect(await screen.findByText(/Could not read the image's status: VM tiny-os-1 has no bootc/)).toBeInTheDocument();
  });
});

describe('the Image tab of an rpm-ostree VM, and of one managed by neither', () => {
  const deployment = (overrides: object) => ({
    booted: false,
    staged: false,
    pinned: false,
    packages: [],
    localPackages: [],
    overrides: [],
    removals: [],
    ...overrides,
  });
  const rpmOstree = {
    manager: 'rpm-ostree' as const,
    tracked: { image: 'quay.io/me/tiny-os:1', transport: 'registry' },
    trackedReference: 'ostree-unverified-registry:quay.io/me/tiny-os:1',
    trackedSignature: 'unverified' as const,
    booted: deployment({
      booted: true,
      image: { image: 'quay.io/me/tiny-os:1', version: '1', digest: 'sha256:1111111111111111' },
      signature: 'unverified',
      packages: ['htop', 'vim-enhanced'],
      overrides: [{ package: 'kernel-6.12.1', replaces: 'kernel-6.11.9' }],
      removals: ['nano'],
    }),
    pending: deployment({
      staged: true,
      image: { image: 'quay.io/me/tiny-os:1', version: '2', digest: 'sha256:2222222222222222' },
      packages: ['htop'],
    }),
    rollback: deployment({ origin: 'fedora:fedora/41/x86_64/silverblue', version: '41.1' }),
    applyLive: true,
    readAt: 1,
  };

  test('shows the deployments with what is layered on each, and runs rpm-ostree actions; reset asks first', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm()], problems: [] });
    fakeRpc.api.getVmStatus.mockResolvedValue(rpmOstree);
    fakeRpc.api.runVmAction.mockResolvedValue('job-8');
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
    render(VmDetailsPage);
    const panel = await screen.findByLabelText('rpm-ostree status');
    expect(panel).toHaveTextContent('Managed by rpm-ostree');
    expect(panel).toHaveTextContent('Tracks quay.io/me/tiny-os:1 verified: unverified');
    expect(panel).toHaveTextContent('Booted quay.io/me/tiny-os:1, version 1');
    const changes = within(within(panel).getByLabelText('Changes on Booted')).getAllByRole('listitem');
    expect(changes.map(item => item.textContent)).toEqual([
      'Layered packages: htop, vim-enhanced',
      'Overrides: kernel-6.12.1 (replaces kernel-6.11.9)',
      'Removed: nano',
    ]);
    expect(panel).toHaveTextContent('Pending quay.io/me/tiny-os:1, version 2');
    expect(panel).toHaveTextContent('Reboot to apply, or apply it live');
    expect(panel).toHaveTextContent('Rollback fedora:fedora/41/x86_64/silverblue, version 41.1');

    await user.click(screen.getByRole('button', { name: 'Apply live' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', { kind: 'apply-live' });

    // Switch: no verification chosen, no switch; then the choice goes with it.
    await user.type(screen.getByLabelText('Switch to another image'), 'quay.io/me/other:2');
    expect(screen.getByRole('button', { name: 'Switch' })).toBeDisabled();
    await user.click(screen.getByLabelText('Verification'));
    await user.click(screen.getByRole('button', { name: "Signed (the host's containers policy)" }));
    await user.click(screen.getByRole('button', { name: 'Switch' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', {
      kind: 'switch',
      image: 'quay.io/me/other:2',
      apply: false,
      signature: 'signed',
    });
    await user.click(screen.getByLabelText('Verification'));
    await user.click(screen.getByRole('button', { name: 'Signed with the keys of an ostree remote' }));
    await user.type(screen.getByLabelText('ostree remote'), 'fedora');
    await user.click(screen.getByRole('button', { name: 'Switch' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', {
      kind: 'switch',
      image: 'quay.io/me/other:2',
      apply: false,
      signature: 'remote:fedora',
    });

    // Reset drops the layered packages: a dialog says so; Cancel sends nothing.
    const calls = fakeRpc.api.runVmAction.mock.calls.length;
    await user.click(screen.getByRole('button', { name: 'Reset to the image…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Reset to the image' });
    expect(dialog).toHaveTextContent(
      'drops everything changed on top of the image: its layered packages (htop, vim-enhanced)',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(fakeRpc.api.runVmAction.mock.calls.length).toBe(calls);
    await user.click(screen.getByRole('button', { name: 'Reset to the image…' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Reset' }));
    expect(fakeRpc.api.runVmAction).toHaveBeenLastCalledWith('a1b2c3d4e5f6', { kind: 'reset', apply: false });
  });

  test('a host whose rpm-ostree has no apply-live gets no Apply live button', async () => {
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm()], problems: [] });
    fakeRpc.api.getVmStatus.mockResolvedValue({ ...rpmOstree, applyLive: false });
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
    render(VmDetailsPage);
    expect(await screen.findByLabelText('rpm-ostree status')).toHaveTextContent('Reboot to apply');
    expect(screen.queryByRole('button', { name: 'Apply live' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Reset to the image…' })).toBeInTheDocument();
  });

  test('managed by neither: the panel says so and offers SSH only', async () => {
    fakeRpc.api.listVms.mockResolvedValue({ vms: [vm()], problems: [] });
    fakeRpc.api.getVmStatus.mockResolvedValue({ manager: 'none', reason: 'no bootc; no rpm-ostree', readAt: 1 });
    router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
    render(VmDetailsPage);
    expect(await screen.findByLabelText('Image status')).toHaveTextContent('Managed by neither bootc nor rpm-ostree');
    expect(screen.getByText(/cannot be updated from here\. Reach it by SSH/)).toHaveTextContent(
      'no bootc; no rpm-ostree',
    );
    for (const name of [
      'Check for update',
      'Upgrade',
      'Upgrade and reboot',
      'Roll back',
      'Switch',
      'Rebuild & update',
    ]) {
      expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
    }
    expect(screen.getByRole('button', { name: 'Refresh' })).toBeInTheDocument();
  });
});
