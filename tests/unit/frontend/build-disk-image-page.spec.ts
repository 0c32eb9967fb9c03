import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import type { BuildConfig } from '../../../src/api/disk-build';
import { buildFormRoute, parseRoute, ROUTES } from '../../../src/api/routes';
import BuildDiskImagePage from '../../../frontend/pages/BuildDiskImagePage.svelte';
import { router } from '../../../frontend/stores/app-router';
import {
  bootcImage,
  centosManifestList,
  diskBuildJob,
  diskBuildRecord,
  diskBuildRequest,
  fakeRpc,
  refusal,
} from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

const ENGINE = 'podman.podman-machine-default';
const FEDORA = 'quay.io/fedora/fedora-bootc:42';
const CENTOS = 'quay.io/centos-bootc/centos-bootc:stream10';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH me@laptop';

const fedora = () => bootcImage({ labels: { 'containers.bootc': '1', 'redhat.id': 'fedora' } });
const centos = () => ({
  ...centosManifestList(),
  labels: { 'containers.bootc': '1', 'redhat.id': 'centos' },
});

beforeEach(() => {
  fakeRpc.reset();
  fakeRpc.api.listBootcImages.mockResolvedValue([fedora(), centos()]);
  fakeRpc.api.listEngines.mockResolvedValue([
    { id: ENGINE, name: 'Podman', type: 'podman', arch: 'amd64' },
    { id: 'docker.default', name: 'Docker', type: 'docker', arch: 'arm64' },
  ]);
  // The backend answers with what the image list says about the image.
  fakeRpc.api.describeImageForBuild.mockImplementation(async (engineId, ref) => {
    const image = [fedora(), centos()].find(candidate => candidate.ref === ref);
    return { ref, engineId, architectures: image?.architectures ?? [], labels: image?.labels ?? {} };
  });
  router.route = ROUTES.buildDiskImage;
});

function renderForm(route: string = buildFormRoute(FEDORA, ENGINE)): ReturnType<typeof userEvent.setup> {
  router.route = route;
  render(BuildDiskImagePage);
  return userEvent.setup();
}

/** The text shown with a field: its ui-svelte Input wrapper holds the input and its message. */
function besideField(label: string): string {
  return screen.getByLabelText(label).closest('div.flex-col')?.textContent ?? '';
}

const buildButton = (): HTMLElement => screen.getByRole('button', { name: 'Build' });

/** The deep-linked Fedora image, an output folder: a form that can build once the image is inspected. */
async function validForm(): Promise<ReturnType<typeof userEvent.setup>> {
  const user = renderForm();
  await user.type(screen.getByLabelText('Output folder'), '/home/me/disks');
  await waitFor(() => expect(buildButton()).toBeEnabled());
  return user;
}

