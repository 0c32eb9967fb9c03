/**
 * Every tag is an image row, and Delete removes only what it says: the rows of an image with three
 * tags, search over each of them, and the delete dialog naming which tags go and whether the image
 * itself does.
 */
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import type { BootcImage } from '../../../src/api/models';
import { ROUTES } from '../../../src/api/routes';
import ImagesPage from '../../../frontend/pages/ImagesPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { bootcImage, fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const ID = 'sha256:3b9fb24a51a7994c1f3f4e50c012220559f8a226cb5aec40a697a225702795ff';
const ENGINE = 'podman.podman-machine-default';
const TAGS = ['localhost/demo:1', 'localhost/demo:latest', '127.0.0.1:5000/demo:1'];
const PUSHED = '127.0.0.1:5000/demo:1';

/** The rows the backend lists for one image with `tags`: one per tag. */
function rowsOf(tags: string[], id = ID): BootcImage[] {
  return tags.map(ref => {
    const colon = ref.lastIndexOf(':');
    return bootcImage({ id, name: ref.slice(0, colon), tag: ref.slice(colon + 1), ref, tags });
  });
}

const untagged = (): BootcImage =>
  bootcImage({
    id: 'sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a0',
    name: '<none>',
    tag: '<none>',
    ref: 'sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a0',
    tags: [],
  });

beforeEach(() => {
  fakeRpc.reset();
  router.route = ROUTES.images;
  fakeRpc.api.deleteImage.mockResolvedValue({ imageId: ID, untag: [], remaining: [], removesImage: false });
});

async function openDelete(ref: string): Promise<HTMLElement> {
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: `Delete ${ref}` }));
  return screen.getByRole('dialog', { name: 'Delete image' });
}

describe('ImagesPage: one row per tag', () => {
  test('three tags are three rows, each named and searchable by its own tag; the id finds all three', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([...rowsOf(TAGS), bootcImage()]);
    render(ImagesPage);
    for (const ref of TAGS) expect(await screen.findByRole('row', { name: ref })).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: PUSHED })).getAllByRole('cell')[0]).toHaveTextContent(
      '127.0.0.1:5000/demo',
    );

    const search = screen.getByRole('textbox', { name: 'search Bootc images' });
    await user.type(search, '5000/demo');
    expect(screen.getByRole('row', { name: PUSHED })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: 'localhost/demo:1' })).not.toBeInTheDocument();

    await user.clear(search);
    await user.type(search, '3b9fb24a51a7');
    await waitFor(() => expect(screen.getAllByRole('row').filter(row => row.closest('tbody'))).toHaveLength(3));
    expect(screen.queryByRole('row', { name: 'quay.io/fedora/fedora-bootc:42' })).not.toBeInTheDocument();
  });

  test('an untagged bootc image is a <none> row, found by its id', async () => {
    const user = userEvent.setup();
    const none = untagged();
    fakeRpc.api.listBootcImages.mockResolvedValue([none, bootcImage()]);
    render(ImagesPage);
    const row = await screen.findByRole('row', { name: none.ref });
    expect(within(row).getAllByRole('cell')[0]).toHaveTextContent('<none>');
    expect(within(row).getAllByRole('cell')[0]).toHaveTextContent('9f8e7d6c5b4a');
    await user.type(screen.getByRole('textbox', { name: 'search Bootc images' }), '9f8e7d');
    expect(screen.getByRole('row', { name: none.ref })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: 'quay.io/fedora/fedora-bootc:42' })).not.toBeInTheDocument();
  });
});

describe('ImagesPage: Delete says what goes', () => {
  test('a tag of an image with others: only that tag goes, the image and its other tags stay', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue(rowsOf(TAGS));
    render(ImagesPage);
    const dialog = await openDelete('localhost/demo:latest');
    expect(dialog).toHaveTextContent(
      'Remove the tag localhost/demo:latest from Podman? Only this tag goes: the image 3b9fb24a51a7 stays, with its other tags:',
    );
    const stay = within(dialog).getByRole('list', { name: 'Tags that stay' });
    expect(
      within(stay)
        .getAllByRole('listitem')
        .map(item => item.textContent),
    ).toEqual(['localhost/demo:1', PUSHED]);
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    // The tag, never the id; with the tags the user saw, so nothing more goes if they changed.
    expect(fakeRpc.api.deleteImage).toHaveBeenCalledWith(ENGINE, 'localhost/demo:latest', TAGS);
  });

  test('the last tag: the dialog says the image itself is deleted', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue(rowsOf([PUSHED]));
    render(ImagesPage);
    const dialog = await openDelete(PUSHED);
    expect(dialog).toHaveTextContent(
      `Delete image ${PUSHED} from Podman? It is the only tag of image 3b9fb24a51a7, so the image itself is deleted. This cannot be undone.`,
    );
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(fakeRpc.api.deleteImage).toHaveBeenCalledWith(ENGINE, PUSHED, [PUSHED]);
  });

  test('the <none> row deletes the image by its id', async () => {
    const user = userEvent.setup();
    const none = untagged();
    fakeRpc.api.listBootcImages.mockResolvedValue([none]);
    render(ImagesPage);
    const dialog = await openDelete(none.ref);
    expect(dialog).toHaveTextContent(
      'Delete the untagged image 9f8e7d6c5b4a from Podman? The image itself is deleted. This cannot be undone.',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(fakeRpc.api.deleteImage).toHaveBeenCalledWith(ENGINE, none.id, []);
  });

  test('a refusal because the tags changed stays on screen', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue(rowsOf(TAGS));
    fakeRpc.api.deleteImage.mockRejectedValue(
      new Error(
        `The tags of image ${ID} changed since the list was read: they are now ${PUSHED}. Nothing was deleted.`,
      ),
    );
    render(ImagesPage);
    const dialog = await openDelete(PUSHED);
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Nothing was deleted.');
  });
});

describe('ImagesPage: empty', () => {
  test('points at its own Build image button', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listBootcImages.mockResolvedValue([]);
    render(ImagesPage);
    await user.click(await screen.findByRole('link', { name: 'Build image' }));
    expect(router.route).toBe(ROUTES.buildImage);
  });
});
