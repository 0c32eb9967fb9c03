import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { parseRoute, ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import ImagesPage from '../../../frontend/pages/ImagesPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, fakeRpc, imageOperation, refusal } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const FEDORA_REF = 'quay.io/fedora/fedora-bootc:42';
const LOCAL_REF = 'localhost/my-os:latest';
const ENGINE = 'podman.podman-machine-default';
const local = () =>
  bootcImage({ id: 'sha256:0123456789abcdef', name: 'localhost/my-os', tag: 'latest', ref: LOCAL_REF });

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.api.listBootcImages.mockResolvedValue([bootcImage(), local()]);
  router.route = ROUTES.images;
});

async function openPush(ref: string): Promise<HTMLElement> {
  const user = userEvent.setup();
  render(ImagesPage);
  await user.click(await screen.findByRole('button', { name: `Push ${ref}` }));
  return screen.getByRole('dialog', { name: 'Push image' });
}

describe('ImagesPage: Build image and Pull image', () => {
  test('Build image opens the build form', async () => {
    const user = userEvent.setup();
    render(ImagesPage);
    await user.click(screen.getByRole('button', { name: 'Build image' }));
    expect(router.route).toBe(ROUTES.buildImage);
  });

  test('Pull image asks for a reference and a platform, sends them, then shows the pull', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pullImage.mockResolvedValue('op-3');
    fakeRpc.setImageOperations([
      imageOperation({ id: 'op-3', kind: 'pull', ref: 'quay.io/centos-bootc/centos-bootc:stream10', percent: 10 }),
    ]);
    render(ImagesPage);
    await user.click(screen.getByRole('button', { name: 'Pull image' }));
    const dialog = screen.getByRole('dialog', { name: 'Pull image' });
    const pull = within(dialog).getByRole('button', { name: 'Pull' });
    expect(pull).toBeDisabled();

    await user.type(within(dialog).getByLabelText('Image reference'), 'Not A Ref');
    expect(dialog).toHaveTextContent('not an image reference');
    expect(pull).toBeDisabled();
    await user.clear(within(dialog).getByLabelText('Image reference'));
    await user.type(within(dialog).getByLabelText('Image reference'), 'quay.io/centos-bootc/centos-bootc:stream10');
    await user.click(within(dialog).getByLabelText('Platform'));
    await user.click(within(dialog).getByRole('button', { name: 'linux/arm64' }));
    await user.click(pull);

    expect(fakeRpc.api.pullImage).toHaveBeenCalledWith({
      ref: 'quay.io/centos-bootc/centos-bootc:stream10',
      platform: 'linux/arm64',
    });
    expect(parseRoute(router.route).query).toEqual({ operation: 'op-3' });
    const progress = await screen.findByRole('dialog', { name: 'Pull image' });
    expect(await within(progress).findByLabelText('Status')).toHaveTextContent('Pulling');
    expect(within(progress).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '10');
  });
});

