/**
 * Heavy packages, loaded on first use. A dynamic import() is its own chunk of the bundle, read and
 * compiled only when first called: ssh2 (~420 KB) is needed only for ssh:// engines, VM keys and
 * shells, dockerode (~1.2 MB with gRPC and protobufjs) only once a podman socket is called. As
 * static imports they cost every activation and every `bootc-studio --help` their load time. tar-fs
 * and tar-stream (~130 KB with their streams) are needed only to send a build context or files.
 */
import type * as Ssh2 from 'ssh2';
import type Dockerode from 'dockerode';
import type * as TarFs from 'tar-fs';
import type * as TarStream from 'tar-stream';

let ssh2: Promise<typeof Ssh2> | undefined;
let dockerode: Promise<typeof Dockerode> | undefined;
let tarFs: Promise<typeof TarFs> | undefined;
let tarStream: Promise<typeof TarStream> | undefined;

/** A CommonJS package's exports, whether the importer hands them as the namespace or its default. */
function exportsOf<T>(module: { default?: unknown }): T {
  return (module.default ?? module) as T;
}

export function loadSsh2(): Promise<typeof Ssh2> {
  return (ssh2 ??= import('ssh2').then(module => exportsOf<typeof Ssh2>(module)));
}

export function loadDockerode(): Promise<typeof Dockerode> {
  return (dockerode ??= import('dockerode').then(module => exportsOf<typeof Dockerode>(module)));
}

export function loadTarFs(): Promise<typeof TarFs> {
  return (tarFs ??= import('tar-fs').then(module => exportsOf<typeof TarFs>(module)));
}

export function loadTarStream(): Promise<typeof TarStream> {
  return (tarStream ??= import('tar-stream').then(module => exportsOf<typeof TarStream>(module)));
}
