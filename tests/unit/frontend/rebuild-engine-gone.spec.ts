/**
 * Rebuild of a build whose engine is gone (issue 8, item 3): the form says the recorded image's
 * engine is not running, offers the image on the engines that run, and shows why it cannot inspect
 * the recorded one — rather than two identical rows, one of them dead.
 */
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, expect, test, vi } from 'vitest';

import { ROUTES } from '../../../src/api/routes';
import BuildDiskImagePage from '../../../frontend/pages/BuildDiskImagePage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, diskBuildJob, diskBuildRecord, diskBuildRequest, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const FEDORA = 'quay.io/fedora/fedora-bootc:42';
const RUNNING = 'podman:rootful@box:/var/lib/containers/storage';
const GONE = 'podman:ssh://core@gone:22/run/podman/podman.sock';

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage({ engineId: RUNNING, engineName: 'podman (rootful)' })]);
  fakeRpc.api.listEngines.mockResolvedValue([{ id: RUNNING, name: 'podman (rootful)', type: 'podman', arch: 'amd64' }]);
  fakeRpc.api.describeImageForBuild.mockImplementation(async (engineId: string, ref: string) => {
    if (engineId !== RUNNING) {
      throw new Error(`the engine ${engineId} is not running; choose one that is: podman (rootful) (${RUNNING})`);
    }
    return { ref, engineId, architectures: ['amd64'], labels: { 'containers.bootc': '1' } };
  });
});

test("a recorded engine that is gone: said so on the image, the running engine's row offered, the reason shown", async () => {
  fakeRpc.setJobs([
    diskBuildJob(diskBuildRecord({ id: 'build-9', engineId: GONE, request: diskBuildRequest({ engineId: GONE }) })),
  ]);
  router.route = `${ROUTES.buildDiskImage}?rebuild=build-9`;
  render(BuildDiskImagePage);

  await waitFor(() =>
    expect(screen.getByLabelText('Image')).toHaveTextContent(`${FEDORA} (on an engine that is not running)`),
  );
  expect(await screen.findByText(/is not running; choose one that is: podman \(rootful\)/)).toBeInTheDocument();

  // The image on the running engine is offered, and choosing it inspects it there.
  const user = userEvent.setup();
  await user.click(screen.getByLabelText('Image'));
  await user.click(screen.getByRole('button', { name: FEDORA }));
  await waitFor(() => expect(fakeRpc.api.describeImageForBuild).toHaveBeenLastCalledWith(RUNNING, FEDORA));
});