describe('BuildDiskImagePage: image, types, architecture, filesystem', () => {
  test('a deep link pre-selects its image on its engine and inspects it there', async () => {
    renderForm(buildFormRoute(CENTOS, 'docker.default'));
    expect(screen.getByRole('heading', { name: 'Build disk image' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Image')).toHaveTextContent(`${CENTOS} (Docker)`));
    expect(fakeRpc.api.describeImageForBuild).toHaveBeenCalledWith('docker.default', CENTOS);
  });

  test('a deep link without an engine takes the engine that holds the image', async () => {
    renderForm(buildFormRoute(FEDORA));
    await waitFor(() => expect(fakeRpc.api.describeImageForBuild).toHaveBeenCalledWith(ENGINE, FEDORA));
    expect(screen.getByLabelText('Image')).toHaveTextContent(FEDORA);
  });

  test('choosing another image in the list inspects that one', async () => {
    const user = renderForm();
    await user.click(await screen.findByLabelText('Image'));
    await user.click(screen.getByRole('button', { name: `${CENTOS} (Docker)` }));
    await waitFor(() => expect(fakeRpc.api.describeImageForBuild).toHaveBeenLastCalledWith('docker.default', CENTOS));
    expect(await screen.findByRole('radio', { name: 'arm64' })).toBeInTheDocument();
  });

  test('an image with several tags is offered under each tag, and the chosen tag is the one inspected', async () => {
    const pushed = '127.0.0.1:5000/fedora-bootc:42';
    const tags = [FEDORA, pushed];
    fakeRpc.api.listBootcImages.mockResolvedValue(tags.map(ref => ({ ...fedora(), ref, tags })));
    const user = renderForm();
    await user.click(await screen.findByLabelText('Image'));
    await user.click(await screen.findByRole('button', { name: `${pushed} (Podman)` }));
    await waitFor(() => expect(fakeRpc.api.describeImageForBuild).toHaveBeenLastCalledWith(ENGINE, pushed));
    expect(screen.getByLabelText('Image')).toHaveTextContent(pushed);
  });

  test('only the image’s architectures are offered; the only one is pre-selected', async () => {
    fakeRpc.api.describeImageForBuild.mockResolvedValue({
      ref: FEDORA,
      engineId: ENGINE,
      architectures: ['linux/arm64/v8'],
      labels: {},
    });
    renderForm();
    const group = await screen.findByRole('radiogroup', { name: 'Target architecture' });
    expect(
      within(group)
        .getAllByRole('radio')
        .map(radio => radio.getAttribute('value')),
    ).toEqual(['arm64']);
    expect(within(group).getByRole('radio', { name: 'arm64' })).toBeChecked();
    // The engine is amd64: the build runs under emulation, and the form says so.
    expect(screen.getByLabelText('Cross-architecture warning')).toHaveTextContent(
      'Building arm64 on this amd64 engine runs the builder under emulation',
    );
  });

  test('a manifest list offers the architectures it can build, and pre-selects the engine’s own', async () => {
    renderForm(buildFormRoute(CENTOS, 'docker.default'));
    const group = await screen.findByRole('radiogroup', { name: 'Target architecture' });
    // ppc64le is in the list but cannot be built here.
    expect(
      within(group)
        .getAllByRole('radio')
        .map(radio => radio.getAttribute('value')),
    ).toEqual(['amd64', 'arm64']);
    await waitFor(() => expect(within(group).getByRole('radio', { name: 'arm64' })).toBeChecked());
    expect(screen.queryByLabelText('Cross-architecture warning')).not.toBeInTheDocument();
  });

  test('the engine’s own architecture is pre-selected even when the engines answer after the image', async () => {
    fakeRpc.api.listEngines.mockImplementation(
      () =>
        new Promise(resolve =>
          setTimeout(() => resolve([{ id: 'docker.default', name: 'Docker', type: 'docker', arch: 'aarch64' }]), 50),
        ),
    );
    renderForm(buildFormRoute(CENTOS, 'docker.default'));
    await waitFor(() => expect(screen.getByRole('radio', { name: 'arm64' })).toBeChecked());
    expect(screen.getByRole('radio', { name: 'amd64' })).not.toBeChecked();
  });

  test('a Fedora image has no "default" root filesystem, and XFS is pre-selected', async () => {
    renderForm();
    await waitFor(() => expect(screen.getByRole('radio', { name: 'XFS' })).toBeChecked());
    expect(screen.queryByRole('radio', { name: 'Image default' })).not.toBeInTheDocument();
    expect(screen.getByText(/Fedora-based images have no default root filesystem/)).toBeInTheDocument();
  });

  test('a CentOS image keeps its own default', async () => {
    renderForm(buildFormRoute(CENTOS, 'docker.default'));
    await waitFor(() => expect(fakeRpc.api.describeImageForBuild).toHaveBeenCalled());
    expect(await screen.findByRole('radio', { name: 'Image default' })).toBeChecked();
  });

  test('an ISO type with a disk type is explained and disables Build; alone it is fine', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('checkbox', { name: 'anaconda-iso' }));

    expect(screen.getByRole('note', { name: 'Why an ISO is built alone' })).toHaveTextContent(
      'the builder makes either one installer ISO or a set of disk images per run',
    );
    expect(screen.getByRole('alert', { name: 'Image types error' })).toHaveTextContent(
      'ISO types cannot be built together with disk types',
    );
    expect(buildButton()).toBeDisabled();

    await user.click(screen.getByRole('checkbox', { name: 'qcow2' }));
    expect(screen.queryByRole('alert', { name: 'Image types error' })).not.toBeInTheDocument();
    expect(buildButton()).toBeEnabled();
    // The installer's own settings appear with an ISO type.
    expect(screen.getByLabelText('Kickstart')).toBeInTheDocument();
  });

  test('no type at all says to choose one', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('checkbox', { name: 'qcow2' }));
    expect(screen.getByRole('alert', { name: 'Image types error' })).toHaveTextContent(
      'choose at least one image type',
    );
    expect(buildButton()).toBeDisabled();
  });

  test('the output folder of the last build is the default, and Browse… replaces it', async () => {
    fakeRpc.getState.mockReturnValue({ diskBuildOutputDir: '/home/me/last' });
    fakeRpc.api.selectFolder.mockResolvedValue('/srv/disks');
    const user = renderForm();
    expect(screen.getByLabelText('Output folder')).toHaveValue('/home/me/last');

    await user.click(screen.getByRole('button', { name: 'Browse…' }));
    expect(fakeRpc.api.selectFolder).toHaveBeenCalledWith('Folder for the disk images', '/home/me/last');
    await waitFor(() => expect(screen.getByLabelText('Output folder')).toHaveValue('/srv/disks'));
  });

  test('a relative output folder is refused next to the field', async () => {
    const user = renderForm();
    await user.type(screen.getByLabelText('Output folder'), 'disks');
    expect(besideField('Output folder')).toContain('the output folder is an absolute path');
    expect(buildButton()).toBeDisabled();
  });
});

