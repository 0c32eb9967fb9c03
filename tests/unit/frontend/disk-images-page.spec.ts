import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import App from '../../../frontend/App.svelte';
import DiskImagesPage from '../../../frontend/pages/DiskImagesPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { bootcImage, diskBuildJob, diskBuildRecord, diskBuildRequest, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const NOW = Date.now();

const running = () =>
  diskBuildRecord({
    id: 'build-new',
    created: NOW - 60_000,
    started: NOW - 50_000,
    status: 'building',
    percent: 42,
    request: diskBuildRequest({ image: 'quay.io/me/web:2', types: ['qcow2', 'raw'], arch: 'arm64' }),
  });

const done = () =>
  diskBuildRecord({
    id: 'build-old',
    created: NOW - 3_600_000,
    started: NOW - 3_590_000,
    ended: NOW - 3_590_000 + 185_000,
    status: 'succeeded',
    percent: 100,
    request: diskBuildRequest({ image: 'quay.io/me/db:1', types: ['anaconda-iso'], outputDir: '/srv/out' }),
    artifacts: [{ type: 'anaconda-iso', path: '/srv/out/bootiso/install.iso', size: 2_100_000_000 }],
    remote: true,
    engineName: 'build-server',
  });

/** The backend's disk builds: jobs of kind disk-build, each carrying its record. */
function setBuilds(records: DiskBuildRecord[]): void {
  fakeRpc.setJobs(records.map(record => diskBuildJob(record)));
}

beforeEach(() => {
  fakeRpc.reset();
  // The backend's order is not trusted: the page sorts newest first.
  setBuilds([done(), running()]);
  router.route = ROUTES.diskImages;
});

function cells(row: HTMLElement): string[] {
  return within(row)
    .getAllByRole('cell')
    .map(cell => cell.textContent?.replace(/\s+/g, ' ').trim() ?? '');
}

