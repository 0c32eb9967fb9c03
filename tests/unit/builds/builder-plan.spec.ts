import { execFileSync } from 'node:child_process';

import { describe, expect, test } from 'vitest';

import {
  BUILD_ARCHITECTURES,
  type BuilderChoice,
  DISK_IMAGE_TYPES,
  type DiskBuildRequest,
  type DiskImageType,
  emptyBuildConfig,
  isIsoType,
  ROOT_FILESYSTEMS,
} from '../../../src/api/disk-build';

import { validateDiskBuildRequest } from '../../../src/api/disk-build-schema';
import { artifactPath, artifactsFor, bibManifestName, outputEntriesFor } from '../../../src/builds/artifacts';
import { previewBuild } from '../../../src/builds/build-preview';
import {
  BuildPlanError,
  cacheVolumes,
  planBuild,
  renderRunCommand,
  type BuildFacts,
} from '../../../src/builds/builder-plan';

const facts: BuildFacts = {
  graphRoot: '/var/lib/containers/storage',
  configPath: '/tmp/bootc-studio-abc/config.toml',
  engineRootful: true,
};

function request(overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
  return {
    image: 'quay.io/fedora/fedora-bootc:42',
    outputDir: '/home/demo/out',
    types: ['qcow2'],
    arch: 'amd64',
    builder: 'centos',
    config: emptyBuildConfig(),
    ...overrides,
  };
}

const DISK_TYPES = DISK_IMAGE_TYPES.filter(type => !isIsoType(type));
const ISO_TYPES = DISK_IMAGE_TYPES.filter(isIsoType);

describe('artifact paths', () => {
  test.each([
    ['qcow2', 'qcow2/disk.qcow2'],
    ['raw', 'image/disk.raw'],
    ['ami', 'image/disk.raw'],
    ['vmdk', 'vmdk/disk.vmdk'],
    ['vhd', 'vpc/disk.vhd'],
    ['gce', 'gce/image.tar.gz'],
    ['anaconda-iso', 'bootiso/install.iso'],
    ['iso', 'bootiso/install.iso'],
    ['bootc-installer', 'bootiso/install.iso'],
  ] as [DiskImageType, string][])('%s → %s', (type, path) => {
    expect(artifactPath(type)).toBe(path);
  });

  test('what a build writes in the output folder', () => {
    expect(outputEntriesFor(['raw', 'ami', 'qcow2'], true)).toEqual(['image', 'qcow2', 'manifest-raw-ami-qcow2.json']);
    expect(outputEntriesFor(['vhd'], false)).toEqual(['vpc']);
    expect(bibManifestName(['anaconda-iso'])).toBe('manifest-anaconda-iso.json');
  });
});

