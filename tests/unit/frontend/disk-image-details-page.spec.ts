import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import DiskImageDetailsPage from '../../../frontend/pages/DiskImageDetailsPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { diskBuildJob, diskBuildRecord, diskBuildRequest, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const ROUTE = `${ROUTES.diskImageDetails}?build=build-1`;
const RUNNING = { id: 'podman.podman-machine-default', name: 'Podman', type: 'podman' as const, arch: 'amd64' };

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.setJobs([diskBuildJob(diskBuildRecord())]);
  fakeRpc.api.listEngines.mockResolvedValue([RUNNING]);
  router.route = ROUTE;
});

describe('DiskImageDetailsPage', () => {
  test('the summary says what the build was asked to do and where it stands', async () => {
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(fakeRpc.api.getJob).toHaveBeenCalledWith('build-1');
    expect(screen.getByRole('heading', { name: 'quay.io/fedora/fedora-bootc:42' })).toBeInTheDocument();
    expect(within(summary).getByLabelText('Status')).toHaveTextContent('Building 40%');
    expect(within(summary).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40');
    expect(within(summary).getByLabelText('Current step')).toHaveTextContent('org.osbuild.rpm');
    for (const text of ['qcow2', 'amd64', 'xfs', '/home/me/disks', 'Podman', 'bootc-image-builder:latest']) {
      expect(summary).toHaveTextContent(text);
    }
  });

  test('a build whose engine is not running says so and names the running ones', async () => {
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({ status: 'succeeded', engineId: 'podman:/tmp/gone/podman.sock', engineName: 'podman (old)' }),
      ),
    ]);
    fakeRpc.api.listEngines.mockResolvedValue([RUNNING, { ...RUNNING, id: 'docker.default', name: 'Docker' }]);
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    await waitFor(() =>
      expect(within(summary).getByRole('note', { name: 'Engine gone' })).toHaveTextContent(
        'This engine is not running now. Rebuild offers the running ones: Podman, Docker.',
      ),
    );
  });

  test('a build on a running engine has no engine note', async () => {
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    await waitFor(() => expect(fakeRpc.api.listEngines).toHaveBeenCalled());
    expect(within(summary).queryByRole('note', { name: 'Engine gone' })).not.toBeInTheDocument();
  });

  test('a failed build says why; a remote build says where its folder is', async () => {
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({
          status: 'failed',
          ended: Date.now(),
          error: 'No space left on device in /home/me/disks',
          remote: true,
          engineName: 'build-server',
        }),
      ),
    ]);
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByLabelText('Status')).toHaveTextContent('Failed');
    expect(within(summary).getByRole('alert', { name: 'Why it ended' })).toHaveTextContent('No space left on device');
    expect(summary).toHaveTextContent('/home/me/disks on build-server');
    expect(screen.queryByRole('button', { name: 'Cancel build' })).not.toBeInTheDocument();
  });

  test('a cancelled build says "Cancelled" once: no bar left at 99 %, no error repeating the status', async () => {
    // As a record cancelled before this release was written: the last percentage and the word as its error.
    fakeRpc.setJobs([
      diskBuildJob(diskBuildRecord({ status: 'cancelled', ended: Date.now(), percent: 99, error: 'Cancelled' })),
    ]);
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByLabelText('Status')).toHaveTextContent('Cancelled');
    expect(within(summary).queryByRole('progressbar')).not.toBeInTheDocument();
    expect(within(summary).queryByRole('alert', { name: 'Why it ended' })).not.toBeInTheDocument();
    expect(summary.textContent?.match(/Cancelled/g)).toHaveLength(1);
    expect(within(summary).queryByLabelText('Current step')).not.toBeInTheDocument();
  });

  test('a hand-off build says its builder ran on root’s podman', async () => {
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ handoff: true, engineName: 'podman (rootless)' }))]);
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByLabelText('Engine')).toHaveTextContent(
      'podman (rootless), the builder ran on root’s podman (Linux hand-off)',
    );
  });

  test('artifacts are listed with their sizes', async () => {
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({
          status: 'succeeded',
          percent: 100,
          ended: Date.now(),
          request: diskBuildRequest({ types: ['qcow2', 'raw'] }),
          artifacts: [
            { type: 'qcow2', path: '/home/me/disks/qcow2/disk.qcow2', size: 1_234_000_000 },
            { type: 'raw', path: '/home/me/disks/image/disk.raw', size: 10_737_418_240 },
          ],
        }),
      ),
    ]);
    render(DiskImageDetailsPage);
    const files = await screen.findByRole('table', { name: 'Files' });
    const qcow2 = within(files).getByRole('row', { name: 'qcow2' });
    expect(qcow2).toHaveTextContent('/home/me/disks/qcow2/disk.qcow2');
    expect(qcow2).toHaveTextContent('1.2 GB');
    expect(within(files).getByRole('row', { name: 'raw' })).toHaveTextContent('10.7 GB');
  });

  test('files removed or replaced outside Bootc Studio say so instead of their sizes; a gone log too', async () => {
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({
          status: 'succeeded',
          ended: Date.now(),
          request: diskBuildRequest({ types: ['qcow2', 'raw'] }),
          artifacts: [
            { type: 'qcow2', path: '/home/me/disks/qcow2/disk.qcow2', size: 1_234_000_000, state: 'missing' },
            {
              type: 'raw',
              path: '/home/me/disks/image/disk.raw',
              size: 10_737_418_240,
              state: 'replaced',
              replacedBy: 'bbbbbbbbbbbb',
            },
          ],
          logPresent: false,
        }),
        { logLines: 40 },
      ),
    ]);
    fakeRpc.api.readJobLog.mockResolvedValue({ lines: [], next: 0, present: false });
    render(DiskImageDetailsPage);
    const files = await screen.findByRole('table', { name: 'Files' });
    const qcow2 = within(files).getByRole('row', { name: 'qcow2' });
    expect(within(qcow2).getByLabelText('State')).toHaveTextContent('Missing (removed outside Bootc Studio)');
    expect(qcow2).not.toHaveTextContent('1.2 GB');
    expect(within(files).getByRole('row', { name: 'raw' })).toHaveTextContent('Replaced by build bbbbbbbbbbbb');
    const summary = screen.getByRole('region', { name: 'Summary' });
    expect(summary).toHaveTextContent('(gone: removed outside Bootc Studio)');
  });

  test('an artifact not written yet says so', async () => {
    render(DiskImageDetailsPage);
    const files = await screen.findByRole('table', { name: 'Files' });
    expect(within(files).getByRole('row', { name: 'qcow2' })).toHaveTextContent('not written yet');
  });

  test('the status follows the pushes', async () => {
    render(DiskImageDetailsPage);
    const summary = await screen.findByRole('region', { name: 'Summary' });
    expect(within(summary).getByLabelText('Status')).toHaveTextContent('Building 40%');

    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ percent: 75, message: 'org.osbuild.qemu' }))]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);
    await waitFor(() => expect(within(summary).getByLabelText('Status')).toHaveTextContent('Building 75%'));
    expect(within(summary).getByLabelText('Current step')).toHaveTextContent('org.osbuild.qemu');

    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ status: 'succeeded', percent: 100, ended: Date.now() }))]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);
    await waitFor(() => expect(within(summary).getByLabelText('Status')).toHaveTextContent('Succeeded'));
    expect(screen.queryByRole('button', { name: 'Cancel build' })).not.toBeInTheDocument();
  });

  test('the log is read from the start once, then only from where the last read ended', async () => {
    const log = ['Generating manifest manifest-qcow2.json', 'Done generating manifest'];
    const more = ['[3 / 12] org.osbuild.rpm'];
    let written = log;
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord(), { logLines: 2 })]);
    fakeRpc.api.readJobLog.mockImplementation(async (_id, from) => ({
      lines: written.slice(from),
      next: written.length,
    }));
    render(DiskImageDetailsPage);

    const terminal = await screen.findByLabelText('Terminal');
    await waitFor(() => expect(terminal).toHaveTextContent('Done generating manifest'));

    written = [...log, ...more];
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord(), { logLines: 3 })]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);
    await waitFor(() => expect(terminal.textContent).toBe([...log, ...more].join('\n')));

    const cursors = fakeRpc.api.readJobLog.mock.calls.map(([id, from]) => {
      expect(id).toBe('build-1');
      return from;
    });
    expect(cursors[0]).toBe(0);
    // Never from the start again: every later read starts at a cursor the backend gave.
    expect(cursors.slice(1).every(from => from === log.length || from === log.length + more.length)).toBe(true);
    expect(cursors).toContain(log.length);
  });

  test('a gone log file says so in the log view', async () => {
    fakeRpc.setJobs([
      diskBuildJob(diskBuildRecord({ status: 'succeeded', ended: Date.now(), logPresent: false }), { logLines: 40 }),
    ]);
    fakeRpc.api.readJobLog.mockResolvedValue({ lines: [], next: 0, present: false });
    render(DiskImageDetailsPage);
    const log = await screen.findByRole('region', { name: 'Log' });
    await waitFor(() => expect(log).toHaveTextContent('The log file is gone.'));
    expect(fakeRpc.api.readJobLog).toHaveBeenCalledTimes(1);
  });

  test('the log view of a build shows no second status: the summary has it', async () => {
    render(DiskImageDetailsPage);
    const log = await screen.findByRole('region', { name: 'Log' });
    await screen.findByLabelText('Terminal');
    expect(within(log).queryByLabelText('Status')).not.toBeInTheDocument();
    expect(within(log).queryByRole('progressbar')).not.toBeInTheDocument();
    expect(log).toHaveTextContent('Waiting for the builder’s first lines…');
  });

  test('Cancel build cancels it and re-reads the record', async () => {
    const user = userEvent.setup();
    fakeRpc.api.cancelJob.mockResolvedValue();
    render(DiskImageDetailsPage);
    await user.click(await screen.findByRole('button', { name: 'Cancel build' }));
    expect(fakeRpc.api.cancelJob).toHaveBeenCalledWith('build-1');
    await waitFor(() => expect(fakeRpc.api.getJob).toHaveBeenCalledTimes(2));
  });

  test('Delete asks, deletes the files unless kept, and goes back to the list', async () => {
    const user = userEvent.setup();
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ status: 'cancelled', ended: Date.now() }))]);
    fakeRpc.api.deleteDiskBuild.mockResolvedValue({ removed: [], kept: [] });
    render(DiskImageDetailsPage);
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete disk image build' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(fakeRpc.api.deleteDiskBuild).toHaveBeenCalledWith('build-1', false);
    await waitFor(() => expect(router.route).toBe(ROUTES.diskImages));
  });

  test('Rebuild opens the form for this build', async () => {
    const user = userEvent.setup();
    render(DiskImageDetailsPage);
    await user.click(await screen.findByRole('button', { name: 'Rebuild' }));
    expect(router.route).toBe(`${ROUTES.buildDiskImage}?rebuild=build-1`);
  });

  test('Open folder asks the backend to open this build’s folder; a refusal is shown', async () => {
    const user = userEvent.setup();
    fakeRpc.api.openDiskBuildFolder.mockResolvedValueOnce(true);
    render(DiskImageDetailsPage);
    const open = await screen.findByRole('button', { name: 'Open folder' });
    await user.click(open);
    expect(fakeRpc.api.openDiskBuildFolder).toHaveBeenCalledWith('build-1');

    fakeRpc.api.openDiskBuildFolder.mockRejectedValueOnce(
      new Error('The output folder /home/me/disks no longer exists.'),
    );
    await user.click(open);
    expect(await screen.findByText(/The output folder \/home\/me\/disks no longer exists\./)).toBeInTheDocument();
  });

  test('Open folder is disabled when the folder is on a remote engine’s machine', async () => {
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ remote: true, engineName: 'build-server' }))]);
    render(DiskImageDetailsPage);
    const open = await screen.findByRole('button', { name: 'Open folder' });
    expect(open).toBeDisabled();
    expect(open).toHaveAttribute('title', 'The folder is on the machine of build-server, not on this one');
  });

  test('an unknown build says so', async () => {
    fakeRpc.api.getJob.mockRejectedValue(new Error('no build build-1'));
    render(DiskImageDetailsPage);
    expect(await screen.findByText(/Could not read the build: no build build-1/)).toBeInTheDocument();
  });
});