describe('ImagesPage: Push', () => {
  test('the dialog is pre-filled with the image’s reference and verifies TLS for a remote registry', async () => {
    const dialog = await openPush(FEDORA_REF);
    expect(within(dialog).getByLabelText('Image reference')).toHaveValue(FEDORA_REF);
    expect(within(dialog).getByLabelText('Image reference')).toHaveFocus();
    expect(within(dialog).getByRole('checkbox', { name: 'Verify TLS' })).toBeChecked();
    expect(within(dialog).queryByRole('group', { name: 'Tag for a registry' })).not.toBeInTheDocument();
    expect(dialog).toHaveTextContent(/credentials saved in its registry settings apply/);
  });

  test('a localhost/ image is explained, tagged for a registry, then pushed with TLS off for a local registry', async () => {
    const user = userEvent.setup();
    fakeRpc.api.tagImage.mockResolvedValue();
    fakeRpc.api.pushImage.mockResolvedValue('op-2');
    const dialog = await openPush(LOCAL_REF);

    const tagGroup = within(dialog).getByRole('group', { name: 'Tag for a registry' });
    expect(tagGroup).toHaveTextContent('a virtual machine cannot bootc upgrade from it');
    const tagButton = within(tagGroup).getByRole('button', { name: 'Tag' });
    expect(tagButton).toBeDisabled();
    await user.type(within(tagGroup).getByLabelText('New reference'), '127.0.0.1:5000/my-os:1');
    await user.click(tagButton);

    expect(fakeRpc.api.tagImage).toHaveBeenCalledWith(ENGINE, LOCAL_REF, '127.0.0.1:5000/my-os:1');
    await waitFor(() => expect(within(dialog).getByLabelText('Image reference')).toHaveValue('127.0.0.1:5000/my-os:1'));
    expect(within(dialog).getByRole('status')).toHaveTextContent(`Tagged ${LOCAL_REF} as 127.0.0.1:5000/my-os:1.`);
    expect(within(dialog).queryByRole('group', { name: 'Tag for a registry' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('checkbox', { name: 'Verify TLS' })).not.toBeChecked();

    await user.click(within(dialog).getByRole('button', { name: 'Push' }));
    expect(fakeRpc.api.pushImage).toHaveBeenCalledWith({
      ref: '127.0.0.1:5000/my-os:1',
      engineId: ENGINE,
      tlsVerify: false,
    });
    expect(parseRoute(router.route).query).toEqual({ operation: 'op-2' });
  });

  test('a new reference that names no registry is refused before tagging', async () => {
    const user = userEvent.setup();
    const dialog = await openPush(LOCAL_REF);
    const tagGroup = within(dialog).getByRole('group', { name: 'Tag for a registry' });
    await user.type(within(tagGroup).getByLabelText('New reference'), 'localhost/other:1');
    expect(tagGroup).toHaveTextContent('name a registry');
    expect(within(tagGroup).getByRole('button', { name: 'Tag' })).toBeDisabled();
  });

  test('a refused tag says why and leaves the reference alone', async () => {
    const user = userEvent.setup();
    fakeRpc.api.tagImage.mockRejectedValue(new Error('image not known'));
    const dialog = await openPush(LOCAL_REF);
    const tagGroup = within(dialog).getByRole('group', { name: 'Tag for a registry' });
    await user.type(within(tagGroup).getByLabelText('New reference'), 'quay.io/me/my-os:1');
    await user.click(within(tagGroup).getByRole('button', { name: 'Tag' }));
    expect(await within(tagGroup).findByText('image not known')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Image reference')).toHaveValue(LOCAL_REF);
  });

  test('credentials go with the push; half of them is flagged', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pushImage.mockResolvedValue('op-2');
    const dialog = await openPush(FEDORA_REF);
    const push = within(dialog).getByRole('button', { name: 'Push' });

    await user.type(within(dialog).getByLabelText('User name'), 'me');
    expect(dialog).toHaveTextContent('a password is required with a user name');
    expect(push).toBeDisabled();
    await user.type(within(dialog).getByLabelText('Password'), 's3cret');
    expect(within(dialog).getByLabelText('Password')).toHaveAttribute('type', 'password');
    await user.click(within(dialog).getByRole('checkbox', { name: 'Verify TLS' }));
    await user.click(push);

    expect(fakeRpc.api.pushImage).toHaveBeenCalledWith({
      ref: FEDORA_REF,
      engineId: ENGINE,
      tlsVerify: false,
      credentials: { username: 'me', password: 's3cret' },
    });
  });

  test('a push shows its overall percent and each layer', async () => {
    router.route = `${ROUTES.images}?operation=op-2`;
    fakeRpc.setImageOperations([
      imageOperation({
        id: 'op-2',
        kind: 'push',
        ref: 'quay.io/me/my-os:1',
        percent: 42,
        layers: [
          { id: 'a1b2c3d4e5f6', status: 'Pushing', current: 5_000_000, total: 12_000_000 },
          { id: '0f9e8d7c6b5a', status: 'Layer already exists' },
        ],
      }),
    ]);
    render(ImagesPage);

    const dialog = await screen.findByRole('dialog', { name: 'Push image' });
    expect(await within(dialog).findByRole('progressbar')).toHaveAttribute('aria-valuenow', '42');
    expect(within(dialog).getByLabelText('Overall progress')).toHaveTextContent('42%');
    const first = within(dialog).getByRole('row', { name: 'Layer a1b2c3d4e5f6' });
    expect(
      within(first)
        .getAllByRole('cell')
        .map(cell => cell.textContent),
    ).toEqual(['a1b2c3d4e5f6', 'Pushing', '5 MB / 12 MB']);
    expect(within(dialog).getByRole('row', { name: 'Layer 0f9e8d7c6b5a' })).toHaveTextContent('Layer already exists');
    expect(within(dialog).getByRole('button', { name: 'Cancel push' })).toBeInTheDocument();
  });

  test('progress moves on when the backend says the operation changed, and the end state is shown', async () => {
    router.route = `${ROUTES.images}?operation=op-2`;
    const running = imageOperation({ id: 'op-2', kind: 'push', percent: 10, layers: [] });
    fakeRpc.setImageOperations([running]);
    render(ImagesPage);
    const dialog = await screen.findByRole('dialog', { name: 'Push image' });
    expect(await within(dialog).findByRole('progressbar')).toHaveAttribute('aria-valuenow', '10');

    fakeRpc.setImageOperations([{ ...running, status: 'succeeded', percent: 100, ended: Date.now() }]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);

    await waitFor(() => expect(within(dialog).getByLabelText('Status')).toHaveTextContent('Pushed'));
    expect(within(dialog).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
    expect(within(dialog).queryByRole('button', { name: 'Cancel push' })).not.toBeInTheDocument();
  });

  test('a failed push shows the registry’s refusal as one message', async () => {
    router.route = `${ROUTES.images}?operation=op-2`;
    fakeRpc.setImageOperations([
      imageOperation({
        id: 'op-2',
        kind: 'push',
        status: 'failed',
        error: 'authentication required: the registry quay.io refused the push of quay.io/me/my-os:1',
      }),
    ]);
    render(ImagesPage);
    const dialog = await screen.findByRole('dialog', { name: 'Push image' });
    expect(await within(dialog).findByRole('alert', { name: 'Why it failed' })).toHaveTextContent(
      'authentication required: the registry quay.io refused the push of quay.io/me/my-os:1',
    );
  });

  test('a push the backend refuses to start is shown in the dialog', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pushImage.mockRejectedValue(refusal({ ref: 'not an image reference' }));
    const dialog = await openPush(FEDORA_REF);
    await user.click(within(dialog).getByRole('button', { name: 'Push' }));
    expect(
      await within(dialog).findByText('Could not start the push: ref: not an image reference'),
    ).toBeInTheDocument();
    expect(router.route).not.toContain('operation');
  });

  test('closing the dialog leaves the push running and listed', async () => {
    const user = userEvent.setup();
    router.route = `${ROUTES.images}?operation=op-2`;
    fakeRpc.setImageOperations([imageOperation({ id: 'op-2', kind: 'push', ref: 'quay.io/me/my-os:1', percent: 30 })]);
    render(ImagesPage);
    const dialog = await screen.findByRole('dialog', { name: 'Push image' });
    await user.click(within(dialog).getAllByRole('button', { name: 'Close' })[0]!);

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(router.route).toBe(ROUTES.images);
    expect(fakeRpc.api.cancelJob).not.toHaveBeenCalled();
    const listed = within(screen.getByRole('region', { name: 'Image operations' })).getByRole('listitem', {
      name: 'Push quay.io/me/my-os:1',
    });
    expect(listed).toHaveTextContent('Running');
    await user.click(within(listed).getByRole('button', { name: 'Open push of quay.io/me/my-os:1' }));
    expect(screen.getByRole('dialog', { name: 'Push image' })).toBeInTheDocument();
  });
});

describe('ImagesPage: recent operations', () => {
  test('lists the session’s operations; a build opens on the build page', async () => {
    const user = userEvent.setup();
    fakeRpc.setImageOperations([
      imageOperation({ id: 'op-9', kind: 'build', ref: 'quay.io/me/my-os:2' }),
      imageOperation({ id: 'op-8', kind: 'pull', status: 'failed', ref: 'quay.io/x/y:1' }),
    ]);
    render(ImagesPage);
    const list = await screen.findByRole('region', { name: 'Image operations' });
    const items = await within(list).findAllByRole('listitem');
    expect(items.map(item => item.getAttribute('aria-label'))).toEqual([
      'Build quay.io/me/my-os:2',
      'Pull quay.io/x/y:1',
    ]);
    expect(items[1]).toHaveTextContent('Failed');

    await user.click(within(list).getByRole('button', { name: 'Open build of quay.io/me/my-os:2' }));
    expect(router.route).toBe(`${ROUTES.buildImage}?operation=op-9`);
  });

  test('with no operations there is no section', async () => {
    render(ImagesPage);
    await screen.findByRole('row', { name: FEDORA_REF });
    await waitFor(() => expect(fakeRpc.api.listJobs).toHaveBeenCalled());
    expect(screen.queryByRole('region', { name: 'Image operations' })).not.toBeInTheDocument();
  });
});

describe('ImagesPage: Delete', () => {
  test('asks first; Delete deletes the image on its engine and re-reads the list', async () => {
    const user = userEvent.setup();
    fakeRpc.api.deleteImage.mockResolvedValue({
      imageId: 'sha256:0123456789abcdef',
      untag: [LOCAL_REF],
      remaining: [],
      removesImage: true,
    });
    render(ImagesPage);
    await user.click(await screen.findByRole('button', { name: `Delete ${LOCAL_REF}` }));

    const dialog = screen.getByRole('dialog', { name: 'Delete image' });
    expect(dialog).toHaveTextContent(`Delete image ${LOCAL_REF} from Podman?`);
    expect(dialog).toHaveTextContent('This cannot be undone.');
    expect(fakeRpc.api.deleteImage).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));

    expect(fakeRpc.api.deleteImage).toHaveBeenCalledWith(ENGINE, LOCAL_REF, [LOCAL_REF]);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(fakeRpc.api.listBootcImages).toHaveBeenCalledTimes(2);
  });

  test('the keyboard starts on Cancel, so Enter alone deletes nothing', async () => {
    const user = userEvent.setup();
    render(ImagesPage);
    await user.click(await screen.findByRole('button', { name: `Delete ${LOCAL_REF}` }));
    const dialog = screen.getByRole('dialog', { name: 'Delete image' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(fakeRpc.api.deleteImage).not.toHaveBeenCalled();
  });

  test('Cancel deletes nothing', async () => {
    const user = userEvent.setup();
    render(ImagesPage);
    await user.click(await screen.findByRole('button', { name: `Delete ${LOCAL_REF}` }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Delete image' })).getByRole('button', { name: 'Cancel' }),
    );
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(fakeRpc.api.deleteImage).not.toHaveBeenCalled();
  });

  test('Escape deletes nothing', async () => {
    const user = userEvent.setup();
    render(ImagesPage);
    await user.click(await screen.findByRole('button', { name: `Delete ${LOCAL_REF}` }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(fakeRpc.api.deleteImage).not.toHaveBeenCalled();
  });

  test('a refusal is shown and the dialog stays', async () => {
    const user = userEvent.setup();
    fakeRpc.api.deleteImage.mockRejectedValue(
      new Error('image is in use by container 3c2b1a0f9e8d (my-os-test): stop and remove it first'),
    );
    render(ImagesPage);
    await user.click(await screen.findByRole('button', { name: `Delete ${LOCAL_REF}` }));
    const dialog = screen.getByRole('dialog', { name: 'Delete image' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Could not delete the image: image is in use by container 3c2b1a0f9e8d (my-os-test): stop and remove it first',
    );
    expect(screen.getByRole('dialog', { name: 'Delete image' })).toBeInTheDocument();
  });
});
