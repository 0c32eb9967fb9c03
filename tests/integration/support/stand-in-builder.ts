/**
 * A stand-in for bootc-image-builder, built by the tests from a busybox root filesystem (the real
 * builder cannot be pulled here). It honours the builder's command-line contract, so everything
 * around it — plan, container, mounts, log, progress, artifacts, exit code — is exercised for real:
 *
 * - `build` and exactly the flags a plan passes (`--output --progress --type… --target-arch --rootfs
 *   --chown --aws-ami-name --aws-bucket --aws-region`, `--flag value` or `--flag=value`) and one image
 *   reference; anything else is refused as cobra refuses it (`Error: unknown flag: --local`); ISO and
 *   disk types together as the builder refuses them (`cannot mix ISO/disk images in request [...]`);
 * - it checks that it runs privileged (CAP_SYS_ADMIN in its effective set and /dev/loop-control
 *   present, which an unprivileged container lacks) and that /var/lib/containers/storage is an image
 *   store (overlay or vfs) whose images.json names the image;
 * - it copies the /config.toml it received to `/output/stand-in-config.toml` (the test reads it, then
 *   deletes it) and, like osbuild in verbose mode, prints the users stage with the password hash —
 *   so the redaction of the log is tested against the real thing;
 * - it prints osbuild's `--progress debug` lines (`[n / total] Pipeline …`, `  [n / total] Stage …`),
 *   writes each artifact at its real path (small files, growing during the build: a cancel leaves
 *   partial ones) plus `manifest-<types>.json`, and ends with `Build complete!`.
 *
 * Behaviour on request, through the image's environment (make a variant with `standInVariant`):
 * `STANDIN_STEP_SECONDS` (default 0.05) the pause between stages, `STANDIN_STAGES` (default 4)
 * stages per pipeline, `STANDIN_FAIL=stage` fails in a stage like osbuild does (exit 1),
 * `STANDIN_FAIL=nospace` fails with "No space left on device". `STANDIN_DISK_DIR` names a folder
 * of the image whose files (`qcow2/disk.qcow2`, …) are written instead of zeros: a disk that boots.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { buildImage, createBusyboxBase } from './images';
import type { PodmanService } from './podman-service';
import type { TestDisk } from './test-disk';

export const STAND_IN_BUILDER = 'localhost/stand-in-bootc-image-builder:latest';
const STAND_IN_BASE = 'localhost/stand-in-bootc-image-builder-base:latest';

export const STAND_IN_SCRIPT = String.raw`#!/bin/sh
# Stand-in for bootc-image-builder (tests only). Argument parsing follows cobra's messages.
set -u

die() { echo "Error: $*" >&2; exit 1; }
trap 'echo "Received signal, stopping" >&2; exit 143' TERM INT
[ "${'$'}{STANDIN_IGNORE_TERM:-}" = 1 ] && trap '' TERM

step_pause() {
  sleep "$STANDIN_STEP_SECONDS" &
  wait $!
}

STANDIN_STEP_SECONDS="${'$'}{STANDIN_STEP_SECONDS:-0.05}"
STANDIN_STAGES="${'$'}{STANDIN_STAGES:-4}"
STANDIN_FAIL="${'$'}{STANDIN_FAIL:-}"

[ "${'$'}{1:-}" = build ] || die "unknown command \"${'$'}{1:-}\" for \"bootc-image-builder\""
shift

output=.; progress=auto; types=; arch=; rootfs=; chown_to=; ami=; bucket=; region=; image=; nimages=0
while [ $# -gt 0 ]; do
  arg="$1"; shift
  case "$arg" in
    --*=*) name="${'$'}{arg%%=*}"; value="${'$'}{arg#*=}"; has_value=1 ;;
    --*) name="$arg"; value=; has_value=0 ;;
    -*) die "unknown shorthand flag: '${'$'}{arg#-}' in $arg" ;;
    *) image="$arg"; nimages=$((nimages + 1)); continue ;;
  esac
  case "$name" in
    --output|--progress|--type|--target-arch|--rootfs|--chown|--aws-ami-name|--aws-bucket|--aws-region)
      if [ "$has_value" = 0 ]; then
        [ $# -gt 0 ] || die "flag needs an argument: $name"
        value="$1"; shift
      fi ;;
    *) die "unknown flag: $name" ;;
  esac
  case "$name" in
    --output) output="$value" ;;
    --progress) progress="$value" ;;
    --type) types="$types $value" ;;
    --target-arch) arch="$value" ;;
    --rootfs) rootfs="$value" ;;
    --chown) chown_to="$value" ;;
    --aws-ami-name) ami="$value" ;;
    --aws-bucket) bucket="$value" ;;
    --aws-region) region="$value" ;;
  esac
done
[ "$nimages" = 1 ] || die "accepts 1 arg(s), received $nimages"
case "$progress" in auto|verbose|term|debug) ;; *) die "unknown progress type: \"$progress\"" ;; esac
[ -n "$types" ] || types=" qcow2"
case "$rootfs" in ''|ext4|xfs|btrfs) ;; *) die "cannot use rootfs \"$rootfs\": not one of ext4, xfs, btrfs" ;; esac
case "$arch" in ''|amd64|x86_64|arm64|aarch64) ;; *) die "unsupported target architecture \"$arch\"" ;; esac
if [ -n "$ami$bucket$region" ] && { [ -z "$ami" ] || [ -z "$bucket" ] || [ -z "$region" ]; }; then
  die "if any flags in the group [aws-ami-name aws-bucket aws-region] are set they must all be set"
fi
case "$chown_to" in ''|*[0-9]:[0-9]*) ;; *) die "chown must be UID:GID" ;; esac

isos=0; disks=0; list=
for t in $types; do
  case "$t" in
    ami|qcow2|raw|vmdk|vhd|gce) disks=$((disks + 1)) ;;
    anaconda-iso|iso|bootc-installer) isos=$((isos + 1)) ;;
    *) die "unsupported image type \"$t\", valid types are ami, anaconda-iso, bootc-installer, gce, iso, ova, pxe-tree, qcow2, raw, vhd, vmdk" ;;
  esac
  list="${'$'}{list:+$list }$t"
done
[ "$isos" -gt 0 ] && [ "$disks" -gt 0 ] && die "cannot mix ISO/disk images in request [$list]"

# Privileged: CAP_SYS_ADMIN (bit 21) in the effective set, and the loop devices osbuild needs.
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
if [ $(( (0x$capeff >> 21) & 1 )) -ne 1 ] || [ ! -e /dev/loop-control ]; then
  die "this command requires a privileged container"
fi

storage=/var/lib/containers/storage
driver=
for d in overlay vfs; do [ -d "$storage/$d" ] && driver=$d && break; done
[ -n "$driver" ] || die "cannot find \"$storage/overlay\" (missing -v $storage:$storage mount?)"
found=0
for name in "$image" "localhost/$image" "$image:latest" "localhost/$image:latest"; do
  if grep -qF "\"$name\"" "$storage/$driver-images/images.json" 2>/dev/null; then found=1; break; fi
done
[ "$found" = 1 ] || die "image \"$image\" not found in local storage: bootc-image-builder no longer pulls images, make sure to pull it before running bootc-image-builder: podman pull $image"

[ -d "$output" ] || die "output directory $output does not exist"
manifest="manifest-$(echo $list | tr ' ' '-').json"
echo "Generating manifest $manifest"
[ -n "$arch" ] && case "$(uname -m)" in
  x86_64) [ "$arch" = amd64 ] || [ "$arch" = x86_64 ] || echo "WARNING: target-arch is experimental and needs an installed 'qemu-user' package" ;;
  aarch64) [ "$arch" = arm64 ] || [ "$arch" = aarch64 ] || echo "WARNING: target-arch is experimental and needs an installed 'qemu-user' package" ;;
esac
if [ -f /config.toml ]; then
  cp /config.toml "$output/stand-in-config.toml"
  echo "Using config /config.toml"
fi
printf '{"version":"2","stand-in":true,"image":"%s","types":"%s"}\n' "$image" "$list" > "$output/$manifest"
echo "Done generating manifest"
echo "Building $manifest"

paths=
for t in $list; do
  case "$t" in
    qcow2) p=qcow2/disk.qcow2 ;;
    raw|ami) p=image/disk.raw ;;
    vmdk) p=vmdk/disk.vmdk ;;
    vhd) p=vpc/disk.vhd ;;
    gce) p=gce/image.tar.gz ;;
    *) p=bootiso/install.iso ;;
  esac
  case " $paths " in *" $p "*) ;; *) paths="$paths $p" ;; esac
done

pipelines="build ostree-deployment image $(echo $list | tr ' ' '\n' | head -n 1)"
total=$(echo $pipelines | wc -w)
done_pipelines=0
for pipeline in $pipelines; do
  echo "[$done_pipelines / $total] Pipeline $pipeline"
  echo "Pipeline $pipeline: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  stage=0
  while [ "$stage" -lt "$STANDIN_STAGES" ]; do
    case "$stage" in 0) name=org.osbuild.rpm ;; 1) name=org.osbuild.users ;; 2) name=org.osbuild.selinux ;; *) name=org.osbuild.qemu ;; esac
    echo "  [$stage / $STANDIN_STAGES] Stage $name"
    if [ "$name" = org.osbuild.users ] && [ -f /config.toml ]; then
      # What osbuild prints in verbose mode: the stage's options, password hashes included.
      hash=$(sed -n 's/^password *= *"\(.*\)"$/\1/p' /config.toml | head -n 1)
      [ -n "$hash" ] && echo "org.osbuild.users: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef {\"users\": {\"x\": {\"password\": \"$hash\"}}}"
    fi
    if [ "$pipeline" = image ]; then
      for p in $paths; do mkdir -p "$output/$(dirname $p)"; echo "stand-in $image $pipeline $stage" >> "$output/$p"; done
    fi
    if [ "$STANDIN_FAIL" = stage ] && [ "$pipeline" = image ] && [ "$stage" = 1 ]; then
      echo "Traceback (most recent call last):"
      echo "  File \"/run/osbuild/bin/org.osbuild.users\", line 42, in main"
      echo "subprocess.CalledProcessError: Command '['useradd']' returned non-zero exit status 1."
      echo "manifest - failed"
      echo "Error: cannot run osbuild: running osbuild failed: exit status 1" >&2
      exit 1
    fi
    if [ "$STANDIN_FAIL" = nospace ] && [ "$pipeline" = image ] && [ "$stage" = 1 ]; then
      echo "cp: error writing '/store/tmp/disk.img': No space left on device" >&2
      exit 1
    fi
    step_pause
    stage=$((stage + 1))
  done
  done_pipelines=$((done_pipelines + 1))
done
echo "[$total / $total] Pipeline done"
for p in $paths; do
  if [ -n "${'$'}{STANDIN_DISK_DIR:-}" ] && [ -f "$STANDIN_DISK_DIR/$p" ]; then cat "$STANDIN_DISK_DIR/$p" > "$output/$p"
  else head -c 4096 /dev/zero >> "$output/$p"; fi
done
if [ -n "$chown_to" ]; then
  for p in $paths; do chown -R "$chown_to" "$output/$(dirname $p)"; done
  chown "$chown_to" "$output/$manifest"
fi
echo "manifest - finished successfully"
echo "Build complete!"
echo "Results saved in"
echo "$output"
`;

/** Builds the stand-in builder image (once per podman service). */
export async function createStandInBuilder(service: PodmanService, ref = STAND_IN_BUILDER): Promise<string> {
  await createBusyboxBase(service, STAND_IN_BASE, {
    'usr/bin/bootc-image-builder': { content: STAND_IN_SCRIPT, mode: 0o755 },
  });
  return buildImage(
    service,
    {
      Containerfile: [
        `FROM ${STAND_IN_BASE}`,
        'ENTRYPOINT ["/usr/bin/bootc-image-builder"]',
        'CMD []',
        'LABEL bootc.image.builder.stand-in=1',
        '',
      ].join('\n'),
    },
    ref,
  );
}

