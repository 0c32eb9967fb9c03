/**
 * The Linux hand-off: the user's podman is rootless, and the builder must run on root's podman. One
 * admin invocation (pkexec, or directly when already root) runs one script that
 *
 *   checks root's podman keeps its images where the plan mounts them →
 *   looks for the image's ID in root's store, and only when it is not there copies it over
 *   (`podman save` as the image's owner into the build's private dir, loaded by root; the archive is
 *   removed right after, and by the exit trap on any failure) →
 *   pulls the builder into root's store when missing →
 *   runs the builder as root, its output on stdout, while watching for the cancel file the runner
 *   writes (cancel, time limit) →
 *   gives the artifacts to the output folder's owner, or removes the partial ones when it failed.
 *
 * `podman save` in the docker-archive format keeps the image ID (the config's digest), not the
 * manifest digest: so IDs are compared, before and after the copy. `podman load` of the archive:
 * skopeo, a stream, or a dir archive were no faster (tests/bench/handoff.bench.ts: 0.5 GB in ~7.7 s
 * by every method, 2 GB in 33–38 s within the noise; the ID check 0.14 s), and the archive goes into
 * the output folder, whose free space was checked, not a tmpfs /tmp.
 *
 * Data enters the script only as quoted variable assignments and quoted command lines (shell-quote.ts);
 * the rest is fixed text — but for one word: the builder's storage mount is root's actual graph root,
 * which only the script can ask root's podman for (`"$graph_root"`).
 *
 * Root's podman is plain `podman` in the script's environment (pkexec gives it a clean one); the
 * owner's podman runs without CONTAINERS_CONF / CONTAINERS_STORAGE_CONF, which are root's.
 */

import type { BuilderPlan } from './builder-plan';
import { CONTAINER_STORAGE, runArgGroups } from './builder-plan';
import { shellAssign, shellQuote } from '../platform/shell-quote';

/** How the script's own failures start (the builder's output never does): the runner names them. */
export const HANDOFF_FAILURE_PREFIX = 'bootc-studio: hand-off failed: ';

/** The file the runner creates in the work dir to stop the builder. */
export const CANCEL_FILE = 'cancel';
/** Where root's podman keeps its images unless configured otherwise: the plan's (and preview's) graph root. */
export const ROOT_GRAPH_ROOT = '/var/lib/containers/storage';

/** What a hand-off build knows of the rootless engine. */
export interface HandoffFacts {
  /** The image's ID in the rootless store. */
  imageId: string;
  /** The owner of the rootless store. */
  owner: { uid: number; gid: number };
}

export interface HandoffInput {
  /** The image as the request names it (`name:tag`, or an ID). */
  image: string;
  /** Its full ID in the owner's store (64 hex digits). */
  imageId: string;
  /** Who owns the rootless store: `podman save` runs as this user, and the artifacts become theirs. */
  owner: { uid: number; gid: number };
  /** The build's private dir (0700, the runner's): the cancel file goes there. */
  workDir: string;
  /** Where the image's archive is written while it is copied (the output folder, whose free space was checked). */
  archive: string;
  outputDir: string;
  /** The builder container, planned with ROOT_GRAPH_ROOT as the graph root: the script mounts root's actual one. */
  plan: BuilderPlan;
  /** `UID:GID` for the artifacts; default the owner. */
  chownTo?: string;
  stopTimeoutSeconds: number;
}

/** What the user is told before the administrator prompt: what the rights are for. */
export function handoffNotice(engineName: string, image: string): string {
  return `${engineName} is rootless, and the builder needs root's podman: the build asks once for administrator rights, to copy ${image} to root's podman (skipped when root's podman already has this image) and to run the builder there`;
}