describe('BuildDiskImagePage: interactive configuration', () => {
  test('a bad user name is flagged on its row as the user types', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.type(screen.getByLabelText('User 1 name'), 'Demo User');
    expect(besideField('User 1 name')).toContain('a user name starts with a lower-case letter or _');
    expect(buildButton()).toBeDisabled();

    await user.clear(screen.getByLabelText('User 1 name'));
    await user.type(screen.getByLabelText('User 1 name'), 'demo');
    expect(besideField('User 1 name')).not.toContain('a user name');
    expect(buildButton()).toBeEnabled();
  });

  test('a cut SSH key is flagged', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.type(screen.getByLabelText('User 1 name'), 'demo');
    await user.type(screen.getByLabelText('User 1 SSH public key'), KEY.slice(0, 40));
    expect(besideField('User 1 SSH public key')).toMatch(/was probably cut|cut when copied/);
    expect(buildButton()).toBeDisabled();
  });

  test('the password is hidden until shown', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    const password = screen.getByLabelText('User 1 password');
    expect(password).toHaveAttribute('type', 'password');
    await user.click(screen.getByRole('button', { name: 'Show password of user 1' }));
    expect(password).toHaveAttribute('type', 'text');
    await user.click(screen.getByRole('button', { name: 'Hide password of user 1' }));
    expect(password).toHaveAttribute('type', 'password');
  });

  test('"Use my key" fills in the user’s only key', async () => {
    fakeRpc.api.listSshPublicKeys.mockResolvedValue([{ path: '/home/me/.ssh/id_ed25519.pub', key: `${KEY}\n` }]);
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.click(screen.getByRole('button', { name: 'Use my key for user 1' }));
    await waitFor(() => expect(screen.getByLabelText('User 1 SSH public key')).toHaveValue(KEY));
  });

  test('where VMware Fusion runs, the form says before the build that its VMs log in only with a user’s key', async () => {
    fakeRpc.api.listHypervisors.mockResolvedValue([
      { id: 'qemu', name: 'QEMU', injectsKey: true },
      { id: 'fusion', name: 'VMware Fusion', injectsKey: false },
    ]);
    fakeRpc.api.listSshPublicKeys.mockResolvedValue([{ path: '/home/me/.ssh/id_ed25519.pub', key: KEY }]);
    const user = await validForm();
    const note = await screen.findByRole('note', { name: 'Logging in to a VM of this disk' });
    expect(note).toHaveTextContent(/VMware Fusion cannot give a VM its own SSH key at boot/);
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.click(screen.getByRole('button', { name: 'Use my key for user 1' }));
    await waitFor(() => expect(screen.queryByRole('note', { name: 'Logging in to a VM of this disk' })).toBeNull());
    // An installer ISO alone is not booted by Fusion as a disk: nothing to say then.
    await user.clear(screen.getByLabelText('User 1 SSH public key'));
    expect(screen.getByRole('note', { name: 'Logging in to a VM of this disk' })).toBeInTheDocument();
    await user.click(screen.getByRole('checkbox', { name: 'qcow2' }));
    await user.click(screen.getByRole('checkbox', { name: 'anaconda-iso' }));
    expect(screen.queryByRole('note', { name: 'Logging in to a VM of this disk' })).toBeNull();
  });

  test('where VMware Fusion is not installed, nothing is said about it', async () => {
    await validForm();
    await waitFor(() => expect(fakeRpc.api.listHypervisors).toHaveBeenCalled());
    expect(screen.queryByRole('note', { name: 'Logging in to a VM of this disk' })).toBeNull();
  });

  test('"Use my key" with several keys lets the user pick one', async () => {
    fakeRpc.api.listSshPublicKeys.mockResolvedValue([
      { path: '/home/me/.ssh/id_rsa.pub', key: 'ssh-rsa AAAA old' },
      { path: '/home/me/.ssh/id_ed25519.pub', key: KEY },
    ]);
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.click(screen.getByRole('button', { name: 'Use my key for user 1' }));
    const choices = await screen.findByRole('group', { name: 'Your SSH public keys' });
    await user.click(within(choices).getByRole('button', { name: 'id_ed25519.pub' }));
    expect(screen.getByLabelText('User 1 SSH public key')).toHaveValue(KEY);
    expect(screen.queryByRole('group', { name: 'Your SSH public keys' })).not.toBeInTheDocument();
  });

  test('"Use my key" without any key says how to make one', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.click(screen.getByRole('button', { name: 'Use my key for user 1' }));
    expect(await screen.findByText(/No public key in ~\/.ssh: create one with ssh-keygen/)).toBeInTheDocument();
  });

  test('a kernel argument with a quote is flagged on its row', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add kernel argument' }));
    await user.type(screen.getByLabelText('Kernel argument 1'), "foo='bar'");
    expect(besideField('Kernel argument 1')).toContain(
      'single quotes, backticks and backslashes break the kernel command line',
    );
    expect(buildButton()).toBeDisabled();
  });

  test('a pasted command line becomes one row per argument, quotes kept together', async () => {
    const user = await validForm();
    await user.type(screen.getByLabelText('Or paste a command line'), 'audit=0  foo="a b"');
    await user.click(screen.getByRole('button', { name: 'Add arguments' }));
    expect(screen.getByLabelText('Kernel argument 1')).toHaveValue('audit=0');
    expect(screen.getByLabelText('Kernel argument 2')).toHaveValue('foo="a b"');
    expect(buildButton()).toBeEnabled();
  });

  test('/var as a mount point and a size without unit are flagged', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add filesystem' }));
    await user.type(screen.getByLabelText('Filesystem 1 mount point'), '/var');
    await user.type(screen.getByLabelText('Filesystem 1 minimum size'), '10');

    expect(besideField('Filesystem 1 mount point')).toContain('the builder does not accept /var itself');
    expect(besideField('Filesystem 1 minimum size')).toContain('add a unit');
    expect(buildButton()).toBeDisabled();

    await user.type(screen.getByLabelText('Filesystem 1 mount point'), '/data');
    await user.type(screen.getByLabelText('Filesystem 1 minimum size'), ' GiB');
    expect(besideField('Filesystem 1 mount point')).not.toContain('/var itself');
    expect(besideField('Filesystem 1 minimum size')).not.toContain('add a unit');
    expect(buildButton()).toBeEnabled();
  });

  test('an error stays with its row when a row above is removed', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.type(screen.getByLabelText('User 1 name'), 'first');
    await user.type(screen.getByLabelText('User 2 name'), 'Bad!');
    expect(besideField('User 2 name')).toContain('a user name starts with');

    await user.click(screen.getByRole('button', { name: 'Remove user 1' }));
    expect(screen.getByLabelText('User 1 name')).toHaveValue('Bad!');
    expect(besideField('User 1 name')).toContain('a user name starts with');
  });

  test('Import fills the form, flags what is wrong in the file, and lists the fields it keeps', async () => {
    const imported: BuildConfig = {
      users: [{ name: 'demo', password: 'changeit', sshKey: KEY, groups: ['wheel'], extra: { uid: 1001 } }],
      groups: [{ name: 'developers', gid: 2000 }],
      kernelArgs: ['audit=0', 'quiet\nrd.break'],
      filesystems: [{ mountpoint: '/var/data', minSize: '10 GiB' }],
      extra: { customizations: { timezone: { timezone: 'UTC' } } },
    };
    fakeRpc.api.importBuildConfig.mockResolvedValue({
      config: imported,
      unknownFields: ['customizations.timezone', 'customizations.user.0.uid'],
    });
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Import…' }));

    await waitFor(() => expect(screen.getByLabelText('User 1 name')).toHaveValue('demo'));
    expect(screen.getByLabelText('User 1 password')).toHaveValue('changeit');
    expect(screen.getByLabelText('User 1 SSH public key')).toHaveValue(KEY);
    expect(screen.getByLabelText('User 1 groups')).toHaveValue('wheel');
    expect(screen.getByLabelText('Group 1 name')).toHaveValue('developers');
    expect(screen.getByLabelText('Group 1 GID')).toHaveValue('2000');
    expect(screen.getByLabelText('Kernel argument 1')).toHaveValue('audit=0');
    expect(screen.getByLabelText('Filesystem 1 mount point')).toHaveValue('/var/data');
    expect(screen.getByLabelText('Filesystem 1 minimum size')).toHaveValue('10 GiB');
    // A newline would end the kernel command line: flagged on the row that has it, at once.
    expect(besideField('Kernel argument 2')).toContain('a kernel argument has no newline');
    expect(buildButton()).toBeDisabled();

    const kept = screen.getByRole('group', { name: 'Kept fields' });
    expect(kept).toHaveTextContent('not editable here');
    expect(
      within(kept)
        .getAllByRole('listitem')
        .map(item => item.textContent),
    ).toEqual(['customizations.timezone', 'customizations.user.0.uid']);
  });

  test('a cancelled import changes nothing', async () => {
    fakeRpc.api.importBuildConfig.mockResolvedValue(undefined);
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Import…' }));
    await waitFor(() => expect(fakeRpc.api.importBuildConfig).toHaveBeenCalled());
    expect(screen.queryByLabelText('User 1 name')).not.toBeInTheDocument();
    expect(screen.queryByRole('group', { name: 'Kept fields' })).not.toBeInTheDocument();
  });

  test('Export sends the configuration the form describes and says where it went', async () => {
    fakeRpc.api.exportBuildConfig.mockResolvedValue('/home/me/config.toml');
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add kernel argument' }));
    await user.type(screen.getByLabelText('Kernel argument 1'), 'audit=0');
    await user.click(screen.getByRole('button', { name: 'Export…' }));

    expect(fakeRpc.api.exportBuildConfig).toHaveBeenCalledWith({
      users: [],
      groups: [],
      kernelArgs: ['audit=0'],
      filesystems: [],
    });
    expect(await screen.findByText(/Saved to \/home\/me\/config.toml/)).toBeInTheDocument();
  });

  test('installer settings stay visible, with the reason, when the ISO type is unchecked', async () => {
    const user = await validForm();
    await user.click(screen.getByRole('checkbox', { name: 'qcow2' }));
    await user.click(screen.getByRole('checkbox', { name: 'iso' }));
    await user.type(screen.getByLabelText('Kickstart'), 'rootpw --lock');
    await user.click(screen.getByRole('checkbox', { name: 'FIPS mode' }));
    expect(buildButton()).toBeEnabled();

    await user.click(screen.getByRole('checkbox', { name: 'iso' }));
    await user.click(screen.getByRole('checkbox', { name: 'qcow2' }));
    expect(screen.getByText(/a kickstart only apply to ISO types/)).toBeInTheDocument();
    expect(screen.getByRole('alert', { name: 'FIPS error' })).toHaveTextContent(
      'for disk images enable FIPS in the Containerfile',
    );
    expect(buildButton()).toBeDisabled();
  });

  test('AWS upload needs all three fields, and the ami type', async () => {
    const user = await validForm();
    await user.click(screen.getByText('Advanced'));
    await user.type(screen.getByLabelText('AMI name'), 'my-os');
    expect(besideField('S3 bucket')).toContain('an AWS upload needs all three');
    expect(besideField('Region')).toContain('an AWS upload needs all three');
    await user.type(screen.getByLabelText('S3 bucket'), 'my-bucket');
    await user.type(screen.getByLabelText('Region'), 'us-east-1');
    expect(screen.getByRole('alert', { name: 'AWS error' })).toHaveTextContent('an AWS upload needs the ami type');
    await user.click(screen.getByRole('checkbox', { name: 'ami' }));
    expect(screen.queryByRole('alert', { name: 'AWS error' })).not.toBeInTheDocument();
    expect(buildButton()).toBeEnabled();
  });
});

