import { faTrash } from '@fortawesome/free-solid-svg-icons';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { ROUTES } from '../../../src/api/routes';
import RowAction from '../../../frontend/components/RowAction.svelte';
import DiskImagesPage from '../../../frontend/pages/DiskImagesPage.svelte';
import ImagesPage from '../../../frontend/pages/ImagesPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, diskBuildJob, diskBuildRecord, diskBuildRequest, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

beforeEach(() => {
  fakeRpc.reset();
});

describe('RowAction', () => {
  test('an icon button: the tooltip names the action, the accessible name starts with it', () => {
    render(RowAction, { title: 'Delete', icon: faTrash, 'aria-label': 'Delete quay.io/me/os:1', onclick: vi.fn() });
    const button = screen.getByRole('button', { name: 'Delete quay.io/me/os:1' });
    expect(button).toHaveAttribute('title', 'Delete');
    expect(button).toHaveAttribute('type', 'button');
    // An icon only, hidden from screen readers: no text competes with the accessible name.
    expect(button).toHaveTextContent('');
    expect(button.querySelector('svg')).not.toBeNull();
    expect(button.querySelector('svg')?.closest('[aria-hidden="true"]')).not.toBeNull();
  });

  test('the accessible name defaults to the title; a tooltip may say more, starting with the title', () => {
    render(RowAction, { title: 'Push', icon: faTrash, tooltip: 'Push to a registry', onclick: vi.fn() });
    const button = screen.getByRole('button', { name: 'Push' });
    expect(button).toHaveAttribute('title', 'Push to a registry');
  });

  test('reachable with Tab, and Enter and Space run it', async () => {
    const user = userEvent.setup();
    const onclick = vi.fn();
    render(RowAction, { title: 'Delete', icon: faTrash, onclick });
    await user.tab();
    expect(screen.getByRole('button', { name: 'Delete' })).toHaveFocus();
    await user.keyboard('{Enter}');
    await user.keyboard(' ');
    expect(onclick).toHaveBeenCalledTimes(2);
  });

  test('disabled: still reachable (its tooltip says why) but does nothing', async () => {
    const user = userEvent.setup();
    const onclick = vi.fn();
    render(RowAction, {
      title: 'Open the folder',
      icon: faTrash,
      tooltip: 'The folder is remote',
      disabled: true,
      onclick,
    });
    await user.tab();
    const button = screen.getByRole('button', { name: 'Open the folder' });
    expect(button).toHaveFocus();
    expect(button).toHaveAttribute('aria-disabled', 'true');
    await user.keyboard('{Enter}');
    await user.click(button);
    expect(onclick).not.toHaveBeenCalled();
  });

  test('in progress: a spinner instead of the icon, busy, and a second click does nothing', async () => {
    const user = userEvent.setup();
    const onclick = vi.fn();
    render(RowAction, { title: 'Cancel', icon: faTrash, inProgress: true, onclick });
    const button = screen.getByRole('button', { name: 'Cancel' });
    expect(button).toHaveAttribute('aria-busy', 'true');
    await user.click(button);
    expect(onclick).not.toHaveBeenCalled();
  });
});

/** Every button of the row: icon-only, with a tooltip, and an accessible name that starts as it does. */
function expectIconActions(row: HTMLElement, names: string[]): void {
  const buttons = within(row).getAllByRole('button');
  expect(buttons.map(button => button.getAttribute('aria-label'))).toEqual(names);
  for (const button of buttons) {
    const title = button.getAttribute('title') ?? '';
    expect(button).toHaveTextContent('');
    expect(title).not.toBe('');
    // The tooltip and the accessible name begin with the same word: what a user sees is what they can say.
    const firstWord = (text: string): string => text.split(/[ :]/)[0];
    expect(firstWord(button.getAttribute('aria-label') ?? '')).toBe(firstWord(title));
  }
}

describe('the lists use it for their row actions', () => {
  test('Images: Build Disk Image, Run as VM, Push and Delete, reachable in that order with Tab', async () => {
    const user = userEvent.setup();
    router.route = ROUTES.images;
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage()]);
    render(ImagesPage);
    const ref = bootcImage().ref;
    const row = await screen.findByRole('row', { name: ref });
    expectIconActions(row, [`Build Disk Image from ${ref}`, `Run ${ref} as a VM`, `Push ${ref}`, `Delete ${ref}`]);
    within(row)
      .getByRole('button', { name: `Build Disk Image from ${ref}` })
      .focus();
    await user.tab();
    expect(within(row).getByRole('button', { name: `Run ${ref} as a VM` })).toHaveFocus();
    await user.tab();
    expect(within(row).getByRole('button', { name: `Push ${ref}` })).toHaveFocus();
    await user.tab();
    expect(within(row).getByRole('button', { name: `Delete ${ref}` })).toHaveFocus();
  });

  test('Images: Run as VM starts the run on the backend and shows the VMs page', async () => {
    const user = userEvent.setup();
    router.route = ROUTES.images;
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage()]);
    fakeRpc.api.runImageAsVm.mockResolvedValue('job-run');
    render(ImagesPage);
    const ref = bootcImage().ref;
    await user.click(await screen.findByRole('button', { name: `Run ${ref} as a VM` }));
    expect(fakeRpc.api.runImageAsVm).toHaveBeenCalledWith(ref, bootcImage().engineId);
    expect(router.route).toBe(ROUTES.virtualMachines);
  });

  test('Disk images: Logs, Launch VM, Open the folder, Rebuild and Delete', async () => {
    router.route = ROUTES.diskImages;
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({ id: 'b1', status: 'succeeded', request: diskBuildRequest({ image: 'quay.io/me/db:1' }) }),
      ),
    ]);
    render(DiskImagesPage);
    const table = await screen.findByRole('table', { name: 'Disk image builds' });
    const row = within(table).getAllByRole('row')[1];
    const image = 'quay.io/me/db:1';
    expectIconActions(row, [
      `Logs of the build of ${image}`,
      `Launch VM from the build of ${image}`,
      `Open the folder of the build of ${image}`,
      `Rebuild ${image}`,
      `Delete the build of ${image}`,
    ]);
  });
});
