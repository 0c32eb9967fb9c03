/**
 * The tiny UEFI-bootable test disk the VM tests boot with real QEMU (test-disk/build.sh, from
 * Debian's kernel, busybox and dropbear): its /init prints markers on the serial console, applies
 * the SMBIOS tmpfiles credential (the VM's SSH key) and a cloud-init NoCloud seed's keys, starts dropbear and powers off on the ACPI
 * power button. Built once per machine and inputs, into a cache folder renamed into place, so test
 * files running at once share it; laid out as bootc-image-builder's output folder on request.
 */

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { BuildUser } from '../../../src/api/disk-build';
import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { BuildStore } from '../../../src/builds/build-store';
import { findExecutable, runProcess } from './run-process';

export const TEST_DISK_MARKERS = {
  booted: 'BOOTC-STUDIO-TEST-DISK BOOTED',
  credential: 'BOOTC-STUDIO-TEST-DISK CREDENTIAL APPLIED',
  /** The cloud-init-only disk saw the SMBIOS credential and left it unapplied. */
  credentialIgnored: 'BOOTC-STUDIO-TEST-DISK CREDENTIAL IGNORED',
  /** Root's keys were taken from a NoCloud seed's user-data. */
  noCloudSeed: 'BOOTC-STUDIO-TEST-DISK NOCLOUD SEED APPLIED',
  ssh: 'BOOTC-STUDIO-TEST-DISK SSH READY',
  poweroff: 'BOOTC-STUDIO-TEST-DISK POWERING OFF',
  installerRunning: 'BOOTC-STUDIO-TEST-INSTALLER RUNNING',
  installerDone: 'BOOTC-STUDIO-TEST-INSTALLER DONE',
} as const;

export interface TestDisk {
  dir: string;
  raw: string;
  qcow2: string;
  vmdk: string;
}

const HERE = join(import.meta.dirname, 'test-disk');

/** The tools build.sh and the layout need, with the Debian package of each. */
const TOOLS: [string, string][] = [
  ['objcopy', 'binutils'],
  ['mkfs.vfat', 'dosfstools'],
  ['mcopy', 'mtools'],
  ['sgdisk', 'gdisk'],
  ['busybox', 'busybox-static'],
  ['qemu-img', 'qemu-utils'],
  ['modprobe', 'kmod'],
];

/** The files build.sh takes into the disk, with the Debian package of each. */
const INPUTS: [string, string][] = [
  ['/usr/lib/systemd/boot/efi/linuxx64.efi.stub', 'systemd-boot-efi'],
  ['/usr/sbin/dropbear', 'dropbear-bin'],
  ['/usr/bin/dropbearkey', 'dropbear-bin'],
  ['/bin/busybox', 'busybox-static'],
];

function kernel(): string | undefined {
  const kernels = existsSync('/boot') ? readdirSync('/boot').filter(name => name.startsWith('vmlinuz-')) : [];
  return kernels.length === 0 ? undefined : join('/boot', kernels.sort().at(-1) as string);
}

/**
 * What the disk build lacks on this machine, as `what (apt package)`; empty when nothing is missing.
 * The tests fail (never skip) with these in the message: `apt-get install -y <packages>`.
 */
export async function missingTestDiskTools(): Promise<string[]> {
  const missing = TOOLS.filter(([tool]) => !findExecutable(tool)).map(([tool, pkg]) => `${tool} (${pkg})`);
  for (const [path, pkg] of INPUTS) if (!existsSync(path)) missing.push(`${path} (${pkg})`);
  if (!kernel()) missing.push('/boot/vmlinuz-* (linux-image-amd64)');
  return missing;
}

/**
 * Builds the disk (or finds it built) and returns its three formats. The `cloud-init-only` variant
 * ignores the SMBIOS credential: its key can come only from a cloud-init NoCloud seed.
 */
export async function buildTestDisk(variant: 'default' | 'cloud-init-only' = 'default'): Promise<TestDisk> {
  const missing = await missingTestDiskTools();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(entry => /\((.+)\)$/.exec(entry)?.[1]))].join(' ');
    throw new Error(`The test disk cannot be built, missing: ${missing.join(', ')}. apt-get install -y ${packages}`);
  }
  // Keyed by the scripts and by which kernel, stub, busybox and dropbear go in (an upgrade rebuilds).
  const hash = createHash('sha256');
  for (const name of ['build.sh', 'init.sh', 'installer-init.sh', 'bootc', 'rpm-ostree'])
    hash.update(readFileSync(join(HERE, name)));
  for (const path of [kernel() as string, ...INPUTS.map(([input]) => input)]) {
    const info = statSync(path);
    hash.update(`${path}:${info.size}:${info.mtimeMs}\n`);
  }
  const suffix = variant === 'default' ? '' : `-${variant}`;
  const dir = join(tmpdir(), `bootc-studio-test-disk-${hash.digest('hex').slice(0, 12)}${suffix}`);
  const disk = {
    dir,
    raw: join(dir, 'image', 'disk.raw'),
    qcow2: join(dir, 'qcow2', 'disk.qcow2'),
    vmdk: join(dir, 'vmdk', 'disk.vmdk'),
  };
  if (existsSync(join(dir, 'done'))) return disk;

  const work = await mkdtemp(join(tmpdir(), 'bootc-studio-test-disk-build-'));
  try {
    const flags = variant === 'default' ? [] : [`--${variant}`];
    await runProcess('bash', [join(HERE, 'build.sh'), join(work, 'image'), ...flags], { timeoutMs: 120_000 });
    await mkdir(join(work, 'qcow2'));
    await mkdir(join(work, 'vmdk'));
    await runProcess('qemu-img', [
      'convert',
      '-O',
      'qcow2',
      join(work, 'image', 'disk.raw'),
      join(work, 'qcow2', 'disk.qcow2'),
    ]);
    // What bootc-image-builder writes for vmdk: streamOptimized.
    await runProcess('qemu-img', [
      'convert',
      '-O',
      'vmdk',
      '-o',
      'subformat=streamOptimized',
      join(work, 'image', 'disk.raw'),
      join(work, 'vmdk', 'disk.vmdk'),
    ]);
    await runProcess('touch', [join(work, 'done')]);
    // Another test file may have built it meanwhile: then its copy stays and this one goes.
    await rename(work, dir).catch(() => undefined);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (!existsSync(join(dir, 'done'))) throw new Error(`the test disk was not built into ${dir}`);
  return disk;
}