describe('BuildDiskImagePage: preview and Build', () => {
  test('the preview is asked for the current request and shows what the backend renders', async () => {
    fakeRpc.api.previewDiskBuild.mockResolvedValue({
      configToml: '[[customizations.user]]\nname = "demo"\npassword = "********"\n',
      command: 'podman run --rm --privileged … quay.io/centos-bootc/bootc-image-builder:latest --type qcow2',
      warnings: ['the output folder does not exist yet: it will be created'],
    });
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.type(screen.getByLabelText('User 1 name'), 'demo');
    await user.type(screen.getByLabelText('User 1 password'), 'changeit');

    const command = await screen.findByLabelText('Builder command');
    expect(command).toHaveTextContent('bootc-image-builder:latest --type qcow2');
    expect(screen.getByLabelText('config.toml')).toHaveTextContent('password = "********"');
    expect(screen.getByLabelText('Preview warnings')).toHaveTextContent('the output folder does not exist yet');
    await waitFor(() =>
      expect(fakeRpc.api.previewDiskBuild).toHaveBeenLastCalledWith(
        diskBuildRequest({
          outputDir: '/home/me/disks',
          config: {
            users: [{ name: 'demo', password: 'changeit', groups: [] }],
            groups: [],
            kernelArgs: [],
            filesystems: [],
          },
        }),
      ),
    );
    // Debounced: not one call per keystroke.
    expect(fakeRpc.api.previewDiskBuild.mock.calls.length).toBeLessThan(5);
  });

  test('a rootless podman machine: the fix is offered, applied through the backend, and the preview asked again', async () => {
    fakeRpc.api.previewDiskBuild.mockResolvedValueOnce({
      configToml: '',
      command: 'podman run --rm --privileged …',
      warnings: [
        'podman runs in the rootless podman machine podman-machine-default, and the builder needs a rootful one',
      ],
      fix: { kind: 'make-machine-rootful', engineId: 'podman.podman', machine: 'podman-machine-default' },
    });
    fakeRpc.api.previewDiskBuild.mockResolvedValue({
      configToml: '',
      command: 'podman run --rm --privileged …',
      warnings: [],
    });
    fakeRpc.api.makeMachineRootful.mockResolvedValue(true);
    const user = await validForm();
    const fix = await screen.findByRole('button', { name: 'Make podman-machine-default rootful' });
    const calls = fakeRpc.api.previewDiskBuild.mock.calls.length;
    await user.click(fix);
    expect(fakeRpc.api.makeMachineRootful).toHaveBeenCalledWith('podman.podman');
    await waitFor(() => expect(fakeRpc.api.previewDiskBuild.mock.calls.length).toBe(calls + 1));
    await waitFor(() => expect(screen.queryByRole('button', { name: /rootful/ })).not.toBeInTheDocument());
  });

  test('a fix that fails says why, next to its button', async () => {
    fakeRpc.api.previewDiskBuild.mockResolvedValue({
      configToml: '',
      command: 'podman run',
      warnings: ['rootless machine'],
      fix: { kind: 'make-machine-rootful', engineId: 'podman.podman', machine: 'm1' },
    });
    fakeRpc.api.makeMachineRootful.mockRejectedValue(new Error('podman machine set --rootful m1 failed: busy'));
    const user = await validForm();
    await user.click(await screen.findByRole('button', { name: 'Make m1 rootful' }));
    expect(await screen.findByText(/podman machine set --rootful m1 failed: busy/)).toBeInTheDocument();
  });

  test('no preview is asked while the form is invalid', async () => {
    renderForm();
    await waitFor(() => expect(screen.getByRole('radio', { name: 'XFS' })).toBeChecked());
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(fakeRpc.api.previewDiskBuild).not.toHaveBeenCalled();
    expect(screen.getByText('The preview follows the form once every field is valid.')).toBeInTheDocument();
  });

  test('Build sends exactly the request the form describes, remembers the folder, then opens the build', async () => {
    fakeRpc.api.startDiskBuild.mockResolvedValue('build-7');
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ id: 'build-7' }))]);
    const user = await validForm();
    await user.click(screen.getByRole('checkbox', { name: 'vmdk' }));
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await user.type(screen.getByLabelText('User 1 name'), 'demo');
    await user.type(screen.getByLabelText('User 1 password'), 'changeit');
    await user.type(screen.getByLabelText('User 1 SSH public key'), KEY);
    await user.type(screen.getByLabelText('User 1 groups'), 'wheel, adm');
    await user.click(screen.getByRole('button', { name: 'Add kernel argument' }));
    await user.type(screen.getByLabelText('Kernel argument 1'), 'audit=0');
    await user.click(screen.getByRole('button', { name: 'Add filesystem' }));
    await user.type(screen.getByLabelText('Filesystem 1 mount point'), '/var/data');
    await user.type(screen.getByLabelText('Filesystem 1 minimum size'), '10 GiB');
    await user.click(screen.getByRole('radio', { name: 'ext4' }));
    await waitFor(() => expect(buildButton()).toBeEnabled());

    await user.click(buildButton());

    expect(fakeRpc.api.startDiskBuild).toHaveBeenCalledTimes(1);
    expect(fakeRpc.api.startDiskBuild).toHaveBeenCalledWith({
      image: FEDORA,
      engineId: ENGINE,
      outputDir: '/home/me/disks',
      types: ['qcow2', 'vmdk'],
      arch: 'amd64',
      rootfs: 'ext4',
      builder: 'centos',
      config: {
        users: [{ name: 'demo', password: 'changeit', sshKey: KEY, groups: ['wheel', 'adm'] }],
        groups: [],
        kernelArgs: ['audit=0'],
        filesystems: [{ mountpoint: '/var/data', minSize: '10 GiB' }],
      },
    });
    expect(router.route).toBe(`${ROUTES.diskImageDetails}?build=build-7`);
    expect(fakeRpc.setState).toHaveBeenCalledWith(expect.objectContaining({ diskBuildOutputDir: '/home/me/disks' }));
  });

  test('a new form starts with the builder of the preferences', async () => {
    fakeRpc.api.getBuildDefaults.mockResolvedValue({ builder: 'rhel10' });
    fakeRpc.api.startDiskBuild.mockResolvedValue('build-9');
    const user = await validForm();
    await waitFor(() => expect(screen.getByLabelText('Builder')).toHaveTextContent('RHEL 10 bootc-image-builder'));
    await user.click(buildButton());
    expect(fakeRpc.api.startDiskBuild).toHaveBeenCalledWith(expect.objectContaining({ builder: 'rhel10' }));
  });

  test('another builder image and the advanced settings go with the request', async () => {
    fakeRpc.api.startDiskBuild.mockResolvedValue('build-8');
    const user = await validForm();
    await user.click(screen.getByLabelText('Builder'));
    await user.click(screen.getByRole('button', { name: 'Another builder image…' }));
    await user.type(screen.getByLabelText('Builder image'), 'quay.io/me/bib:1');
    await user.click(screen.getByText('Advanced'));
    await user.type(screen.getByLabelText('Owner of the files (chown, Linux)'), '1000:1000');
    await user.click(buildButton());

    expect(fakeRpc.api.startDiskBuild).toHaveBeenCalledWith(
      expect.objectContaining({ builder: { image: 'quay.io/me/bib:1' }, chown: '1000:1000' }),
    );
  });

  test('a refusal from the backend is shown next to the field it names', async () => {
    fakeRpc.api.startDiskBuild.mockRejectedValue(
      refusal({ outputDir: 'the output folder is not writable', arch: 'the image offers amd64 only' }),
    );
    const user = await validForm();
    await user.click(buildButton());
    const shown = await screen.findByText(/The build was not started/);
    // In the form's words, not the request's field names.
    expect(shown).toHaveTextContent(
      'The build was not started: Output folder: the output folder is not writable; Architecture: the image offers amd64 only',
    );
    expect(shown.textContent).not.toMatch(/outputDir|arch:/);
    expect(besideField('Output folder')).toContain('the output folder is not writable');
    expect(screen.getByRole('alert', { name: 'Architecture error' })).toHaveTextContent('the image offers amd64 only');
    expect(router.route).toBe(buildFormRoute(FEDORA, ENGINE));
  });

  test('Rebuild opens the form filled from the recorded request, and asks for passwords again', async () => {
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({
          id: 'build-3',
          request: diskBuildRequest({
            types: ['raw', 'ami'],
            rootfs: 'btrfs',
            builder: 'rhel10',
            aws: { amiName: 'my-os', bucket: 'my-bucket', region: 'eu-west-1' },
            config: {
              users: [{ name: 'demo', groups: ['wheel'], sshKey: KEY }],
              groups: [],
              kernelArgs: ['audit=0'],
              filesystems: [],
            },
          }),
        }),
      ),
    ]);
    renderForm(`${ROUTES.buildDiskImage}?rebuild=build-3`);

    await waitFor(() => expect(screen.getByLabelText('User 1 name')).toHaveValue('demo'));
    expect(fakeRpc.api.getJob).toHaveBeenCalledWith('build-3');
    expect(screen.getByLabelText('Image')).toHaveTextContent(FEDORA);
    expect(screen.getByLabelText('Output folder')).toHaveValue('/home/me/disks');
    expect(screen.getByRole('checkbox', { name: 'raw' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'ami' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'qcow2' })).not.toBeChecked();
    expect(screen.getByLabelText('Builder')).toHaveTextContent('RHEL 10');
    expect(screen.getByLabelText('User 1 SSH public key')).toHaveValue(KEY);
    expect(screen.getByLabelText('User 1 password')).toHaveValue('');
    expect(screen.getByText(/Passwords are never kept with a build/)).toBeInTheDocument();
    expect(screen.getByLabelText('Kernel argument 1')).toHaveValue('audit=0');
    expect(screen.getByLabelText('AMI name')).toHaveValue('my-os');
    await waitFor(() => expect(screen.getByRole('radio', { name: 'Btrfs' })).toBeChecked());
    await waitFor(() => expect(buildButton()).toBeEnabled());
  });

  test('a recorded kickstart whose passwords were masked must be typed again', async () => {
    fakeRpc.setJobs([
      diskBuildJob(
        diskBuildRecord({
          request: diskBuildRequest({
            types: ['anaconda-iso'],
            config: {
              users: [],
              groups: [],
              kernelArgs: [],
              filesystems: [],
              installer: { kickstart: 'rootpw ********', modulesEnable: [], modulesDisable: [] },
            },
          }),
        }),
      ),
    ]);
    renderForm(`${ROUTES.buildDiskImage}?rebuild=build-1`);
    await waitFor(() => expect(screen.getByLabelText('Kickstart')).toHaveValue('rootpw ********'));
    expect(screen.getByText(/passwords in this kickstart were removed/)).toBeInTheDocument();
    expect(buildButton()).toBeDisabled();
    expect(parseRoute(router.route).query).toEqual({ rebuild: 'build-1' });
  });
});