/** A variant of the stand-in with behaviour set in its environment (see the header). */
export async function standInVariant(
  service: PodmanService,
  ref: string,
  env: Record<string, string>,
  base = STAND_IN_BUILDER,
): Promise<string> {
  const lines = Object.entries(env).map(([key, value]) => `ENV ${key}=${JSON.stringify(value)}`);
  return buildImage(service, { Containerfile: [`FROM ${base}`, ...lines, ''].join('\n') }, ref);
}

/** A bootc-labelled test image (busybox) the stand-in can "turn into disks". */
export async function createBootcTestImage(
  service: PodmanService,
  ref: string,
  base = 'localhost/busybox-base:latest',
): Promise<string> {
  return buildImage(service, { Containerfile: `FROM ${base}\nLABEL containers.bootc=1\n` }, ref);
}

/** A temp dir under the service's dir (removed with it). */
export function tempOutput(service: PodmanService, prefix = 'out-'): Promise<string> {
  return mkdtemp(join(service.dir, prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A stand-in whose qcow2 is the tiny bootable test disk (support/test-disk.ts): what `vm run IMAGE` boots. */
export async function standInWithTestDisk(service: PodmanService, ref: string, disk: TestDisk): Promise<string> {
  return buildImage(
    service,
    {
      Containerfile: [
        `FROM ${STAND_IN_BUILDER}`,
        'COPY disk.qcow2 /standin-disks/qcow2/disk.qcow2',
        'ENV STANDIN_DISK_DIR=/standin-disks',
        '',
      ].join('\n'),
      'disk.qcow2': await readFile(disk.qcow2),
    },
    ref,
  );
}
