import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import DashboardPage from '../../../frontend/pages/DashboardPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, centosManifestList, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const podman = { id: 'podman.default', name: 'Podman', type: 'podman', version: '5.4.1' };
const docker = { id: 'docker.default', name: 'Docker', type: 'docker' };

beforeEach(() => {
  fakeRpc.reset();
  router.route = ROUTES.dashboard;
});

describe('DashboardPage', () => {
  test('counts the bootc images and lists the running engines with their versions', async () => {
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), centosManifestList()]);
    fakeRpc.api.listEngines.mockResolvedValue([podman, docker]);
    render(DashboardPage);

    expect(await screen.findByLabelText('Bootc image count')).toHaveTextContent(/^2 bootc images/);
    const engines = within(screen.getByRole('list', { name: 'Running engines' })).getAllByRole('listitem');
    expect(engines.map(item => item.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Podman version 5.4.1',
      'Docker',
    ]);
  });

  test('an image with several tags (one row each) counts once', async () => {
    const tags = ['localhost/demo:1', '127.0.0.1:5000/demo:1'];
    fakeRpc.api.listBootcImages.mockResolvedValue([
      ...tags.map(ref => bootcImage({ ref, tags })),
      centosManifestList(),
    ]);
    fakeRpc.api.listEngines.mockResolvedValue([podman]);
    render(DashboardPage);
    expect(await screen.findByLabelText('Bootc image count')).toHaveTextContent(/^2 bootc images/);
  });

  test('one failing call does not hide the other figure', async () => {
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage()]);
    fakeRpc.api.listEngines.mockRejectedValue(new Error('listEngines did not answer within 10 s'));
    render(DashboardPage);

    expect(await screen.findByLabelText('Bootc image count')).toHaveTextContent(/^1 bootc image /);
    expect(await screen.findByRole('alert')).toHaveTextContent('listEngines did not answer within 10 s');
  });

  test('says so when no engine is running', async () => {
    fakeRpc.api.listBootcImages.mockResolvedValue([]);
    render(DashboardPage);
    expect(await screen.findByText(/No container engine is running/)).toBeInTheDocument();
    expect(await screen.findByLabelText('Bootc image count')).toHaveTextContent(/^0 bootc images/);
  });

  test('an images-changed push updates the count', async () => {
    fakeRpc.api.listBootcImages
      .mockResolvedValueOnce([bootcImage()])
      .mockResolvedValue([bootcImage(), centosManifestList()]);
    render(DashboardPage);
    expect(await screen.findByLabelText('Bootc image count')).toHaveTextContent(/^1 /);

    fakeRpc.push(PUSH_CHANNELS.imagesChanged);
    await vi.waitFor(() => expect(screen.getByLabelText('Bootc image count')).toHaveTextContent(/^2 /));
  });

  test('the buttons lead to Images and Examples', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([]);
    render(DashboardPage);

    await user.click(screen.getByRole('button', { name: 'Images' }));
    expect(router.route).toBe(ROUTES.images);
    await user.click(screen.getByRole('button', { name: 'Examples' }));
    expect(router.route).toBe(ROUTES.examples);
  });
});
