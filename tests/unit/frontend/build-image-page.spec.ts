import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { parseRoute, ROUTES } from '../../../src/api/routes';
import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import App from '../../../frontend/App.svelte';
import BuildImagePage from '../../../frontend/pages/BuildImagePage.svelte';
import { router } from '../../../frontend/stores/app-router';
import { fakeRpc, imageOperation, refusal } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const OPERATION_ROUTE = `${ROUTES.buildImage}?operation=op-1`;

beforeEach(() => {
  fakeRpc.reset();
  router.route = ROUTES.buildImage;
});

/** The text shown with a field: its ui-svelte Input wrapper holds the input and its message. */
function besideField(label: string): string {
  const input = screen.getByLabelText(label);
  return input.closest('div.flex-col')?.textContent ?? '';
}

async function fillValidForm(user: ReturnType<typeof userEvent.setup>): Promise<void> {
  fakeRpc.api.selectFolder.mockResolvedValue('/home/me/my-os');
  fakeRpc.api.detectContainerfile.mockResolvedValue('Containerfile');
  await user.click(screen.getByRole('button', { name: 'Browse…' }));
  await waitFor(() => expect(screen.getByLabelText('Containerfile')).toHaveValue('Containerfile'));
  await user.type(screen.getByLabelText('Image name'), 'quay.io/me/my-os:1');
}