describe('DiskImagesPage', () => {
  test('lists every build newest first: status with percent, image, types, arch, folder, duration', async () => {
    render(DiskImagesPage);
    const table = await screen.findByRole('table', { name: 'Disk image builds' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map(row => row.getAttribute('aria-label'))).toEqual([
      'quay.io/me/web:2 qcow2, raw',
      'quay.io/me/db:1 anaconda-iso',
    ]);

    const [status, image, types, arch, folder, duration] = cells(rows[0]);
    expect(status).toContain('Building 42%');
    expect(within(rows[0]).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '42');
    expect(image).toContain('quay.io/me/web:2');
    expect(types).toBe('qcow2, raw');
    expect(arch).toBe('arm64');
    expect(folder).toBe('/home/me/disks');
    expect(duration).toMatch(/^5\d s$/);

    const old = cells(rows[1]);
    expect(old[0]).toBe('Succeeded');
    // The engine runs elsewhere: the folder is on that machine.
    expect(old[4]).toBe('/srv/out on build-server');
    expect(old[5]).toBe('3 min 05 s');
  });

  test('the search box filters by image, type, status or folder', async () => {
    const user = userEvent.setup();
    render(DiskImagesPage);
    await screen.findByRole('table', { name: 'Disk image builds' });
    const search = screen.getByRole('textbox');

    await user.type(search, 'iso');
    expect(
      screen
        .getAllByRole('row')
        .slice(1)
        .map(row => row.getAttribute('aria-label')),
    ).toEqual(['quay.io/me/db:1 anaconda-iso']);
    await user.clear(search);
    await user.type(search, 'building');
    expect(
      screen
        .getAllByRole('row')
        .slice(1)
        .map(row => row.getAttribute('aria-label')),
    ).toEqual(['quay.io/me/web:2 qcow2, raw']);
    await user.clear(search);
    await user.type(search, 'nothing like this');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  test('Cancel is offered while a build runs, and cancels that build', async () => {
    const user = userEvent.setup();
    fakeRpc.api.cancelJob.mockResolvedValue();
    render(DiskImagesPage);
    await user.click(await screen.findByRole('button', { name: 'Cancel the build of quay.io/me/web:2' }));
    expect(fakeRpc.api.cancelJob).toHaveBeenCalledWith('build-new');
    await waitFor(() => expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(2));
    // A finished build cannot be cancelled; a running one is not deleted under the builder's feet.
    expect(screen.queryByRole('button', { name: 'Cancel the build of quay.io/me/db:1' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete the build of quay.io/me/web:2' })).not.toBeInTheDocument();
  });

  test('Delete asks first, with the files deleted unless "Keep the files" is checked', async () => {
    const user = userEvent.setup();
    fakeRpc.api.deleteDiskBuild.mockResolvedValue({ removed: [], kept: [] });
    render(DiskImagesPage);
    await user.click(await screen.findByRole('button', { name: 'Delete the build of quay.io/me/db:1' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete disk image build' });
    // A remote build's files are on its machine: the dialog does not claim to delete them.
    expect(dialog).toHaveTextContent('Its files stay on the machine of build-server');
    expect(fakeRpc.api.deleteDiskBuild).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole('checkbox', { name: 'Keep the files' }));
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));

    expect(fakeRpc.api.deleteDiskBuild).toHaveBeenCalledWith('build-old', true);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  test('Delete without keeping the files, and a refusal stays in the dialog', async () => {
    const user = userEvent.setup();
    fakeRpc.api.deleteDiskBuild.mockRejectedValue(new Error('permission denied: /srv/out/bootiso'));
    render(DiskImagesPage);
    await user.click(await screen.findByRole('button', { name: 'Delete the build of quay.io/me/db:1' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete disk image build' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(fakeRpc.api.deleteDiskBuild).toHaveBeenCalledWith('build-old', false);
    expect(await within(dialog).findByText(/permission denied/)).toBeInTheDocument();
  });

  test('cancelling the confirmation deletes nothing', async () => {
    const user = userEvent.setup();
    render(DiskImagesPage);
    await user.click(await screen.findByRole('button', { name: 'Delete the build of quay.io/me/db:1' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(fakeRpc.api.deleteDiskBuild).not.toHaveBeenCalled();
  });

  test('Logs opens the build’s details; its accessible name starts with its label', async () => {
    const user = userEvent.setup();
    render(DiskImagesPage);
    const logs = await screen.findByRole('button', { name: 'Logs of the build of quay.io/me/db:1' });
    expect(logs.getAttribute('title')).toMatch(/^Logs\b/);
    await user.click(logs);
    expect(router.route).toBe(`${ROUTES.diskImageDetails}?build=build-old`);
  });

  test('Open folder asks the backend to open that build’s folder, by id; keyboard works too', async () => {
    const user = userEvent.setup();
    fakeRpc.api.openDiskBuildFolder.mockResolvedValue(true);
    render(DiskImagesPage);
    const open = await screen.findByRole('button', { name: 'Open the folder of the build of quay.io/me/web:2' });
    expect(open).toHaveAttribute('title', 'Open /home/me/disks in the file manager');
    await user.click(open);
    expect(fakeRpc.api.openDiskBuildFolder).toHaveBeenCalledWith('build-new');

    open.focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(fakeRpc.api.openDiskBuildFolder).toHaveBeenCalledTimes(2));
    expect(fakeRpc.api.openDiskBuildFolder).toHaveBeenLastCalledWith('build-new');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  test('Open folder is disabled for a build whose folder is on a remote engine’s machine, and says why', async () => {
    render(DiskImagesPage);
    const open = await screen.findByRole('button', { name: 'Open the folder of the build of quay.io/me/db:1' });
    // Still focusable, so its tooltip can say why, but it does nothing.
    expect(open).toHaveAttribute('aria-disabled', 'true');
    expect(open).toHaveAttribute('title', 'The folder is on the machine of build-server, not on this one');
    await userEvent.setup().click(open);
    expect(fakeRpc.api.openDiskBuildFolder).not.toHaveBeenCalled();
  });

  test('a refusal to open the folder is shown above the list', async () => {
    const user = userEvent.setup();
    fakeRpc.api.openDiskBuildFolder.mockRejectedValue(new Error('The output folder /home/me/disks no longer exists.'));
    render(DiskImagesPage);
    await user.click(await screen.findByRole('button', { name: 'Open the folder of the build of quay.io/me/web:2' }));
    expect(
      await screen.findByText(
        'Could not open the folder of the build of quay.io/me/web:2: The output folder /home/me/disks no longer exists.',
      ),
    ).toBeInTheDocument();
  });

  test('a jobsChanged push re-reads the list', async () => {
    render(DiskImagesPage);
    await screen.findByRole('table', { name: 'Disk image builds' });
    setBuilds([{ ...running(), status: 'succeeded', ended: NOW }, done()]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);
    await waitFor(() => expect(screen.queryByText('Building 42%')).not.toBeInTheDocument());
    expect(screen.getAllByText('Succeeded')).toHaveLength(2);
  });

  test('no builds yet: says what the page is for, and Build opens the form', async () => {
    const user = userEvent.setup();
    setBuilds([]);
    render(DiskImagesPage);
    expect(await screen.findByText('No disk images yet')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Build a disk image' }));
    expect(router.route).toBe(ROUTES.buildDiskImage);
  });

  test('a failed list says why and offers Retry', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listJobs.mockRejectedValueOnce(new Error('store unreadable'));
    render(DiskImagesPage);
    expect(await screen.findByText(/Could not list the disk image builds: store unreadable/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('table', { name: 'Disk image builds' })).toBeInTheDocument();
  });

  test('Rebuild opens the form pre-filled with the build’s settings', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage({ ref: 'quay.io/me/db:1', name: 'quay.io/me/db' })]);
    fakeRpc.setJobs([diskBuildJob(done())]);
    render(App);
    await user.click(screen.getByRole('link', { name: 'Disk Images' }));
    await user.click(await screen.findByRole('button', { name: 'Rebuild quay.io/me/db:1' }));

    expect(router.route).toBe(`${ROUTES.buildDiskImage}?rebuild=build-old`);
    expect(await screen.findByRole('heading', { name: 'Build disk image' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Output folder')).toHaveValue('/srv/out'));
    expect(fakeRpc.api.getJob).toHaveBeenCalledWith('build-old');
    expect(screen.getByLabelText('Image')).toHaveTextContent('quay.io/me/db:1');
    expect(screen.getByRole('checkbox', { name: 'anaconda-iso' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'qcow2' })).not.toBeChecked();
  });

  test('files removed or replaced outside: the row says so; the dialog lists only what it removes, then what it left', async () => {
    const user = userEvent.setup();
    const local = diskBuildRecord({
      id: 'aaaaaaaaaaaa',
      status: 'succeeded',
      ended: NOW - 1000,
      request: diskBuildRequest({ image: 'quay.io/me/app:3', types: ['qcow2', 'raw'], outputDir: '/home/me/disks' }),
      artifacts: [
        {
          type: 'qcow2',
          path: '/home/me/disks/qcow2/disk.qcow2',
          size: 10,
          state: 'replaced',
          replacedBy: 'bbbbbbbbbbbb',
        },
        { type: 'raw', path: '/home/me/disks/image/disk.raw', size: 20, state: 'missing' },
      ],
      logPath: '/home/me/disks/image-build-aaaaaaaaaaaa.log',
      logPresent: true,
    });
    setBuilds([local]);
    fakeRpc.api.deleteDiskBuild.mockResolvedValue({
      removed: ['/home/me/disks/image-build-aaaaaaaaaaaa.log'],
      kept: [
        { path: '/home/me/disks/qcow2/disk.qcow2', reason: 'replaced by build bbbbbbbbbbbb since this build wrote it' },
      ],
    });
    render(DiskImagesPage);
    const row = await screen.findByRole('row', { name: 'quay.io/me/app:3 qcow2, raw' });
    expect(within(row).getByLabelText('Files')).toHaveTextContent('1 file missing, 1 replaced by build bbbbbbbbbbbb');

    await user.click(within(row).getByRole('button', { name: 'Delete the build of quay.io/me/app:3' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete disk image build' });
    const toDelete = within(dialog).getByRole('list', { name: 'Files to delete' });
    expect(
      within(toDelete)
        .getAllByRole('listitem')
        .map(item => item.textContent),
    ).toEqual(['/home/me/disks/image-build-aaaaaaaaaaaa.log']);
    expect(within(dialog).getByRole('list', { name: 'Files left' })).toHaveTextContent(
      '/home/me/disks/qcow2/disk.qcow2 (replaced by build bbbbbbbbbbbb)',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByRole('status', { name: 'Delete result' })).toHaveTextContent(
      'Deleted build aaaaaaaaaaaa, and left a file that is no longer its own: /home/me/disks/qcow2/disk.qcow2 (replaced by build bbbbbbbbbbbb since this build wrote it)',
    );
  });

  test('a long history is shown a screenful at a time: 50 rows, then up to 100 more on Show more; a search starts over', async () => {
    const many = Array.from({ length: 120 }, (_, index) =>
      diskBuildRecord({
        id: `build-${String(index).padStart(3, '0')}`,
        created: NOW - index * 60_000,
        status: 'succeeded',
        request: diskBuildRequest({ image: `quay.io/me/app${index % 2 ? '-odd' : ''}:${index}` }),
      }),
    );
    setBuilds(many);
    const user = userEvent.setup();
    render(DiskImagesPage);
    const table = await screen.findByRole('table', { name: 'Disk image builds' });
    const buildRows = () =>
      within(table)
        .getAllByRole('row')
        .filter(row => row.hasAttribute('aria-label'));
    expect(buildRows()).toHaveLength(50);
    expect(buildRows()[0]).toHaveAccessibleName(/quay\.io\/me\/app:0 /);
    expect(table).toHaveTextContent('Showing 50 of 120 builds.');
    await user.click(within(table).getByRole('button', { name: 'Show more' }));
    expect(buildRows()).toHaveLength(120);
    expect(within(table).queryByRole('button', { name: 'Show more' })).toBeNull();

    // 60 builds match: the first 50 of them again.
    await user.type(screen.getByRole('textbox', { name: 'search Disk images' }), 'app-odd');
    await waitFor(() => expect(buildRows()).toHaveLength(50));
    expect(table).toHaveTextContent('Showing 50 of 60 builds.');
  }, 30_000); // 120 rows in jsdom take seconds on a loaded machine
});