export function handoffScript(input: HandoffInput): string {
  const { plan } = input;
  if (!plan.containerName) throw new Error('the hand-off needs a named builder container');
  if (!/^[0-9a-f]{64}$/.test(input.imageId)) throw new Error(`not a full image ID: ${input.imageId}`);
  const storageBind = `${ROOT_GRAPH_ROOT}:${CONTAINER_STORAGE}`;
  if (!plan.binds.includes(storageBind)) throw new Error('the hand-off plan must mount ROOT_GRAPH_ROOT');
  const runArgs = [
    'podman',
    'run',
    '--rm',
    '--name',
    plan.containerName,
    '--stop-timeout',
    String(input.stopTimeoutSeconds),
    ...runArgGroups(plan).flat(),
  ];
  const variables = {
    image: input.image,
    image_id: input.imageId,
    short_id: input.imageId.slice(0, 12),
    owner_uid: String(input.owner.uid),
    owner_gid: String(input.owner.gid),
    chown_to: input.chownTo ?? `${input.owner.uid}:${input.owner.gid}`,
    work_dir: input.workDir,
    archive: input.archive,
    output_dir: input.outputDir,
    builder: plan.builderImage,
    container: plan.containerName,
  };
  const entries = plan.outputEntries.map(shellQuote).join(' ');

  return `#!/bin/sh
# Bootc Studio: hand an image from a rootless podman to root's podman, then run the disk image builder as root.
set -eu
${Object.entries(variables)
  .map(([name, value]) => shellAssign(name, value))
  .join('\n')}
cancel_file="$work_dir/${CANCEL_FILE}"
failure_prefix=${shellQuote(HANDOFF_FAILURE_PREFIX)}

root_podman() { podman "$@"; }
note() { printf 'bootc-studio: %s\\n' "$*"; }
fail() { printf '%s%s\\n' "$failure_prefix" "$*" >&2; exit 1; }

# Runs a command as the image's owner in a clean environment of theirs (runuser would keep root's
# TMPDIR, XDG_RUNTIME_DIR, CONTAINERS_*): their rootless podman finds its own store.
as_owner() {
  owner_name=$(id -nu "$owner_uid") || fail "no user has the id $owner_uid"
  owner_home=$(getent passwd "$owner_uid" | cut -d: -f6)
  owner_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  if [ -d "/run/user/$owner_uid" ]; then
    runuser -u "$owner_name" -- env -i -C "$owner_home" HOME="$owner_home" USER="$owner_name" LOGNAME="$owner_name" \
      PATH="$owner_path" XDG_RUNTIME_DIR="/run/user/$owner_uid" "$@"
  else
    runuser -u "$owner_name" -- env -i -C "$owner_home" HOME="$owner_home" USER="$owner_name" LOGNAME="$owner_name" \
      PATH="$owner_path" "$@"
  fi
}

root_image_id() { root_podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || :; }

cleanup() {
  rm -f "$archive"
  root_podman rm -f "$container" >/dev/null 2>&1 || :
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

graph_root=$(root_podman info --format '{{.Store.GraphRoot}}') || fail "root's podman does not answer"

if [ "$(root_image_id "$image_id")" = "$image_id" ]; then
  note "root's podman already has $image ($short_id): nothing to copy"
else
  note "copying $image to root's podman"
  as_owner podman save --format docker-archive -o "$archive" "$image" || fail "saving $image from the rootless podman failed"
  root_podman load --quiet --input "$archive" >/dev/null || fail "loading $image into root's podman failed"
  rm -f "$archive"
  [ "$(root_image_id "$image")" = "$image_id" ] || fail "the copy of $image in root's podman has another image ID"
  note "copied $image to root's podman"
fi

if ! root_podman image exists "$builder"; then
  note "pulling the builder $builder into root's podman"
  root_podman pull --quiet "$builder" >/dev/null || fail "pulling the builder $builder into root's podman failed"
fi

[ -e "$cancel_file" ] && fail "cancelled before the builder started"
note "starting the builder as root"
${runArgs.map(arg => (arg === storageBind ? `"$graph_root":${CONTAINER_STORAGE}` : shellQuote(arg))).join(' ')} </dev/null 2>&1 &
builder_pid=$!
stopping=
while kill -0 "$builder_pid" 2>/dev/null; do
  if [ -z "$stopping" ] && [ -e "$cancel_file" ]; then
    stopping=1
    root_podman stop --time 0 "$container" >/dev/null 2>&1 || :
  fi
  sleep 1
done
status=0
wait "$builder_pid" || status=$?

cd "$output_dir"
for entry in ${entries}; do
  [ -e "$entry" ] || continue
  if [ "$status" = 0 ]; then chown -R "$chown_to" "$entry"; else rm -rf "$entry"; fi
done
exit "$status"
`;
}