/**
 * The test installer ISO (build.sh --installer): boots like the disk, writes the disk onto the VM's
 * first virtio disk and reboots. Built once beside the disk; needs xorriso besides the disk's tools.
 */
export async function buildTestInstaller(disk: TestDisk): Promise<string> {
  const iso = join(disk.dir, 'bootiso', 'install.iso');
  if (existsSync(iso)) return iso;
  if (!findExecutable('xorriso')) {
    throw new Error('The test installer ISO cannot be built, missing: xorriso (xorriso). apt-get install -y xorriso');
  }
  const work = await mkdtemp(join(tmpdir(), 'bootc-studio-test-installer-'));
  try {
    await runProcess('bash', [join(HERE, 'build.sh'), work, '--installer', disk.raw], { timeoutMs: 120_000 });
    await mkdir(dirname(iso), { recursive: true });
    // Test files running at once may both build it: the rename makes either copy whole.
    await copyFile(join(work, 'install.iso'), `${iso}.${process.pid}`);
    await rename(`${iso}.${process.pid}`, iso);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return iso;
}

/** Records a finished anaconda-iso build whose `bootiso/install.iso` is the test installer. */
export async function recordTestInstallerBuild(
  iso: string,
  storeDir: string,
  outputDir: string,
  buildId: string,
  image = 'quay.io/example/tiny-os:1',
): Promise<string> {
  const path = join(outputDir, 'bootiso', 'install.iso');
  await mkdir(dirname(path), { recursive: true });
  await copyFile(iso, path);
  await recordFinishedBuild(storeDir, { id: buildId, image, outputDir, type: 'anaconda-iso', path });
  return path;
}

/** A finished build of `image` whose one artifact is `path`, in the store, as the disk-build service records it. */
async function recordFinishedBuild(
  storeDir: string,
  build: {
    id: string;
    image: string;
    outputDir: string;
    type: 'qcow2' | 'anaconda-iso';
    path: string;
    /** The build config's users (their SSH keys are how a VM that gets no key of its own is reached). */
    users?: BuildUser[];
  },
): Promise<void> {
  const info = await stat(build.path);
  const types = build.type === 'qcow2' ? ['qcow2', 'raw'] : [build.type];
  const record: DiskBuildRecord = {
    id: build.id,
    request: {
      image: build.image,
      types,
      arch: 'amd64',
      outputDir: build.outputDir,
      config: { users: build.users ?? [], groups: [], kernelArgs: [], filesystems: [] },
    } as unknown as DiskBuildRecord['request'],
    status: 'succeeded',
    created: Date.now(),
    engineId: 'test',
    engineName: 'test',
    remote: false,
    builderImage: 'stand-in',
    artifacts: [
      { type: build.type, path: build.path, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev },
    ],
    logPath: join(build.outputDir, 'build.log'),
  };
  await new BuildStore(storeDir).write(record);
}

/** Copies the disk into `outputDir` as a disk build writes it: qcow2/disk.qcow2, image/disk.raw, vmdk/disk.vmdk. */
export async function layOutBuilderOutput(
  disk: TestDisk,
  outputDir: string,
  types: ('qcow2' | 'raw' | 'vmdk')[] = ['qcow2', 'raw', 'vmdk'],
): Promise<Record<'qcow2' | 'raw' | 'vmdk', string>> {
  const paths = {
    qcow2: join(outputDir, 'qcow2', 'disk.qcow2'),
    raw: join(outputDir, 'image', 'disk.raw'),
    vmdk: join(outputDir, 'vmdk', 'disk.vmdk'),
  };
  for (const type of types) {
    await mkdir(dirname(paths[type]), { recursive: true });
    await copyFile(disk[type], paths[type]);
  }
  return paths;
}

/**
 * Lays the disk out in `outputDir` and records a finished build of it in the store at `storeDir`,
 * as the disk-build service records one: what "Launch VM" and `vm run BUILD-ID` boot.
 */
export async function recordTestDiskBuild(
  disk: TestDisk,
  storeDir: string,
  outputDir: string,
  buildId: string,
  image = 'quay.io/example/tiny-os:1',
  users: BuildUser[] = [],
): Promise<Record<'qcow2' | 'raw' | 'vmdk', string>> {
  const paths = await layOutBuilderOutput(disk, outputDir);
  await recordFinishedBuild(storeDir, { id: buildId, image, outputDir, type: 'qcow2', path: paths.qcow2, users });
  return paths;
}
