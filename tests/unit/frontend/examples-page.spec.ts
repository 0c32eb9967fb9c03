import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { parseRoute, ROUTES } from '../../../src/api/routes';
import ExamplesPage from '../../../frontend/pages/ExamplesPage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { fakeRpc, fedoraExample, httpdExample, imageOperation } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.api.listExamples.mockResolvedValue([fedoraExample(), httpdExample()]);
  router.route = ROUTES.examples;
});

async function card(name: string): Promise<HTMLElement> {
  return screen.findByRole('article', { name });
}

describe('ExamplesPage', () => {
  test('one card per example: name, description, category, image and architectures', async () => {
    render(ExamplesPage);
    const fedora = await card('Fedora bootc');
    expect(within(fedora).getByLabelText('Category')).toHaveTextContent('base image');
    expect(fedora).toHaveTextContent('The Fedora bootc base image.');
    expect(fedora).toHaveTextContent('quay.io/fedora/fedora-bootc:42');
    expect(fedora).toHaveTextContent('amd64, arm64');
    // A base image has no Containerfile to show.
    expect(within(fedora).queryByRole('button', { name: /Containerfile/ })).not.toBeInTheDocument();

    const httpd = await card('httpd on Fedora bootc');
    expect(within(httpd).getByLabelText('Category')).toHaveTextContent('example');
    expect(httpd).toHaveTextContent('quay.io/bootc-examples/httpd:latest');
  });

  test('Pull sends the platform chosen for an image with several architectures', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pullImage.mockResolvedValue('op-5');
    render(ExamplesPage);
    const fedora = await card('Fedora bootc');

    await user.click(within(fedora).getByLabelText('Platform to pull of Fedora bootc'));
    await user.click(within(fedora).getByRole('button', { name: 'linux/arm64' }));
    await user.click(within(fedora).getByRole('button', { name: 'Pull Fedora bootc' }));

    expect(fakeRpc.api.pullImage).toHaveBeenCalledWith({
      ref: 'quay.io/fedora/fedora-bootc:42',
      platform: 'linux/arm64',
    });
  });

  test('the platform offered first is the engine’s own', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listEngines.mockResolvedValue([{ id: 'p', name: 'Podman', type: 'podman', arch: 'aarch64' }]);
    fakeRpc.api.pullImage.mockResolvedValue('op-5');
    render(ExamplesPage);
    const fedora = await card('Fedora bootc');
    await waitFor(() =>
      expect(within(fedora).getByLabelText('Platform to pull of Fedora bootc')).toHaveTextContent('linux/arm64'),
    );
    await user.click(within(fedora).getByRole('button', { name: 'Pull Fedora bootc' }));
    expect(fakeRpc.api.pullImage).toHaveBeenCalledWith({
      ref: 'quay.io/fedora/fedora-bootc:42',
      platform: 'linux/arm64',
    });
  });

  test('a single-architecture image pulls that architecture, without a choice', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pullImage.mockResolvedValue('op-6');
    render(ExamplesPage);
    const httpd = await card('httpd on Fedora bootc');
    expect(within(httpd).queryByLabelText(/Platform to pull/)).not.toBeInTheDocument();
    await user.click(within(httpd).getByRole('button', { name: 'Pull the base image of httpd on Fedora bootc' }));
    expect(fakeRpc.api.pullImage).toHaveBeenCalledWith({
      ref: 'quay.io/bootc-examples/httpd:latest',
      platform: 'linux/amd64',
    });
  });

  test('a pull’s progress shows on its card, also after the page was re-created', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pullImage.mockResolvedValue('op-5');
    const pulling = imageOperation({
      id: 'op-5',
      kind: 'pull',
      ref: 'quay.io/fedora/fedora-bootc:42',
      percent: 64,
      layers: [{ id: 'deadbeef0001', status: 'Downloading', current: 64_000_000, total: 100_000_000 }],
    });
    const first = render(ExamplesPage);
    fakeRpc.setImageOperations([pulling]);
    await user.click(within(await card('Fedora bootc')).getByRole('button', { name: 'Pull Fedora bootc' }));

    const fedora = await card('Fedora bootc');
    expect(await within(fedora).findByRole('progressbar')).toHaveAttribute('aria-valuenow', '64');
    expect(within(fedora).getByRole('row', { name: 'Layer deadbeef0001' })).toHaveTextContent('64 MB / 100 MB');
    expect(within(fedora).getByRole('button', { name: 'Pull Fedora bootc' })).toBeDisabled();
    first.unmount();

    render(ExamplesPage);
    const again = await card('Fedora bootc');
    expect(await within(again).findByRole('progressbar')).toHaveAttribute('aria-valuenow', '64');
    expect(within(await card('httpd on Fedora bootc')).queryByRole('progressbar')).not.toBeInTheDocument();
  });

  test('a refused pull says why on its card', async () => {
    const user = userEvent.setup();
    fakeRpc.api.pullImage.mockRejectedValue(new Error('no container engine is running'));
    render(ExamplesPage);
    const fedora = await card('Fedora bootc');
    await user.click(within(fedora).getByRole('button', { name: 'Pull Fedora bootc' }));
    expect(await within(fedora).findByRole('alert')).toHaveTextContent(
      'Could not start the pull: no container engine is running',
    );
  });

  test('an example card says its Pull fetches the base image; a base image card just pulls', async () => {
    render(ExamplesPage);
    const httpd = await card('httpd on Fedora bootc');
    expect(
      within(httpd).getByRole('button', { name: 'Pull the base image of httpd on Fedora bootc' }),
    ).toHaveTextContent('Pull base image');
    expect(httpd).toHaveTextContent('Built from its Containerfile');
    expect(httpd).toHaveTextContent('Base image');
    const fedora = await card('Fedora bootc');
    expect(within(fedora).getByRole('button', { name: 'Pull Fedora bootc' })).toHaveTextContent(/^Pull$/);
  });

  test('a failed pull shows on the card it was started from only, and a retry replaces it', async () => {
    const user = userEvent.setup();
    const shared = { ...httpdExample(), image: 'quay.io/fedora/fedora-bootc:42' };
    fakeRpc.api.listExamples.mockResolvedValue([fedoraExample(), shared]);
    const failed = imageOperation({
      id: 'op-7',
      kind: 'pull',
      status: 'failed',
      ref: 'quay.io/fedora/fedora-bootc:42',
      error: 'Pull of quay.io/fedora/fedora-bootc:42 failed: quay.io is unreachable',
    });
    fakeRpc.api.pullImage.mockResolvedValue('op-7');
    render(ExamplesPage);
    fakeRpc.setImageOperations([failed]);
    const httpd = await card('httpd on Fedora bootc');
    await user.click(within(httpd).getByRole('button', { name: 'Pull the base image of httpd on Fedora bootc' }));
    await waitFor(() => expect(httpd).toHaveTextContent('quay.io is unreachable'));
    expect(await card('Fedora bootc')).not.toHaveTextContent('unreachable');

    const retried = imageOperation({ id: 'op-8', kind: 'pull', ref: 'quay.io/fedora/fedora-bootc:42', percent: 10 });
    fakeRpc.api.pullImage.mockResolvedValue('op-8');
    fakeRpc.setImageOperations([retried, failed]);
    await user.click(within(httpd).getByRole('button', { name: 'Pull the base image of httpd on Fedora bootc' }));
    await waitFor(() => expect(httpd).not.toHaveTextContent('unreachable'));
    expect(await card('Fedora bootc')).not.toHaveTextContent('unreachable');
  });

  test('View Containerfile shows it read-only, and Hide hides it', async () => {
    const user = userEvent.setup();
    render(ExamplesPage);
    const httpd = await card('httpd on Fedora bootc');

    await user.click(within(httpd).getByRole('button', { name: 'View the Containerfile of httpd on Fedora bootc' }));
    const code = within(httpd).getByLabelText('Containerfile of httpd on Fedora bootc');
    expect(code.textContent).toBe(httpdExample().containerfile);
    expect(within(httpd).queryByRole('textbox')).not.toBeInTheDocument();

    await user.click(within(httpd).getByRole('button', { name: 'Hide the Containerfile of httpd on Fedora bootc' }));
    expect(within(httpd).queryByLabelText('Containerfile of httpd on Fedora bootc')).not.toBeInTheDocument();
  });

  test('Save Containerfile… shows where it was saved and offers to build that folder', async () => {
    const user = userEvent.setup();
    fakeRpc.api.saveExampleContainerfile.mockResolvedValue('/home/me/httpd/Containerfile');
    render(ExamplesPage);
    const httpd = await card('httpd on Fedora bootc');

    await user.click(within(httpd).getByRole('button', { name: 'Save the Containerfile of httpd on Fedora bootc' }));

    expect(fakeRpc.api.saveExampleContainerfile).toHaveBeenCalledWith('httpd');
    expect(await within(httpd).findByRole('status')).toHaveTextContent('Saved to /home/me/httpd/Containerfile');
    await user.click(within(httpd).getByRole('button', { name: 'Build this folder' }));
    const { path, query } = parseRoute(router.route);
    expect(path).toBe(ROUTES.buildImage);
    expect(query).toEqual({ context: '/home/me/httpd' });
  });

  test('a cancelled save shows nothing; a failed one says why', async () => {
    const user = userEvent.setup();
    fakeRpc.api.saveExampleContainerfile.mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('EACCES'));
    render(ExamplesPage);
    const httpd = await card('httpd on Fedora bootc');
    const save = within(httpd).getByRole('button', { name: 'Save the Containerfile of httpd on Fedora bootc' });

    await user.click(save);
    await waitFor(() => expect(fakeRpc.api.saveExampleContainerfile).toHaveBeenCalledTimes(1));
    expect(within(httpd).queryByRole('status')).not.toBeInTheDocument();

    await user.click(save);
    expect(await within(httpd).findByRole('alert')).toHaveTextContent('Could not save the Containerfile: EACCES');
  });

  test('Build from it… saves the Containerfile, then opens the build form on its folder', async () => {
    const user = userEvent.setup();
    fakeRpc.api.saveExampleContainerfile.mockResolvedValue('/home/me/httpd/Containerfile');
    render(ExamplesPage);
    await user.click(
      within(await card('httpd on Fedora bootc')).getByRole('button', { name: 'Build from httpd on Fedora bootc' }),
    );
    await waitFor(() => expect(parseRoute(router.route).path).toBe(ROUTES.buildImage));
    expect(parseRoute(router.route).query).toEqual({ context: '/home/me/httpd' });
  });

  test('Build from it… stays put when the save is cancelled', async () => {
    const user = userEvent.setup();
    fakeRpc.api.saveExampleContainerfile.mockResolvedValue(undefined);
    render(ExamplesPage);
    await user.click(
      within(await card('httpd on Fedora bootc')).getByRole('button', { name: 'Build from httpd on Fedora bootc' }),
    );
    await waitFor(() => expect(fakeRpc.api.saveExampleContainerfile).toHaveBeenCalled());
    expect(router.route).toBe(ROUTES.examples);
  });

  test('search narrows the cards', async () => {
    const user = userEvent.setup();
    render(ExamplesPage);
    await card('Fedora bootc');
    await user.type(screen.getByRole('textbox', { name: 'search Examples' }), 'httpd');
    expect(screen.queryByRole('article', { name: 'Fedora bootc' })).not.toBeInTheDocument();
    expect(screen.getByRole('article', { name: 'httpd on Fedora bootc' })).toBeInTheDocument();
  });

  test('a catalog that cannot be read says why and can be retried', async () => {
    const user = userEvent.setup();
    fakeRpc.api.listExamples
      .mockRejectedValueOnce(new Error('examples.yaml: bad entry 3'))
      .mockResolvedValueOnce([fedoraExample()]);
    render(ExamplesPage);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not read the examples catalog: examples.yaml: bad entry 3',
    );
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await card('Fedora bootc')).toBeInTheDocument();
  });

  test('the source link opens in the browser', async () => {
    const user = userEvent.setup();
    fakeRpc.api.openExternal.mockResolvedValue(true);
    render(ExamplesPage);
    await user.click(
      within(await card('httpd on Fedora bootc')).getByRole('link', { name: 'Source of httpd on Fedora bootc' }),
    );
    expect(fakeRpc.api.openExternal).toHaveBeenCalledWith('https://example.org/httpd');
  });
});