describe('BuildDiskImagePage: what is still missing', () => {
  test('an untouched form flags no field, and lists what stands before building', async () => {
    fakeRpc.api.describeImageForBuild.mockResolvedValue({
      ref: CENTOS,
      engineId: 'podman.podman-machine-default',
      architectures: ['amd64', 'arm64'],
      labels: {},
    });
    fakeRpc.api.listEngines.mockResolvedValue([]);
    renderForm(buildFormRoute(CENTOS, ENGINE));
    const missing = await screen.findByRole('group', { name: 'Before building' });
    await waitFor(() => expect(missing).toHaveTextContent('Architecture: choose the target architecture'));
    expect(missing).toHaveTextContent('Output folder: choose an output folder');
    expect(besideField('Output folder')).not.toContain('choose an output folder');
    expect(buildButton()).toBeDisabled();

    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: 'arm64' }));
    await user.type(screen.getByLabelText('Output folder'), '/out');
    await waitFor(() => expect(screen.queryByRole('group', { name: 'Before building' })).not.toBeInTheDocument());
    expect(buildButton()).toBeEnabled();
  });

  test('without a deep link, the form asks for an image', async () => {
    renderForm(ROUTES.buildDiskImage);
    expect(await screen.findByRole('group', { name: 'Before building' })).toHaveTextContent(
      'Image: choose a bootc image',
    );
    expect(await screen.findByLabelText('Image')).toHaveTextContent('Choose a bootc image');
    expect(fakeRpc.api.describeImageForBuild).not.toHaveBeenCalled();
  });
});

