import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import type { BootcImage } from '../../../src/api/models';
import { parseRoute, ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import ImagesPage from '../../../frontend/pages/ImagesPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, centosManifestList, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const FEDORA_REF = 'quay.io/fedora/fedora-bootc:42';
const CENTOS_REF = 'quay.io/centos-bootc/centos-bootc:stream10';

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => (resolve = r));
  return { promise, resolve };
}

beforeEach(() => {
  fakeRpc.reset();
  router.route = ROUTES.images;
});

describe('ImagesPage', () => {
  test('shows one row per bootc image with name, tag, arch, size, age and engine', async () => {
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), centosManifestList()]);
    render(ImagesPage);

    const fedora = await screen.findByRole('row', { name: FEDORA_REF });
    const cells = within(fedora).getAllByRole('cell');
    expect(cells[0]).toHaveTextContent('quay.io/fedora/fedora-bootc');
    expect(within(cells[0]).getByText('quay.io/fedora/fedora-bootc')).toHaveAttribute('title', FEDORA_REF);
    expect(cells[0]).toHaveTextContent('3f2b9c1d0e8a');
    expect(cells[1]).toHaveTextContent('42');
    expect(cells[2]).toHaveTextContent('amd64');
    expect(cells[3]).toHaveTextContent('1.8 GB');
    expect(cells[4]).toHaveTextContent('3 days');
    expect(cells[5]).toHaveTextContent('Podman');

    const centos = screen.getByRole('row', { name: CENTOS_REF });
    expect(within(centos).getAllByRole('cell')[4]).toHaveTextContent('5 minutes');
    expect(within(centos).getAllByRole('cell')[5]).toHaveTextContent('Docker');
  });

  test('a manifest list is marked and shows all its architectures', async () => {
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), centosManifestList()]);
    render(ImagesPage);

    const archCell = within(await screen.findByRole('row', { name: CENTOS_REF })).getAllByRole('cell')[2];
    expect(archCell).toHaveTextContent('manifest list');
    expect(archCell).toHaveTextContent('amd64, arm64, ppc64le');
    expect(within(screen.getByRole('row', { name: FEDORA_REF })).getAllByRole('cell')[2]).not.toHaveTextContent(
      'manifest list',
    );
  });

  test('shows a spinner while the images load', () => {
    fakeRpc.api.listBootcImages.mockReturnValue(new Promise(() => {}));
    render(ImagesPage);
    expect(screen.getByRole('status', { name: 'Loading bootc images' })).toBeInTheDocument();
  });

  test('search filters rows by name, tag, arch and engine', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), centosManifestList()]);
    render(ImagesPage);
    await screen.findByRole('row', { name: FEDORA_REF });
    const search = screen.getByRole('textbox', { name: 'search Bootc images' });

    await user.type(search, 'arm64');
    expect(screen.queryByRole('row', { name: FEDORA_REF })).not.toBeInTheDocument();
    expect(screen.getByRole('row', { name: CENTOS_REF })).toBeInTheDocument();

    await user.clear(search);
    await user.type(search, 'podman');
    expect(screen.getByRole('row', { name: FEDORA_REF })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: CENTOS_REF })).not.toBeInTheDocument();
  });

  test('a search that matches nothing says so and can be cleared', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), centosManifestList()]);
    render(ImagesPage);
    await screen.findByRole('row', { name: FEDORA_REF });

    await user.type(screen.getByRole('textbox', { name: 'search Bootc images' }), 'ubuntu');
    expect(screen.getByText("No bootc images matching 'ubuntu' found")).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.queryByText(/FROM quay.io\/fedora\/fedora-bootc:42/)).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Clear filter' }));
    expect(screen.getByRole('row', { name: FEDORA_REF })).toBeInTheDocument();
    expect(screen.getByRole('row', { name: CENTOS_REF })).toBeInTheDocument();
  });

  test('with no bootc images, explains how to get one and links to the examples', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([]);
    render(ImagesPage);

    const containerfile = await screen.findByLabelText('Example Containerfile');
    expect(containerfile.textContent).toMatch(/^FROM quay\.io\/fedora\/fedora-bootc:42\n/);
    expect(screen.getByLabelText('Example build command')).toHaveTextContent(/^podman build -t \S+ \.$/);
    expect(screen.queryByRole('table')).not.toBeInTheDocument();

    await user.click(screen.getByRole('link', { name: 'Examples' }));
    expect(router.route).toBe(ROUTES.examples);
  });

  test('an error shows its message, and Retry fetches again', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages
      .mockRejectedValueOnce(new Error('connect ENOENT /run/podman/podman.sock'))
      .mockResolvedValueOnce([bootcImage()]);
    render(ImagesPage);

    expect(await screen.findByRole('alert')).toHaveTextContent('connect ENOENT /run/podman/podman.sock');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('row', { name: FEDORA_REF })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(fakeRpc.api.listBootcImages).toHaveBeenCalledTimes(2);
  });

  test('Build Disk Image opens the build form for that image and engine', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), centosManifestList()]);
    render(ImagesPage);

    await user.click(await screen.findByRole('button', { name: `Build Disk Image from ${CENTOS_REF}` }));

    const { path, query } = parseRoute(router.route);
    expect(path).toBe(ROUTES.buildDiskImage);
    expect(query).toEqual({ image: CENTOS_REF, engine: 'docker.default' });
    // Saved, so the page comes back there after Podman Desktop re-creates the webview.
    expect(fakeRpc.setState).toHaveBeenLastCalledWith(expect.objectContaining({ route: router.route }));
  });

  test('an images-changed push re-fetches once per burst', async () => {
    const newer = bootcImage({ name: 'quay.io/me/my-os', tag: 'v2', ref: 'quay.io/me/my-os:v2' });
    fakeRpc.api.listBootcImages.mockResolvedValueOnce([bootcImage()]).mockResolvedValue([bootcImage(), newer]);
    render(ImagesPage);
    await screen.findByRole('row', { name: FEDORA_REF });
    expect(screen.queryByRole('row', { name: 'quay.io/me/my-os:v2' })).not.toBeInTheDocument();

    fakeRpc.push(PUSH_CHANNELS.imagesChanged);
    fakeRpc.push(PUSH_CHANNELS.imagesChanged);
    fakeRpc.push(PUSH_CHANNELS.imagesChanged);

    expect(await screen.findByRole('row', { name: 'quay.io/me/my-os:v2' })).toBeInTheDocument();
    expect(fakeRpc.api.listBootcImages).toHaveBeenCalledTimes(2);
  });

  test('other pushes do not re-fetch, and leaving the page stops listening', async () => {
    fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage()]);
    const { unmount } = render(ImagesPage);
    await screen.findByRole('row', { name: FEDORA_REF });
    expect(fakeRpc.listenerCount(PUSH_CHANNELS.imagesChanged)).toBe(1);

    fakeRpc.push(PUSH_CHANNELS.routePending);
    fakeRpc.push(PUSH_CHANNELS.imagesChanged);
    unmount();

    expect(fakeRpc.listenerCount(PUSH_CHANNELS.imagesChanged)).toBe(0);
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(fakeRpc.api.listBootcImages).toHaveBeenCalledTimes(1);
  });

  test('a slow, older answer does not overwrite a newer one', async () => {
    const first = deferred<BootcImage[]>();
    fakeRpc.api.listBootcImages.mockReturnValueOnce(first.promise).mockResolvedValueOnce([centosManifestList()]);
    render(ImagesPage);

    fakeRpc.push(PUSH_CHANNELS.imagesChanged);
    await screen.findByRole('row', { name: CENTOS_REF });
    first.resolve([bootcImage()]);

    await waitFor(() => expect(fakeRpc.api.listBootcImages).toHaveBeenCalledTimes(2));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(screen.getByRole('row', { name: CENTOS_REF })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: FEDORA_REF })).not.toBeInTheDocument();
  });
});