describe('bootc-image-builder plans', () => {
  test('the seed walkthrough', () => {
    const plan = planBuild(request({ types: ['vmdk'], arch: 'arm64', rootfs: 'xfs' }), { ...facts, buildId: 'b1' });
    expect(plan).toEqual({
      kind: 'bootc-image-builder',
      builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
      containerName: 'bootc-studio-build-b1',
      argv: [
        'build',
        '--output',
        '/output',
        '--progress',
        'debug',
        '--type',
        'vmdk',
        '--target-arch',
        'arm64',
        '--rootfs',
        'xfs',
        'quay.io/fedora/fedora-bootc:42',
      ],
      binds: [
        '/home/demo/out:/output',
        '/var/lib/containers/storage:/var/lib/containers/storage',
        '/tmp/bootc-studio-abc/config.toml:/config.toml:ro',
      ],
      volumes: cacheVolumes('quay.io/centos-bootc/bootc-image-builder:latest', ['/store', '/rpmmd']),
      privileged: true,
      securityOpt: ['label=type:unconfined_t'],
      labels: { 'bootc.image.builder': 'true', 'bootc-studio.build-id': 'b1' },
      artifacts: [{ type: 'vmdk', path: 'vmdk/disk.vmdk' }],
      outputEntries: ['vmdk', 'manifest-vmdk.json'],
      warnings: [],
    });
  });

  // Every combination the form can produce: each valid type set × arch × rootfs × builder.
  const typeSets: DiskImageType[][] = [
    ...DISK_TYPES.map(type => [type]),
    [...DISK_TYPES],
    ...ISO_TYPES.map(type => [type]),
  ];
  const builders: BuilderChoice[] = ['centos', 'rhel9', 'rhel10', { image: 'localhost/my-bib:dev' }];
  const rootfses = [undefined, ...ROOT_FILESYSTEMS];
  const combinations = typeSets.flatMap(types =>
    BUILD_ARCHITECTURES.flatMap(arch =>
      rootfses.flatMap(rootfs => builders.map(builder => ({ types, arch, rootfs, builder }))),
    ),
  );

  test(`all ${combinations.length} combinations plan as the builder expects`, () => {
    for (const combination of combinations) {
      const req = request(combination);
      expect(validateDiskBuildRequest(req).ok).toBe(true);
      const plan = planBuild(req, facts);
      const { argv } = plan;
      expect(argv[0]).toBe('build');
      expect(argv.at(-1)).toBe(req.image);
      expect(argv.filter((_, i) => argv[i - 1] === '--type')).toEqual(combination.types);
      expect(argv[argv.indexOf('--target-arch') + 1]).toBe(combination.arch);
      expect(argv.includes('--rootfs')).toBe(combination.rootfs !== undefined);
      if (combination.rootfs) expect(argv[argv.indexOf('--rootfs') + 1]).toBe(combination.rootfs);
      expect(argv[argv.indexOf('--progress') + 1]).toBe('debug');
      expect(argv[argv.indexOf('--output') + 1]).toBe('/output');
      for (const deprecated of ['--local', '--tls-verify', '--config']) expect(argv).not.toContain(deprecated);
      expect(plan.artifacts).toEqual(artifactsFor(combination.types));
      expect(plan.privileged).toBe(true);
      expect(plan.securityOpt).toEqual(['label=type:unconfined_t']);
      expect(plan.labels['bootc.image.builder']).toBe('true');
      expect(plan.volumes.map(volume => volume.target)).toEqual(['/store', '/rpmmd']);
    }
  });

  test('builder images by name', () => {
    const image = (builder: BuilderChoice) => planBuild(request({ builder }), facts).builderImage;
    expect(image('centos')).toBe('quay.io/centos-bootc/bootc-image-builder:latest');
    expect(image('rhel9')).toBe('registry.redhat.io/rhel9/bootc-image-builder:9.7');
    expect(image('rhel10')).toBe('registry.redhat.io/rhel10/bootc-image-builder:10.1');
    expect(image({ image: 'localhost/my-bib:dev' })).toBe('localhost/my-bib:dev');
  });

  test("the engine's actual graph root is mounted, not an assumed one", () => {
    const plan = planBuild(request(), { ...facts, graphRoot: '/mnt/fast/containers/storage' });
    expect(plan.binds).toContain('/mnt/fast/containers/storage:/var/lib/containers/storage');
    expect(() => planBuild(request(), { ...facts, graphRoot: 'relative' })).toThrow(BuildPlanError);
  });

  test('no config file, no config mount', () => {
    const plan = planBuild(request(), { ...facts, configPath: undefined });
    expect(plan.binds).toEqual(['/home/demo/out:/output', '/var/lib/containers/storage:/var/lib/containers/storage']);
  });

  test('chown and AWS flags, with ~/.aws read-only', () => {
    const aws = { amiName: 'my-os', bucket: 'my-bucket', region: 'us-east-1' };
    const plan = planBuild(request({ types: ['ami'], chown: '1000:1000', aws }), {
      ...facts,
      awsConfigDir: '/home/demo/.aws',
    });
    expect(plan.argv).toEqual([
      'build',
      '--output',
      '/output',
      '--progress',
      'debug',
      '--type',
      'ami',
      '--target-arch',
      'amd64',
      '--chown',
      '1000:1000',
      '--aws-ami-name',
      'my-os',
      '--aws-bucket',
      'my-bucket',
      '--aws-region',
      'us-east-1',
      'quay.io/fedora/fedora-bootc:42',
    ]);
    expect(plan.binds).toContain('/home/demo/.aws:/root/.aws:ro');
    expect(plan.chownAfter).toBeUndefined();
    expect(() => planBuild(request({ types: ['ami'], aws }), facts)).toThrow(/~\/\.aws/);
  });

  test('a remote engine sees the output folder by its own path', () => {
    const plan = planBuild(request(), { ...facts, outputDirOnEngine: '/srv/builds/out' });
    expect(plan.binds[0]).toBe('/srv/builds/out:/output');
  });

  test('a rootless engine is a warning for the plan, not a failure', () => {
    const plan = planBuild(request(), { ...facts, engineRootful: false });
    expect(plan.warnings).toEqual([
      'the builder needs a rootful engine: this one is rootless, so the build has to run as root',
    ]);
  });

  test('cache volumes are stable per builder image and valid volume names', () => {
    const a = cacheVolumes('quay.io/centos-bootc/bootc-image-builder:latest', ['/store', '/rpmmd']);
    expect(a).toEqual(cacheVolumes('quay.io/centos-bootc/bootc-image-builder:latest', ['/store', '/rpmmd']));
    expect(a[0].name).toMatch(/^bootc-studio-store-bootc-image-builder-latest-[0-9a-f]{8}$/);
    expect(a[1].name).toMatch(/^bootc-studio-rpmmd-bootc-image-builder-latest-[0-9a-f]{8}$/);
    const b = cacheVolumes('registry.redhat.io/rhel9/bootc-image-builder:9.7', ['/store']);
    expect(b[0].name).not.toBe(a[0].name);
    const digest = cacheVolumes(`localhost/x@sha256:${'a'.repeat(64)}`, ['/store']);
    for (const volume of [...a, ...b, ...digest]) expect(volume.name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
  });
});

describe('image-builder plans', () => {
  test.each(DISK_TYPES)('%s lands on the same path as with bootc-image-builder', type => {
    const plan = planBuild(request({ builder: 'image-builder', types: [type], arch: 'arm64', rootfs: 'ext4' }), facts);
    const [dir, file] = artifactPath(type).split('/');
    expect(plan.kind).toBe('image-builder');
    expect(plan.builderImage).toBe('ghcr.io/osbuild/image-builder-cli:latest');
    expect(plan.argv).toEqual([
      'build',
      '--bootc-ref',
      'quay.io/fedora/fedora-bootc:42',
      '--output-dir',
      `/output/${dir}`,
      '--output-name',
      file.slice(0, file.indexOf('.')),
      '--progress',
      'debug',
      '--arch',
      'aarch64',
      '--bootc-default-fs',
      'ext4',
      '--blueprint',
      '/config.toml',
      '--cache',
      '/store',
      type,
    ]);
    expect(plan.artifacts).toEqual([{ type, path: artifactPath(type) }]);
    expect(plan.volumes.map(volume => volume.target)).toEqual(['/store']);
    expect(plan.outputEntries).toEqual([dir]);
  });

  test('chown happens after the build, AWS flags ride along, no config means no blueprint', () => {
    const aws = { amiName: 'my-os', bucket: 'my-bucket', region: 'us-east-1' };
    const plan = planBuild(request({ builder: 'image-builder', types: ['ami'], chown: '1000:1000', aws }), {
      ...facts,
      configPath: undefined,
      awsConfigDir: '/home/demo/.aws',
    });
    expect(plan.chownAfter).toBe('1000:1000');
    expect(plan.argv).not.toContain('--chown');
    expect(plan.argv).not.toContain('--blueprint');
    expect(plan.argv.slice(-7)).toEqual([
      '--aws-ami-name',
      'my-os',
      '--aws-bucket',
      'my-bucket',
      '--aws-region',
      'us-east-1',
      'ami',
    ]);
    expect(plan.argv[plan.argv.indexOf('--arch') + 1]).toBe('x86_64');
  });

  test('more than one type, or an ISO, is refused', () => {
    expect(() => planBuild(request({ builder: 'image-builder', types: ['qcow2', 'raw'] }), facts)).toThrow(
      /one image type/,
    );
    expect(() => planBuild(request({ builder: 'image-builder', types: ['iso'] }), facts)).toThrow(/disk images only/);
    const custom = { image: 'localhost/ib:1', kind: 'image-builder' as const };
    expect(planBuild(request({ builder: custom }), facts).kind).toBe('image-builder');
  });
});

describe('the command for pasting', () => {
  test('renders the plan with every argument quoted', () => {
    const plan = planBuild(
      request({ types: ['qcow2', 'raw'], rootfs: 'xfs', outputDir: "/home/demo/my 'disks'" }),
      facts,
    );
    const command = renderRunCommand(plan, { sudo: true });
    const [store, rpmmd] = plan.volumes;
    expect(command).toBe(
      [
        'sudo podman run --rm --privileged',
        '--security-opt label=type:unconfined_t',
        '--label bootc.image.builder=true',
        `-v '/home/demo/my '\\''disks'\\'':/output'`,
        '-v /var/lib/containers/storage:/var/lib/containers/storage',
        '-v /tmp/bootc-studio-abc/config.toml:/config.toml:ro',
        `-v ${store.name}:/store`,
        `-v ${rpmmd.name}:/rpmmd`,
        'quay.io/centos-bootc/bootc-image-builder:latest',
        'build',
        '--output /output',
        '--progress debug',
        '--type qcow2',
        '--type raw',
        '--target-arch amd64',
        '--rootfs xfs',
        'quay.io/fedora/fedora-bootc:42',
      ].join(' \\\n  '),
    );
  });

  test('sh reads the rendered command back into the same words', () => {
    const plan = planBuild(request({ outputDir: '/tmp/out $(id) `x` "y" *' }), facts);
    const command = renderRunCommand(plan, { engine: 'printf', multiline: true });
    // Replace `podman`'s role with printf to see the exact words sh would pass.
    const words = execFileSync('sh', ['-c', command.replace(/^printf run/, "printf '%s\\n' run")], {
      encoding: 'utf8',
    })
      .split('\n')
      .slice(0, -1);
    const [store, rpmmd] = plan.volumes;
    expect(words).toEqual([
      'run',
      '--rm',
      '--privileged',
      '--security-opt',
      'label=type:unconfined_t',
      '--label',
      'bootc.image.builder=true',
      '-v',
      '/tmp/out $(id) `x` "y" *:/output',
      '-v',
      '/var/lib/containers/storage:/var/lib/containers/storage',
      '-v',
      '/tmp/bootc-studio-abc/config.toml:/config.toml:ro',
      '-v',
      `${store.name}:/store`,
      '-v',
      `${rpmmd.name}:/rpmmd`,
      plan.builderImage,
      ...plan.argv,
    ]);
  });

  test('single-line form', () => {
    const command = renderRunCommand(planBuild(request(), { ...facts, configPath: undefined }), { multiline: false });
    expect(command).not.toContain('\n');
    expect(command.startsWith('podman run --rm --privileged --security-opt label=type:unconfined_t')).toBe(true);
  });
});

describe('the live preview', () => {
  test('shows the exact config and command, with no password or hash', () => {
    const secretRequest = request({
      config: {
        ...emptyBuildConfig(),
        users: [{ name: 'demo', password: 'changeit', groups: ['wheel'] }],
        kernelArgs: ['audit=0'],
      },
    });
    const preview = previewBuild(secretRequest, { graphRoot: '/var/lib/containers/storage', engineRootful: true });
    expect(preview.configToml).toBe(
      '[[customizations.user]]\nname = "demo"\npassword = "********"\ngroups = [ "wheel" ]\n\n[customizations.kernel]\nappend = "audit=0"\n',
    );
    expect(preview.command).toContain('-v ./config.toml:/config.toml:ro');
    expect(JSON.stringify(preview)).not.toContain('changeit');
    expect(preview.artifacts).toEqual([{ type: 'qcow2', path: 'qcow2/disk.qcow2' }]);
  });

  test('with nothing to configure there is no config and no mount', () => {
    const preview = previewBuild(
      request(),
      { graphRoot: '/var/lib/containers/storage', engineRootful: false },
      { sudo: true },
    );
    expect(preview.configToml).toBeUndefined();
    expect(preview.command).not.toContain('config.toml');
    expect(preview.command.startsWith('sudo podman run')).toBe(true);
    expect(preview.warnings).toHaveLength(1);
  });
});