describe('BuildDiskImagePage: messages at the right time, in the user’s words', () => {
  test('"Another builder image…" says nothing about the empty image until the user types there', async () => {
    const user = await validForm();
    await user.click(screen.getByLabelText('Builder'));
    await user.click(screen.getByRole('button', { name: 'Another builder image…' }));
    expect(besideField('Builder image')).not.toMatch(/image reference is required/);
    // Build stays disabled, and the list says why in plain words.
    expect(buildButton()).toBeDisabled();
    expect(screen.getByRole('group', { name: 'Before building' })).toHaveTextContent(
      'Builder image: type the builder’s image',
    );
    await user.type(screen.getByLabelText('Builder image'), 'Not A Ref');
    await waitFor(() => expect(besideField('Builder image')).toMatch(/not an image reference/));
  });

  test('no "Architecture: choose…" while the image’s architectures are being read', async () => {
    let answer!: (value: Awaited<ReturnType<typeof fakeRpc.api.describeImageForBuild>>) => void;
    fakeRpc.api.describeImageForBuild.mockReturnValue(new Promise(resolve => (answer = resolve)));
    renderForm(buildFormRoute(CENTOS, ENGINE));
    const missing = await screen.findByRole('group', { name: 'Before building' });
    await waitFor(() => expect(missing).toHaveTextContent('Output folder'));
    expect(missing).not.toHaveTextContent('Architecture');
    answer({ ref: CENTOS, engineId: ENGINE, architectures: ['amd64', 'arm64'], labels: {} });
    await waitFor(() => expect(screen.getByRole('radio', { name: 'amd64' })).toBeChecked());
  });

  test('a missing output folder: the form says it will be created; one Build would refuse is flagged at once', async () => {
    fakeRpc.api.previewDiskBuild.mockImplementation(async request => ({
      configToml: '',
      command: '',
      warnings: [],
      outputFolder:
        request.outputDir === '/home/me/disks'
          ? { state: 'missing', message: '/home/me/disks does not exist yet: it will be created' }
          : { state: 'refused', message: '/etc/passwd is not a folder' },
    }));
    const user = await validForm();
    expect(await screen.findByRole('note', { name: 'Output folder note' })).toHaveTextContent(
      '/home/me/disks does not exist yet: it will be created',
    );
    expect(buildButton()).toBeEnabled();
    await user.clear(screen.getByLabelText('Output folder'));
    await user.type(screen.getByLabelText('Output folder'), '/etc/passwd');
    await waitFor(() => expect(besideField('Output folder')).toContain('/etc/passwd is not a folder'));
    expect(buildButton()).toBeDisabled();
    expect(screen.queryByRole('note', { name: 'Output folder note' })).not.toBeInTheDocument();
  });

  test('an imported password with a newline is flagged on its row, naming the user', async () => {
    fakeRpc.api.importBuildConfig.mockResolvedValue({
      config: {
        users: [{ name: 'alice', password: 'pa\nss', groups: [] }],
        groups: [],
        kernelArgs: [],
        filesystems: [],
      },
      unknownFields: [],
    });
    const user = await validForm();
    await user.click(screen.getByRole('button', { name: 'Import…' }));
    await waitFor(() =>
      expect(besideField('User 1 password')).toContain(
        'User alice: the password contains a control character (newline); nobody could type it at a login prompt',
      ),
    );
    expect(buildButton()).toBeDisabled();
  });
});

