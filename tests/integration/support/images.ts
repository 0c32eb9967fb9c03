/**
 * Test images made locally, without a registry or network: a busybox root filesystem imported as a
 * base image, images built on it with `podman build --isolation chroot`, and manifest lists.
 *
 *   await createBusyboxBase(podman);                      // localhost/busybox-base:latest
 *   await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, 'localhost/x:1');
 *   await createManifestList(podman, 'localhost/multi:1', ['localhost/x:1']);
 */

import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile, copyFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';

import type { PodmanService } from './podman-service';
import { requireExecutable, runProcess } from './run-process';

export const BUSYBOX_BASE = 'localhost/busybox-base:latest';

/** A file to write: its content, or content with a mode (default 0644). */
export type FileSpec = string | Buffer | { content: string | Buffer; mode?: number };

/** The OCI architecture of this machine (`amd64`, `arm64`…), as podman reports it. */
export function machineArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

/**
 * Writes a minimal root filesystem into `dir`: a static busybox with a symlink per applet in /bin,
 * root in /etc/passwd and /etc/group, and the usual empty directories; then `files` on top
 * (relative paths, e.g. `{ 'usr/bin/tool': { content: script, mode: 0o755 } }`).
 */
export async function createBusyboxRootfs(dir: string, files: Record<string, FileSpec> = {}): Promise<void> {
  const busybox = requireExecutable('busybox', 'busybox-static');
  await assertStatic(busybox);
  for (const sub of ['bin', 'etc', 'dev', 'proc', 'sys', 'root', 'run', 'var', 'usr/bin', 'usr/sbin']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await chmod(join(dir, 'tmp'), 0o1777);
  await copyFile(busybox, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  const { stdout } = await runProcess(busybox, ['--list']);
  for (const applet of stdout.split('\n').map(line => line.trim())) {
    if (!/^[\w.[-]+$/.test(applet) || applet === 'busybox') continue;
    await symlink('busybox', join(dir, 'bin', applet));
  }
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\n');
  await writeFiles(dir, files);
}

/**
 * Imports a busybox root filesystem (plus `files`) as image `ref` with CMD /bin/sh; no labels.
 * Returns the image id.
 */
/** `rootfs` as a tarball for `podman import`, every file owned by root. */
export async function tarRootfs(rootfs: string, tarball: string): Promise<void> {
  await runProcess(requireExecutable('tar', 'tar'), [
    '--create',
    '--file',
    tarball,
    '--directory',
    rootfs,
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '.',
  ]);
}

export async function createBusyboxBase(
  service: PodmanService,
  ref = BUSYBOX_BASE,
  files: Record<string, FileSpec> = {},
): Promise<string> {
  const work = await mkdtemp(join(service.dir, 'busybox-'));
  try {
    const rootfs = join(work, 'rootfs');
    await createBusyboxRootfs(rootfs, files);
    const tarball = join(work, 'rootfs.tar');
    await tarRootfs(rootfs, tarball);
    const { stdout } = await service.podman(['import', '--quiet', '--change', 'CMD ["/bin/sh"]', tarball, ref]);
    return lastLine(stdout);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface BuildOptions {
  /** The Containerfile's name within the context. Default: `Containerfile`, else `Dockerfile`. */
  containerfile?: string;
  buildArgs?: Record<string, string>;
  /** Extra `podman build` flags, e.g. `['--label', 'a=b']`. */
  extraArgs?: string[];
}

/**
 * Builds `ref` from a context made of `contextFiles` (relative path → content) with
 * `podman build --isolation chroot --pull=never`: base images must already be local. Returns the
 * image id (bare hex, as podman lists it).
 */
export async function buildImage(
  service: PodmanService,
  contextFiles: Record<string, FileSpec>,
  ref: string,
  options: BuildOptions = {},
): Promise<string> {
  const containerfile =
    options.containerfile ??
    ('Containerfile' in contextFiles ? 'Containerfile' : 'Dockerfile' in contextFiles ? 'Dockerfile' : undefined);
  if (!containerfile || !(containerfile in contextFiles)) {
    throw new Error(`buildImage(${ref}): the context has no ${options.containerfile ?? 'Containerfile'}`);
  }
  const work = await mkdtemp(join(service.dir, 'build-'));
  try {
    const context = join(work, 'context');
    await mkdir(context);
    await writeFiles(context, contextFiles);
    const iidFile = join(work, 'iid');
    const args = ['build', '--isolation', 'chroot', '--pull=never', '--iidfile', iidFile, '--tag', ref];
    args.push('--file', join(context, containerfile));
    for (const [name, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`);
    args.push(...(options.extraArgs ?? []), context);
    await service.podman(args);
    return (await readFile(iidFile, 'utf8')).trim().replace(/^sha256:/, '');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Creates manifest list `listRef` holding the local images `memberRefs`. Returns the list's id.
 * podman ≤ 4 lists it among the images as a small image without labels or layers.
 */
export async function createManifestList(
  service: PodmanService,
  listRef: string,
  memberRefs: readonly string[],
): Promise<string> {
  const { stdout } = await service.podman(['manifest', 'create', listRef]);
  for (const member of memberRefs) {
    await service.podman(['manifest', 'add', listRef, `containers-storage:${member}`]);
  }
  return lastLine(stdout);
}

async function writeFiles(dir: string, files: Record<string, FileSpec>): Promise<void> {
  for (const [path, spec] of Object.entries(files)) {
    const relative = normalize(path);
    if (isAbsolute(path) || relative === '..' || relative.startsWith('../')) {
      throw new Error(`File path ${path} must be relative and stay inside ${dir}`);
    }
    const target = join(dir, relative);
    await mkdir(dirname(target), { recursive: true });
    const { content, mode } =
      typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec, mode: undefined } : spec;
    await writeFile(target, content);
    await chmod(target, mode ?? 0o644);
  }
}

/** A dynamically linked busybox cannot run in an image with nothing else in it. */
async function assertStatic(busybox: string): Promise<void> {
  const head = (await readFile(busybox)).subarray(0, 64 * 1024).toString('latin1');
  if (/\/ld-linux[^\0]*\.so|\/ld-musl-/.test(head)) {
    throw new Error(
      `${busybox} is dynamically linked; test images need a static busybox: apt-get install -y busybox-static.`,
    );
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1].trim();
}