describe('BuildImagePage: the form', () => {
  test('an untouched form shows no messages, and Build is disabled', async () => {
    render(BuildImagePage);
    expect(screen.getByRole('heading', { name: 'Build image' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();
    expect(screen.queryByText(/not an image reference/)).not.toBeInTheDocument();
    expect(screen.queryByText('choose the folder to build from')).not.toBeInTheDocument();
  });

  test('a bad image name is flagged next to the field as the user types, and cleared when fixed', async () => {
    const user = userEvent.setup();
    render(BuildImagePage);
    const tag = screen.getByLabelText('Image name');

    await user.type(tag, 'Quay.io/Me/OS');
    expect(besideField('Image name')).toMatch(/not an image reference: use \[registry\/\]name\[:tag\], lower-case/);
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();

    await user.clear(tag);
    await user.type(tag, 'quay.io/me/os:1');
    expect(besideField('Image name')).not.toMatch(/not an image reference/);
  });

  test('an emptied folder field asks for the folder', async () => {
    const user = userEvent.setup();
    render(BuildImagePage);
    const folder = screen.getByLabelText('Context folder');
    await user.type(folder, '/x');
    expect(besideField('Context folder')).not.toContain('choose the folder to build from');
    await user.clear(folder);
    expect(besideField('Context folder')).toContain('choose the folder to build from');
  });

  test('unchecking every platform says to choose one and disables Build', async () => {
    const user = userEvent.setup();
    render(BuildImagePage);
    await fillValidForm(user);
    const build = screen.getByRole('button', { name: 'Build' });
    await waitFor(() => expect(build).toBeEnabled());
    expect(screen.getByRole('checkbox', { name: 'linux/amd64' })).toBeChecked();

    await user.click(screen.getByRole('checkbox', { name: 'linux/amd64' }));

    expect(screen.getByRole('alert', { name: 'Platforms error' })).toHaveTextContent('choose at least one platform');
    expect(build).toBeDisabled();

    await user.click(screen.getByRole('checkbox', { name: 'linux/arm64' }));
    expect(screen.queryByRole('alert', { name: 'Platforms error' })).not.toBeInTheDocument();
    expect(build).toBeEnabled();
  });

  test('a bad build-argument name is flagged on its row, and a removed row takes its error away', async () => {
    const user = userEvent.setup();
    render(BuildImagePage);
    await fillValidForm(user);
    const build = screen.getByRole('button', { name: 'Build' });
    await waitFor(() => expect(build).toBeEnabled());

    await user.click(screen.getByRole('button', { name: 'Add build argument' }));
    // An empty row is not an error: it is left out.
    expect(build).toBeEnabled();
    await user.type(screen.getByLabelText('Build argument 1 name'), '1VERSION');

    expect(besideField('Build argument 1 name')).toContain(
      'a build argument name is letters, digits and _, not starting with a digit',
    );
    expect(build).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Remove build argument 1' }));
    expect(screen.queryByText(/a build argument name is/)).not.toBeInTheDocument();
    expect(build).toBeEnabled();
  });

  test('a build argument named twice is flagged on the second row', async () => {
    const user = userEvent.setup();
    render(BuildImagePage);
    await fillValidForm(user);
    await user.click(screen.getByRole('button', { name: 'Add build argument' }));
    await user.click(screen.getByRole('button', { name: 'Add build argument' }));
    await user.type(screen.getByLabelText('Build argument 1 name'), 'VERSION');
    await user.type(screen.getByLabelText('Build argument 2 name'), 'VERSION');

    expect(besideField('Build argument 1 name')).not.toContain('already set');
    expect(besideField('Build argument 2 name')).toContain('this build argument is already set above');
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();
  });

  test('Browse fills the folder and the Containerfile found in it', async () => {
    const user = userEvent.setup();
    fakeRpc.api.selectFolder.mockResolvedValue('/home/me/httpd');
    fakeRpc.api.detectContainerfile.mockResolvedValue('Dockerfile');
    render(BuildImagePage);

    await user.click(screen.getByRole('button', { name: 'Browse…' }));

    expect(fakeRpc.api.selectFolder).toHaveBeenCalledWith('Folder to build from', undefined);
    await waitFor(() => expect(screen.getByLabelText('Containerfile')).toHaveValue('Dockerfile'));
    expect(screen.getByLabelText('Context folder')).toHaveValue('/home/me/httpd');
    expect(fakeRpc.api.detectContainerfile).toHaveBeenCalledWith('/home/me/httpd');
  });

  test('a cancelled folder dialog changes nothing', async () => {
    const user = userEvent.setup();
    fakeRpc.api.selectFolder.mockResolvedValue(undefined);
    render(BuildImagePage);
    await user.click(screen.getByRole('button', { name: 'Browse…' }));
    await waitFor(() => expect(fakeRpc.api.selectFolder).toHaveBeenCalled());
    expect(screen.getByLabelText('Context folder')).toHaveValue('');
    expect(fakeRpc.api.detectContainerfile).not.toHaveBeenCalled();
  });

  test('typing a folder looks for its Containerfile once the typing stops, and says when there is none', async () => {
    const user = userEvent.setup();
    fakeRpc.api.detectContainerfile.mockResolvedValue(undefined);
    render(BuildImagePage);

    await user.type(screen.getByLabelText('Context folder'), '/srv/empty');
    await user.type(screen.getByLabelText('Image name'), 'quay.io/me/os:1');

    await waitFor(() => expect(fakeRpc.api.detectContainerfile).toHaveBeenCalledWith('/srv/empty'));
    expect(fakeRpc.api.detectContainerfile).toHaveBeenCalledTimes(1);
    expect(await screen.findByText(/no Containerfile or Dockerfile in this folder/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();

    // The user names the file by hand: the form is buildable.
    await user.type(screen.getByLabelText('Containerfile'), 'build/Containerfile');
    expect(screen.queryByText(/no Containerfile or Dockerfile in this folder/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Build' })).toBeEnabled();
  });

  test('a context path that is not a folder is said so beside it, not as a missing Containerfile', async () => {
    const user = userEvent.setup();
    fakeRpc.api.detectContainerfile.mockRejectedValue(
      refusal({ contextDir: '/srv/notes.txt is not a folder: choose the folder that holds the Containerfile' }),
    );
    render(BuildImagePage);
    await user.type(screen.getByLabelText('Context folder'), '/srv/notes.txt');
    await user.type(screen.getByLabelText('Image name'), 'quay.io/me/os:1');

    await waitFor(() => expect(besideField('Context folder')).toContain('/srv/notes.txt is not a folder'));
    expect(screen.queryByText(/no Containerfile or Dockerfile in this folder/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();
  });

  test('a Containerfile outside the folder is refused next to the field', async () => {
    const user = userEvent.setup();
    render(BuildImagePage);
    await fillValidForm(user);
    const containerfile = screen.getByLabelText('Containerfile');
    await user.clear(containerfile);
    await user.type(containerfile, '../Containerfile');
    expect(besideField('Containerfile')).toContain('the Containerfile must be a path inside the context folder');
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();
  });

  test('the platform defaults to the engine’s own architecture', async () => {
    fakeRpc.api.listEngines.mockResolvedValue([{ id: 'podman', name: 'Podman', type: 'podman', arch: 'arm64' }]);
    render(BuildImagePage);
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'linux/arm64' })).toBeChecked());
    expect(screen.getByRole('checkbox', { name: 'linux/amd64' })).not.toBeChecked();
  });

  test('Build sends exactly the request the form describes, then shows the build', async () => {
    const user = userEvent.setup();
    fakeRpc.api.buildImage.mockResolvedValue('op-7');
    fakeRpc.setImageOperations([imageOperation({ id: 'op-7', ref: 'quay.io/me/my-os:1' })]);
    render(BuildImagePage);
    await fillValidForm(user);
    await user.click(screen.getByRole('checkbox', { name: 'linux/arm64' }));
    await user.click(screen.getByRole('button', { name: 'Add build argument' }));
    await user.type(screen.getByLabelText('Build argument 1 name'), 'VERSION');
    await user.type(screen.getByLabelText('Build argument 1 value'), '1.2 beta');
    await user.click(screen.getByRole('button', { name: 'Add build argument' }));
    await user.click(screen.getByRole('checkbox', { name: 'No cache' }));
    await user.click(screen.getByRole('checkbox', { name: 'Always pull base image' }));

    await user.click(screen.getByRole('button', { name: 'Build' }));

    expect(fakeRpc.api.buildImage).toHaveBeenCalledTimes(1);
    expect(fakeRpc.api.buildImage).toHaveBeenCalledWith({
      contextDir: '/home/me/my-os',
      containerfile: 'Containerfile',
      tag: 'quay.io/me/my-os:1',
      platforms: ['linux/amd64', 'linux/arm64'],
      buildArgs: { VERSION: '1.2 beta' },
      noCache: true,
      pull: true,
    });
    expect(router.route).toBe(`${ROUTES.buildImage}?operation=op-7`);
    expect(await screen.findByRole('region', { name: 'Build quay.io/me/my-os:1' })).toBeInTheDocument();
    expect(fakeRpc.setState).toHaveBeenLastCalledWith(expect.objectContaining({ route: router.route }));
  });

  test('the keyboard alone fills and submits the form', async () => {
    const user = userEvent.setup();
    fakeRpc.api.detectContainerfile.mockResolvedValue('Containerfile');
    fakeRpc.api.buildImage.mockResolvedValue('op-1');
    render(BuildImagePage);

    screen.getByLabelText('Context folder').focus();
    await user.keyboard('/home/me/os');
    await user.tab(); // Browse…
    await user.tab(); // Containerfile
    await waitFor(() => expect(screen.getByLabelText('Containerfile')).toHaveValue('Containerfile'));
    await user.tab(); // Image name
    expect(screen.getByLabelText('Image name')).toHaveFocus();
    await user.keyboard('quay.io/me/os:1');
    screen.getByRole('button', { name: 'Build' }).focus();
    await user.keyboard('{Enter}');

    await waitFor(() => expect(fakeRpc.api.buildImage).toHaveBeenCalledTimes(1));
    expect(fakeRpc.api.buildImage.mock.calls[0]?.[0]).toMatchObject({
      contextDir: '/home/me/os',
      tag: 'quay.io/me/os:1',
    });
  });

  test('a backend refusal is shown, and the field it names is marked', async () => {
    const user = userEvent.setup();
    fakeRpc.api.buildImage.mockRejectedValue(refusal({ contextDir: 'no such folder: /home/me/my-os' }));
    render(BuildImagePage);
    await fillValidForm(user);

    await user.click(screen.getByRole('button', { name: 'Build' }));

    expect(
      // In the form's words, never the request's field name.
      await screen.findByText('The build was not started: Context folder: no such folder: /home/me/my-os'),
    ).toBeInTheDocument();
    expect(besideField('Context folder')).toContain('no such folder: /home/me/my-os');
    expect(router.route).toBe(ROUTES.buildImage);
  });

  test('a deep link with a folder pre-fills it and looks for its Containerfile', async () => {
    fakeRpc.api.detectContainerfile.mockResolvedValue('Containerfile');
    router.route = `${ROUTES.buildImage}?context=${encodeURIComponent('/home/me/httpd')}`;
    render(BuildImagePage);
    expect(screen.getByLabelText('Context folder')).toHaveValue('/home/me/httpd');
    await waitFor(() => expect(screen.getByLabelText('Containerfile')).toHaveValue('Containerfile'));
  });
});

describe('BuildImagePage: the build', () => {
  beforeEach(() => {
    router.route = OPERATION_ROUTE;
  });

  test('New build on a re-opened build starts the form from that build: folder, file, name, platforms, options', async () => {
    const user = userEvent.setup();
    const operation = imageOperation({
      status: 'failed',
      error: 'STEP 2/3 failed',
      ref: 'quay.io/me/os:2',
      source: {
        contextDir: '/srv/os',
        containerfile: 'Containerfile.web',
        platforms: ['linux/arm64'],
        noCache: true,
        pull: false,
      },
    });
    fakeRpc.setImageOperations([operation]);
    render(BuildImagePage);
    await user.click(await screen.findByRole('button', { name: 'New build' }));
    expect(router.route).toBe(ROUTES.buildImage);
    expect(screen.getByLabelText('Context folder')).toHaveValue('/srv/os');
    expect(screen.getByLabelText('Containerfile')).toHaveValue('Containerfile.web');
    expect(screen.getByLabelText('Image name')).toHaveValue('quay.io/me/os:2');
    expect(screen.getByRole('checkbox', { name: 'linux/arm64' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'linux/amd64' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'No cache' })).toBeChecked();
    expect(screen.getByRole('button', { name: 'Build' })).toBeEnabled();
    expect(screen.queryByRole('note', { name: 'Before building' })).not.toBeInTheDocument();
  });

  test('New build on a build known only by its id: an empty form says why Build is disabled', async () => {
    const user = userEvent.setup();
    fakeRpc.setImageOperations([]);
    render(BuildImagePage);
    await user.click(await screen.findByRole('button', { name: 'New build' }));
    expect(screen.getByRole('button', { name: 'Build' })).toBeDisabled();
    const why = screen.getByRole('note', { name: 'Before building' });
    expect(why).toHaveTextContent('Context folder: the folder that holds the Containerfile');
    expect(why).toHaveTextContent('Image name: type the full reference of the image to build');
    await user.type(screen.getByLabelText('Image name'), 'quay.io/me/os:1');
    expect(why).not.toHaveTextContent('Image name');
  });

  test('a build whose engine is not chosen yet says when it started, without an empty engine name', async () => {
    const operation = imageOperation({ engineId: '', engineName: '', logLines: 1 });
    fakeRpc.setImageOperations([operation]);
    fakeRpc.api.readJobLog.mockResolvedValue({ lines: ['Building quay.io/me/os:1 from /srv/os…'], next: 1 });
    render(BuildImagePage);
    const view = await screen.findByRole('region', { name: /Build/ });
    await waitFor(() => expect(view).toHaveTextContent(/Started \d/));
    expect(view).not.toHaveTextContent('on ,');
  });

  test('shows status, the current step and the log, and follows the log reading only new lines', async () => {
    const operation = imageOperation({ message: 'STEP 1/3: FROM quay.io/fedora/fedora-bootc:42', logLines: 2 });
    fakeRpc.setImageOperations([operation]);
    fakeRpc.api.readJobLog.mockImplementation(async (_id, from) => {
      const all = [
        'STEP 1/3: FROM quay.io/fedora/fedora-bootc:42',
        'Trying to pull…',
        'STEP 2/3: RUN dnf -y install httpd',
        'Installed: httpd',
      ];
      const to = from === 0 ? 2 : 4;
      return { lines: all.slice(from, to), next: to };
    });
    render(BuildImagePage);

    const log = await screen.findByLabelText('Build log');
    await waitFor(() => expect(log.textContent).toBe('STEP 1/3: FROM quay.io/fedora/fedora-bootc:42\nTrying to pull…'));
    expect(screen.getByLabelText('Status')).toHaveTextContent('Building');
    expect(screen.getByLabelText('Current step')).toHaveTextContent('STEP 1/3: FROM quay.io/fedora/fedora-bootc:42');

    fakeRpc.setImageOperations([{ ...operation, message: 'STEP 2/3: RUN dnf -y install httpd', logLines: 4 }]);
    fakeRpc.push(PUSH_CHANNELS.jobsChanged);

    await waitFor(() =>
      expect(log.textContent).toBe(
        'STEP 1/3: FROM quay.io/fedora/fedora-bootc:42\nTrying to pull…\nSTEP 2/3: RUN dnf -y install httpd\nInstalled: httpd',
      ),
    );
    expect(fakeRpc.api.readJobLog.mock.calls).toEqual([
      ['op-1', 0],
      ['op-1', 2],
    ]);
    expect(screen.getByLabelText('Current step')).toHaveTextContent('STEP 2/3: RUN dnf -y install httpd');
  });

  test('a long log opens on its tail', async () => {
    fakeRpc.setImageOperations([imageOperation({ logLines: 1500 })]);
    fakeRpc.api.readJobLog.mockImplementation(async (_id, from) => ({
      lines: Array.from({ length: 1500 - from }, (_, i) => `line ${from + i}`),
      next: 1500,
    }));
    render(BuildImagePage);

    expect(await screen.findByText('500 earlier lines not shown')).toBeInTheDocument();
    expect(fakeRpc.api.readJobLog).toHaveBeenCalledWith('op-1', 500);
    expect(screen.getByLabelText('Build log').textContent).toMatch(/^line 500\n[^]*\nline 1499$/);
  });

  test('a failed build shows the failing step’s message and its log', async () => {
    fakeRpc.setImageOperations([
      imageOperation({
        status: 'failed',
        ended: Date.now(),
        error: 'STEP 2/3: RUN false: exit status 1',
        logLines: 1,
      }),
    ]);
    fakeRpc.api.readJobLog.mockResolvedValue({ lines: ['STEP 2/3: RUN false'], next: 1 });
    render(BuildImagePage);

    expect(await screen.findByRole('alert', { name: 'Why it failed' })).toHaveTextContent(
      'STEP 2/3: RUN false: exit status 1',
    );
    expect(screen.getByLabelText('Status')).toHaveTextContent('Failed');
    expect(screen.queryByRole('button', { name: 'Cancel build' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Push…' })).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Build log')).toHaveTextContent('STEP 2/3: RUN false'));
  });

  test('warnings are shown', async () => {
    fakeRpc.setImageOperations([
      imageOperation({
        status: 'succeeded',
        warnings: ['quay.io/me/my-os:1 is not a bootc image: it has no containers.bootc label'],
      }),
    ]);
    render(BuildImagePage);
    expect(await screen.findByRole('list', { name: 'Warnings' })).toHaveTextContent(
      'quay.io/me/my-os:1 is not a bootc image: it has no containers.bootc label',
    );
  });

  test('Cancel asks the backend to cancel the build', async () => {
    const user = userEvent.setup();
    fakeRpc.setImageOperations([imageOperation()]);
    fakeRpc.api.cancelJob.mockResolvedValue();
    render(BuildImagePage);

    await user.click(await screen.findByRole('button', { name: 'Cancel build' }));

    expect(fakeRpc.api.cancelJob).toHaveBeenCalledWith('op-1');
    await waitFor(() => expect(fakeRpc.api.listJobs).toHaveBeenCalledTimes(2));
  });

  test('a refused Cancel says why', async () => {
    const user = userEvent.setup();
    fakeRpc.setImageOperations([imageOperation()]);
    fakeRpc.api.cancelJob.mockRejectedValue(new Error('the build already ended'));
    render(BuildImagePage);
    await user.click(await screen.findByRole('button', { name: 'Cancel build' }));
    expect(await screen.findByText('Could not cancel: the build already ended')).toBeInTheDocument();
  });

  test('a succeeded build offers Push… (to the push dialog of the image) and Go to Images', async () => {
    const user = userEvent.setup();
    fakeRpc.setImageOperations([imageOperation({ status: 'succeeded', ended: Date.now(), imageId: 'sha256:abc' })]);
    render(BuildImagePage);

    expect(await screen.findByLabelText('Status')).toHaveTextContent('Built');
    expect(screen.queryByRole('button', { name: 'Cancel build' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Push…' }));
    const { path, query } = parseRoute(router.route);
    expect(path).toBe(ROUTES.images);
    expect(query).toEqual({ push: 'quay.io/me/my-os:1', engine: 'podman.podman-machine-default' });
  });

  test('Go to Images leaves for the Images page', async () => {
    const user = userEvent.setup();
    fakeRpc.setImageOperations([imageOperation({ status: 'succeeded' })]);
    render(BuildImagePage);
    await user.click(await screen.findByRole('button', { name: 'Go to Images' }));
    expect(router.route).toBe(ROUTES.images);
  });

  test('an operation the backend no longer knows says so', async () => {
    fakeRpc.setImageOperations([]);
    render(BuildImagePage);
    expect(await screen.findByText(/This build is no longer known/)).toBeInTheDocument();
  });

  test('the build view comes back when the webview is destroyed and re-created', async () => {
    const operation = imageOperation({ logLines: 1, message: 'STEP 2/3: RUN dnf -y install httpd' });
    fakeRpc.setImageOperations([operation]);
    fakeRpc.api.readJobLog.mockResolvedValue({ lines: ['STEP 1/3: FROM fedora-bootc'], next: 1 });
    const first = render(App);
    await screen.findByRole('region', { name: 'Build quay.io/me/my-os:1' });
    const saved = fakeRpc.setState.mock.calls.at(-1)?.[0];
    first.unmount();

    // Podman Desktop re-creates the page: it starts from the saved state and pulls everything back.
    router.route = ROUTES.dashboard;
    fakeRpc.getState.mockReturnValue(saved ?? { route: OPERATION_ROUTE });
    render(App);

    const view = await screen.findByRole('region', { name: 'Build quay.io/me/my-os:1' });
    expect(within(view).getByLabelText('Current step')).toHaveTextContent('STEP 2/3: RUN dnf -y install httpd');
    await waitFor(() =>
      expect(within(view).getByLabelText('Build log')).toHaveTextContent('STEP 1/3: FROM fedora-bootc'),
    );
    expect(screen.getByRole('link', { name: 'Images' })).toHaveAttribute('aria-current', 'page');
  });
});