describe('BuildDiskImagePage: an output folder that holds another build', () => {
  const SUGGESTION = '/home/me/disks/fedora-bootc-20261203-0712';

  beforeEach(() => {
    fakeRpc.api.checkOutputFolder.mockImplementation(async dir =>
      dir === '/home/me/disks'
        ? { conflicts: [{ path: '/home/me/disks/qcow2/disk.qcow2', buildId: 'aaaaaaaaaaaa' }], suggestion: SUGGESTION }
        : { conflicts: [], suggestion: `${dir}/fedora-bootc-20261203-0712` },
    );
    fakeRpc.api.startDiskBuild.mockResolvedValue('build-8');
    fakeRpc.setJobs([diskBuildJob(diskBuildRecord({ id: 'build-8' }))]);
  });

  test('the form names the build, blocks Build, and offers a fresh subfolder (created on start)', async () => {
    const user = renderForm();
    await user.type(screen.getByLabelText('Output folder'), '/home/me/disks');
    const alert = await screen.findByRole('alert', { name: 'Output folder in use' });
    expect(alert).toHaveTextContent('This folder already holds the disk images of build aaaaaaaaaaaa');
    expect(fakeRpc.api.checkOutputFolder).toHaveBeenLastCalledWith('/home/me/disks', FEDORA, ['qcow2']);
    expect(buildButton()).toBeDisabled();

    await user.click(within(alert).getByRole('button', { name: 'Use a fresh folder' }));
    expect(screen.getByLabelText('Output folder')).toHaveValue(SUGGESTION);
    await waitFor(() => expect(screen.queryByRole('alert', { name: 'Output folder in use' })).not.toBeInTheDocument());
    await waitFor(() => expect(buildButton()).toBeEnabled());
    await user.click(buildButton());
    expect(fakeRpc.api.startDiskBuild).toHaveBeenCalledWith(expect.objectContaining({ outputDir: SUGGESTION }), {
      createOutputDir: true,
    });
  });

  test('overwriting takes an explicit tick, and is sent with the build', async () => {
    const user = renderForm();
    await user.type(screen.getByLabelText('Output folder'), '/home/me/disks');
    const alert = await screen.findByRole('alert', { name: 'Output folder in use' });
    await user.click(within(alert).getByRole('checkbox', { name: 'Overwrite them' }));
    await waitFor(() => expect(buildButton()).toBeEnabled());
    await user.click(buildButton());
    expect(fakeRpc.api.startDiskBuild).toHaveBeenCalledWith(expect.objectContaining({ outputDir: '/home/me/disks' }), {
      overwrite: true,
    });
  });
});

