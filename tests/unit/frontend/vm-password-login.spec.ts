/**
 * A VM page when none of the user's keys gets into the VM (its hypervisor could not give it a key at
 * boot) and its SSH takes a password: the Image tab's status read fails with VM_PASSWORD_NEEDED, the
 * page asks for the password, a wrong one shows on the field, the right one logs in and the tab reads
 * the status again; the form holds no password after.
 */

import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, expect, test, vi } from 'vitest';

import { BridgeError } from '../../../src/api/errors';
import { ROUTES } from '../../../src/api/routes';
import { VM_PASSWORD_NEEDED, type VmInfo } from '../../../src/api/vms';
import VmDetailsPage from '../../../frontend/pages/VmDetailsPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { fakeRpc, refusal } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const VM = {
  id: 'a1b2c3d4e5f6',
  name: 'mac-1',
  source: { kind: 'disk', diskPath: '/disks/os.raw' },
  hypervisor: 'fusion',
  keyAtBoot: false,
  architecture: 'arm64',
  memoryMiB: 2048,
  cpus: 2,
  sshUser: 'core',
  sshHost: '192.168.64.5',
  sshPort: 22,
  state: 'running',
  created: 1,
  started: 2,
  warnings: [],
  sshKeyPath: '/store/vms/a1b2c3d4e5f6/id_rsa',
} satisfies VmInfo;

const STATUS = {
  manager: 'bootc' as const,
  tracked: { image: 'quay.io/me/os:1', transport: 'registry' },
  booted: {
    image: { image: 'quay.io/me/os:1', version: '1', digest: 'sha256:1111111111111111' },
    incompatible: false,
    pinned: false,
    downloadOnly: false,
  },
  rollbackQueued: false,
  readAt: 1,
};

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.api.listVms.mockResolvedValue({ vms: [VM], problems: [] });
  router.route = `${ROUTES.vmDetails}?vm=a1b2c3d4e5f6&tab=image`;
});

test('asks for the password when only that gets in, then reads the status again', async () => {
  const user = userEvent.setup();
  fakeRpc.api.getVmStatus.mockRejectedValueOnce(
    new BridgeError({
      message: 'cannot log in to VM mac-1: core@192.168.64.5:22 refused the login (…); it takes the password of core',
      code: VM_PASSWORD_NEEDED,
    }),
  );
  fakeRpc.api.getVmStatus.mockResolvedValue(STATUS);
  render(VmDetailsPage);

  const form = await screen.findByRole('form', { name: 'Log in to mac-1' });
  expect(form).toHaveTextContent('None of your SSH keys got into mac-1');
  expect(form).toHaveTextContent('kept in memory until the VM stops, never written');
  const field = screen.getByLabelText('Password of core');
  expect(field).toHaveAttribute('type', 'password');
  expect(screen.getByRole('button', { name: 'Log in' })).toBeDisabled();

  // Enter sends it, and the page stays (no native form submission, which would reload the webview).
  const submits: boolean[] = [];
  form.addEventListener('submit', event => submits.push(event.defaultPrevented));
  fakeRpc.api.logInToVm.mockRejectedValueOnce(refusal({ password: 'core@192.168.64.5:22 did not take the password' }));
  await user.type(field, 'nope{Enter}');
  expect(submits).toEqual([true]);
  expect(await screen.findByText('core@192.168.64.5:22 did not take the password')).toBeInTheDocument();
  expect(fakeRpc.api.logInToVm).toHaveBeenLastCalledWith('a1b2c3d4e5f6', 'nope');

  fakeRpc.api.logInToVm.mockResolvedValueOnce(VM);
  await user.clear(field);
  await user.type(field, 's3cret');
  await user.click(screen.getByRole('button', { name: 'Log in' }));
  expect(fakeRpc.api.logInToVm).toHaveBeenLastCalledWith('a1b2c3d4e5f6', 's3cret');
  await waitFor(() => expect(screen.queryByRole('form', { name: 'Log in to mac-1' })).not.toBeInTheDocument());
  expect(await screen.findByLabelText('bootc status')).toHaveTextContent('Booted quay.io/me/os:1, version 1');
  expect(fakeRpc.api.getVmStatus).toHaveBeenCalledTimes(2);
});

test('another failure shows as it is, without asking for a password', async () => {
  fakeRpc.api.getVmStatus.mockRejectedValue(new BridgeError({ message: 'VM mac-1 has no bootc' }));
  render(VmDetailsPage);
  expect(await screen.findByText(/Could not read the image's status: VM mac-1 has no bootc/)).toBeInTheDocument();
  expect(screen.queryByRole('form', { name: 'Log in to mac-1' })).not.toBeInTheDocument();
});
