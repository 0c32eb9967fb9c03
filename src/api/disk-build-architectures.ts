/** The architectures and root filesystems a disk build may choose, from what the image says about itself. */

import { type BuildArchitecture, type RootFilesystem } from './disk-build';

// ---------------------------------------------------------------------------------------------
// Architectures and root filesystems, from what the image says about itself

const ARCH_ALIASES: Record<string, BuildArchitecture> = {
  amd64: 'amd64',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/** `amd64`, `x86_64`, `linux/arm64/v8`… → the build architecture, or undefined for one we cannot build. */
export function toBuildArchitecture(arch: string): BuildArchitecture | undefined {
  const parts = arch.toLowerCase().split('/');
  const name = parts.length > 1 ? parts[1] : parts[0];
  return ARCH_ALIASES[name];
}

/** The architectures a build may target: those the image (or each member of its manifest list) offers. */
export function allowedArchitectures(imageArchs: readonly string[]): BuildArchitecture[] {
  const allowed: BuildArchitecture[] = [];
  for (const arch of imageArchs) {
    const buildArch = toBuildArchitecture(arch);
    if (buildArch && !allowed.includes(buildArch)) allowed.push(buildArch);
  }
  return allowed;
}

/** The one to pre-select: the only one, else the engine's own when offered (a native build), else none. */
export function preselectArchitecture(
  allowed: readonly BuildArchitecture[],
  engineArch?: string,
): BuildArchitecture | undefined {
  if (allowed.length === 1) return allowed[0];
  const native = engineArch ? toBuildArchitecture(engineArch) : undefined;
  return native && allowed.includes(native) ? native : undefined;
}

/** A build for another architecture than the engine's runs under emulation: slow, and on macOS known to fail. */
export function isCrossArchitecture(arch: BuildArchitecture, engineArch: string | undefined): boolean {
  const native = engineArch ? toBuildArchitecture(engineArch) : undefined;
  return native !== undefined && native !== arch;
}

export interface RootfsChoice {
  /** Whether "the image's default" may be offered. */
  offerDefault: boolean;
  /** What the form pre-selects; undefined means the image's default. */
  preselected?: RootFilesystem;
  /** Why "default" is not offered, for the form to say. */
  reason?: string;
}

/**
 * Fedora-based bootc images carry no default root filesystem, so the builder fails without --rootfs.
 * What is read, in order (labels are inherited by images built FROM a base, so derived images keep them):
 * 1. `redhat.id`: `fedora` → Fedora; any other value (centos, rhel) → not Fedora. Decisive when present.
 * 2. `ostree.linux` (the kernel version): a `.fcNN` part → Fedora; `.elN` → not.
 * `org.opencontainers.image.version` is not used: Fedora's `42.2025…` and RHEL's `10.1` cannot be told
 * apart by it. Images with neither label keep "default" (the builder then says if there is none).
 */
export function defaultRootfsFor(imageLabels: Record<string, string> | undefined | null): RootfsChoice {
  const labels = imageLabels ?? {};
  const id = labels['redhat.id']?.trim().toLowerCase();
  let fedora: boolean | undefined;
  if (id) fedora = id === 'fedora';
  else {
    const kernel = labels['ostree.linux'] ?? '';
    if (/\.fc\d+(?:\.|$)/.test(kernel)) fedora = true;
    else if (/\.el\d+/.test(kernel)) fedora = false;
  }
  if (fedora) {
    return {
      offerDefault: false,
      preselected: 'xfs',
      reason: 'Fedora-based images have no default root filesystem: choose one',
    };
  }
  return { offerDefault: true };
}