describe('BuildDiskImagePage: bootc container lint', () => {
  test('the image is linted once chosen; its errors block Build until the user builds anyway, its warnings are listed', async () => {
    fakeRpc.api.lintImageForBuild.mockResolvedValue({
      checked: true,
      errors: ['Lint error: kernel: Multiple kernels found'],
      warnings: ['Lint warning: var-log: Found non-empty logfiles'],
    });
    const user = renderForm();
    await user.type(screen.getByLabelText('Output folder'), '/home/me/disks');
    const findings = await screen.findByRole('list', { name: 'Lint findings' });
    expect(findings).toHaveTextContent('Lint error: kernel: Multiple kernels found');
    expect(findings).toHaveTextContent('Lint warning: var-log: Found non-empty logfiles');
    expect(fakeRpc.api.lintImageForBuild).toHaveBeenCalledWith(ENGINE, FEDORA);
    expect(buildButton()).toBeDisabled();
    await user.click(screen.getByRole('checkbox', { name: /Build anyway/ }));
    await waitFor(() => expect(buildButton()).toBeEnabled());
  });

  test('an image whose bootc cannot lint is said, and builds', async () => {
    fakeRpc.api.lintImageForBuild.mockResolvedValue({ checked: false, errors: [], warnings: [] });
    await validForm();
    expect(screen.getByRole('region', { name: 'bootc container lint' })).toHaveTextContent(/Not linted/);
  });
});
