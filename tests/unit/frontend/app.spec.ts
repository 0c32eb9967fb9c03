import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { buildFormRoute, ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import App from '../../../frontend/App.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, diskBuildJob, diskBuildRecord, fakeRpc, fedoraExample } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const NAV = ['Dashboard', 'Images', 'Disk Images', 'Virtual Machines', 'Examples'];

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage()]);
  router.route = ROUTES.dashboard;
});

function navLink(name: string): HTMLElement {
  return screen.getByRole('link', { name });
}

describe('App', () => {
  test('the navigation lists every section and marks the current one', async () => {
    render(App);
    const nav = screen.getByRole('navigation', { name: 'Bootc Studio' });
    expect([...nav.querySelectorAll('a')].map(a => a.textContent?.trim())).toEqual(NAV);
    expect(navLink('Dashboard')).toHaveAttribute('aria-current', 'page');
    expect(navLink('Images')).not.toHaveAttribute('aria-current');
    expect(await screen.findByLabelText('Bootc image count')).toBeInTheDocument();
  });

  test('following a navigation link shows its page, by mouse or keyboard', async () => {
    const user = userEvent.setup();
    render(App);

    await user.click(navLink('Images'));
    expect(await screen.findByRole('heading', { name: 'Bootc images' })).toBeInTheDocument();
    expect(navLink('Images')).toHaveAttribute('aria-current', 'page');
    expect(navLink('Dashboard')).not.toHaveAttribute('aria-current');
    expect(fakeRpc.setState).toHaveBeenLastCalledWith({ route: ROUTES.images });

    navLink('Virtual Machines').focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { name: 'Virtual machines' })).toBeInTheDocument();
    expect(navLink('Virtual Machines')).toHaveAttribute('aria-current', 'page');
  });

  test('Disk Images lists the builds, no longer a placeholder; its Build button opens the form', async () => {
    const user = userEvent.setup();
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord())]);
    render(App);
    await user.click(navLink('Disk Images'));
    expect(await screen.findByRole('heading', { name: 'Disk images' })).toBeInTheDocument();
    expect(await screen.findByRole('table', { name: 'Disk image builds' })).toBeInTheDocument();
    expect(screen.queryByText('Coming soon')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Build' }));
    expect(await screen.findByRole('heading', { name: 'Build disk image' })).toBeInTheDocument();
    expect(navLink('Disk Images')).toHaveAttribute('aria-current', 'page');
  });

  test('a build’s details are a page of their own, still under Disk Images', async () => {
    fakeRpc.getState.mockReturnValue({ route: `${ROUTES.diskImageDetails}?build=build-1` });
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord())]);
    render(App);
    expect(await screen.findByRole('region', { name: 'Summary' })).toBeInTheDocument();
    expect(fakeRpc.api.getJob).toHaveBeenCalledWith('build-1');
    expect(navLink('Disk Images')).toHaveAttribute('aria-current', 'page');
  });

  test('Examples shows the catalog, no longer a placeholder', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listExamples.mockResolvedValue([fedoraExample()]);
    render(App);
    await user.click(navLink('Examples'));
    expect(await screen.findByRole('heading', { name: 'Examples' })).toBeInTheDocument();
    expect(await screen.findByRole('article', { name: 'Fedora bootc' })).toBeInTheDocument();
    expect(screen.queryByText('Coming soon')).not.toBeInTheDocument();
  });

  test('Build image on the Images page opens the build form, still under Images', async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(navLink('Images'));
    await user.click(await screen.findByRole('button', { name: 'Build image' }));
    expect(await screen.findByRole('form', { name: 'Build image' })).toBeInTheDocument();
    expect(navLink('Images')).toHaveAttribute('aria-current', 'page');
    expect(fakeRpc.setState).toHaveBeenLastCalledWith({ route: ROUTES.buildImage });
  });

  test('restores the saved route when the webview is re-created', async () => {
    fakeRpc.getState.mockReturnValue({ route: ROUTES.images });
    render(App);
    expect(await screen.findByRole('row', { name: 'quay.io/fedora/fedora-bootc:42' })).toBeInTheDocument();
    expect(navLink('Images')).toHaveAttribute('aria-current', 'page');
  });

  test('follows a pending deep link to the build form, with the deep-linked image chosen', async () => {
    fakeRpc.getState.mockReturnValue({ route: ROUTES.images });
    fakeRpc.api.takePendingRoute.mockResolvedValueOnce(buildFormRoute('quay.io/fedora/fedora-bootc:42', 'podman'));
    render(App);

    expect(await screen.findByRole('heading', { name: 'Build disk image' })).toBeInTheDocument();
    expect(screen.getByLabelText('Image')).toHaveTextContent('quay.io/fedora/fedora-bootc:42');
    await vi.waitFor(() =>
      expect(fakeRpc.api.describeImageForBuild).toHaveBeenCalledWith('podman', 'quay.io/fedora/fedora-bootc:42'),
    );
    expect(navLink('Disk Images')).toHaveAttribute('aria-current', 'page');
  });

  test('a route-pending push while the page is open navigates there', async () => {
    render(App);
    await vi.waitFor(() => expect(fakeRpc.api.takePendingRoute).toHaveBeenCalledTimes(1));

    fakeRpc.api.takePendingRoute.mockResolvedValueOnce(buildFormRoute('localhost/my-os:latest'));
    fakeRpc.push(PUSH_CHANNELS.routePending);

    expect(await screen.findByRole('heading', { name: 'Build disk image' })).toBeInTheDocument();
    expect(screen.getByLabelText('Image')).toHaveTextContent('localhost/my-os:latest');
  });

  test('a second deep link while the form is open gives a fresh form for the new image', async () => {
    fakeRpc.api.takePendingRoute.mockResolvedValueOnce(buildFormRoute('quay.io/fedora/fedora-bootc:42'));
    const user = userEvent.setup();
    render(App);
    const folder = await screen.findByLabelText('Output folder');
    await user.type(folder, '/tmp/x');

    fakeRpc.api.takePendingRoute.mockResolvedValueOnce(buildFormRoute('localhost/my-os:latest'));
    fakeRpc.push(PUSH_CHANNELS.routePending);

    await vi.waitFor(() => expect(screen.getByLabelText('Image')).toHaveTextContent('localhost/my-os:latest'));
    expect(screen.getByLabelText('Output folder')).toHaveValue('');
  });

  test('the Images page’s Build Disk Image action opens the build form for that image', async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(navLink('Images'));
    await user.click(await screen.findByRole('button', { name: /^Build Disk Image from quay.io\/fedora/ }));

    expect(await screen.findByRole('heading', { name: 'Build disk image' })).toBeInTheDocument();
    expect(screen.getByLabelText('Image')).toHaveTextContent('quay.io/fedora/fedora-bootc:42');
    await vi.waitFor(() =>
      expect(fakeRpc.api.describeImageForBuild).toHaveBeenCalledWith(
        'podman.podman-machine-default',
        'quay.io/fedora/fedora-bootc:42',
      ),
    );
  });
});
