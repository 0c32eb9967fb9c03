/**
 * The disk a Fusion VM runs: a copy of the built disk in the VM's own folder, as a monolithicSparse
 * vmdk. bootc-image-builder's vmdk is streamOptimized (compressed), which VMware's hosted products
 * fail to write to (osbuild/bootc-image-builder#1098); converting also leaves the built disk as it
 * was. qemu-img converts any of the built formats; without it, Fusion's own vmware-vdiskmanager
 * converts a vmdk.
 */

import { isAbsolute } from 'node:path';

export type BuiltDiskFormat = 'vmdk' | 'qcow2' | 'raw';

export interface DiskConversion {
  tool: 'qemu-img' | 'vmware-vdiskmanager';
  argv: string[];
}

export class FusionDiskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FusionDiskError';
  }
}

function checkPaths(source: string, target: string): void {
  for (const path of [source, target]) {
    if (!isAbsolute(path)) throw new FusionDiskError(`the disk path must be absolute: ${path}`);
  }
  if (source === target) throw new FusionDiskError(`the converted disk must not overwrite the built one: ${source}`);
}

/**
 * `qemu-img convert -p -f <format> -O vmdk -o subformat=monolithicSparse <source> <target>`. The
 * source's format is passed, never probed (a raw file's first bytes could pass for another format):
 * the caller knows it from `qemu-img info` or the build.
 */
export function qemuImgToFusionArgv(
  qemuImg: string,
  source: string,
  sourceFormat: BuiltDiskFormat,
  target: string,
): string[] {
  checkPaths(source, target);
  return [
    qemuImg,
    'convert',
    '-p',
    '-f',
    sourceFormat,
    '-O',
    'vmdk',
    '-o',
    'subformat=monolithicSparse',
    source,
    target,
  ];
}

/** `vmware-vdiskmanager -r <source> -t 0 <target>`: a vmdk copied as one growable file (type 0). */
export function vdiskmanagerToFusionArgv(vdiskmanager: string, source: string, target: string): string[] {
  checkPaths(source, target);
  return [vdiskmanager, '-r', source, '-t', '0', target];
}

export interface ConversionTools {
  /** qemu-img's path, when installed. */
  qemuImg?: string;
  /** Fusion's vmware-vdiskmanager's path, when installed. */
  vdiskmanager?: string;
}

/**
 * How to convert `source` into `target` with what is installed: qemu-img first (it reads every
 * built format), else vmware-vdiskmanager (vmdk only). Throws a FusionDiskError saying what to
 * install when nothing can.
 */
export function chooseFusionDiskConversion(
  tools: ConversionTools,
  source: string,
  sourceFormat: BuiltDiskFormat,
  target: string,
): DiskConversion {
  if (tools.qemuImg) {
    return { tool: 'qemu-img', argv: qemuImgToFusionArgv(tools.qemuImg, source, sourceFormat, target) };
  }
  if (tools.vdiskmanager && sourceFormat === 'vmdk') {
    return { tool: 'vmware-vdiskmanager', argv: vdiskmanagerToFusionArgv(tools.vdiskmanager, source, target) };
  }
  if (tools.vdiskmanager) {
    throw new FusionDiskError(
      `VMware Fusion's vmware-vdiskmanager converts only vmdk disks, and this disk is ${sourceFormat}: ` +
        'install qemu-img (`brew install qemu`), or build the disk as vmdk',
    );
  }
  throw new FusionDiskError(
    'converting the disk for VMware Fusion needs qemu-img or VMware Fusion’s vmware-vdiskmanager, and neither was found: ' +
      'install qemu-img (`brew install qemu`), or install VMware Fusion in /Applications ' +
      '(or set FUSION_APP_PATH to where VMware Fusion.app is)',
  );
}

/**
 * The percentage in a line of `qemu-img convert -p` (`    (42.17/100%)`), or undefined. qemu-img
 * redraws it with `\r`, which the process API hands on as separate pieces.
 */
export function qemuImgProgress(line: string): number | undefined {
  const matches = [...line.matchAll(/\((\d{1,3}(?:\.\d+)?)\/100%\)/g)];
  const last = matches.at(-1);
  return last ? Math.min(100, Number(last[1])) : undefined;
}
