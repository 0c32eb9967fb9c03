import { vi } from 'vitest';

import type { BootcStudioApi } from '../../../src/api/bootc-studio-api';
import type { DiskBuildRequest } from '../../../src/api/disk-build';
import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import type { ExampleImage, ImageOperation } from '../../../src/api/image-operations';
import type { Job, JobStatus } from '../../../src/api/jobs';
import type { BootcImage } from '../../../src/api/models';
import type { PushChannel } from '../../../src/api/rpc-protocol';
import { BridgeError, errorInfoOf } from '../../../src/api/errors';
import { ValidationError } from '../../../src/api/validation';

/**
 * Stands in for frontend/rpc.ts, the bridge's edge: specs `vi.mock` that module with this object,
 * script the backend's answers with the `api` mocks and fire pushes with `push`.
 */
/**
 * The backend's refusal of a request naming `fields` (dotted path → message), as the page receives
 * it: a ValidationError, turned into data by the bridge, arriving as a BridgeError.
 */
export function refusal(fields: Record<string, string>): BridgeError {
  const error = new ValidationError(Object.entries(fields).map(([field, message]) => ({ field, message })));
  return new BridgeError(structuredClone(errorInfoOf(error)));
}

const listeners = new Map<PushChannel, Set<(body: unknown) => void>>();

export const fakeRpc = {
  api: {
    listBootcImages: vi.fn<BootcStudioApi['listBootcImages']>(),
    listEngines: vi.fn<BootcStudioApi['listEngines']>(),
    takePendingRoute: vi.fn<BootcStudioApi['takePendingRoute']>(),
    openExternal: vi.fn<BootcStudioApi['openExternal']>(),
    buildImage: vi.fn<BootcStudioApi['buildImage']>(),
    pushImage: vi.fn<BootcStudioApi['pushImage']>(),
    pullImage: vi.fn<BootcStudioApi['pullImage']>(),
    tagImage: vi.fn<BootcStudioApi['tagImage']>(),
    deleteImage: vi.fn<BootcStudioApi['deleteImage']>(),
    listExamples: vi.fn<BootcStudioApi['listExamples']>(),
    selectFolder: vi.fn<BootcStudioApi['selectFolder']>(),
    detectContainerfile: vi.fn<BootcStudioApi['detectContainerfile']>(),
    saveExampleContainerfile: vi.fn<BootcStudioApi['saveExampleContainerfile']>(),
    startDiskBuild: vi.fn<BootcStudioApi['startDiskBuild']>(),
    checkOutputFolder: vi.fn<BootcStudioApi['checkOutputFolder']>(),
    deleteDiskBuild: vi.fn<BootcStudioApi['deleteDiskBuild']>(),
    openDiskBuildFolder: vi.fn<BootcStudioApi['openDiskBuildFolder']>(),
    previewDiskBuild: vi.fn<BootcStudioApi['previewDiskBuild']>(),
    makeMachineRootful: vi.fn<BootcStudioApi['makeMachineRootful']>(),
    getBuildDefaults: vi.fn<BootcStudioApi['getBuildDefaults']>(),
    describeImageForBuild: vi.fn<BootcStudioApi['describeImageForBuild']>(),
    lintImageForBuild: vi.fn<BootcStudioApi['lintImageForBuild']>(),
    importBuildConfig: vi.fn<BootcStudioApi['importBuildConfig']>(),
    exportBuildConfig: vi.fn<BootcStudioApi['exportBuildConfig']>(),
    listSshPublicKeys: vi.fn<BootcStudioApi['listSshPublicKeys']>(),
    listJobs: vi.fn<BootcStudioApi['listJobs']>(),
    getJob: vi.fn<BootcStudioApi['getJob']>(),
    readJobLog: vi.fn<BootcStudioApi['readJobLog']>(),
    cancelJob: vi.fn<BootcStudioApi['cancelJob']>(),
    listVms: vi.fn<BootcStudioApi['listVms']>(),
    runImageAsVm: vi.fn<BootcStudioApi['runImageAsVm']>(),
    listHypervisors: vi.fn<BootcStudioApi['listHypervisors']>(),
    launchVm: vi.fn<BootcStudioApi['launchVm']>(),
    startVm: vi.fn<BootcStudioApi['startVm']>(),
    stopVm: vi.fn<BootcStudioApi['stopVm']>(),
    deleteVm: vi.fn<BootcStudioApi['deleteVm']>(),
    readVmConsole: vi.fn<BootcStudioApi['readVmConsole']>(),
    writeVmConsole: vi.fn<BootcStudioApi['writeVmConsole']>(),
    logInToVm: vi.fn<BootcStudioApi['logInToVm']>(),
    openVmTerminal: vi.fn<BootcStudioApi['openVmTerminal']>(),
    readVmTerminal: vi.fn<BootcStudioApi['readVmTerminal']>(),
    writeVmTerminal: vi.fn<BootcStudioApi['writeVmTerminal']>(),
    resizeVmTerminal: vi.fn<BootcStudioApi['resizeVmTerminal']>(),
    closeVmTerminal: vi.fn<BootcStudioApi['closeVmTerminal']>(),
    getVmStatus: vi.fn<BootcStudioApi['getVmStatus']>(),
    runVmAction: vi.fn<BootcStudioApi['runVmAction']>(),
    rebuildAndUpdateVm: vi.fn<BootcStudioApi['rebuildAndUpdateVm']>(),
  } satisfies BootcStudioApi,
  getState: vi.fn<() => unknown>(),
  setState: vi.fn<(state: unknown) => void>(),
  subscribe(channel: PushChannel, listener: (body: unknown) => void): () => void {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  },
  /** Delivers a push from the backend to every current listener of the channel. */
  push(channel: PushChannel, body?: unknown): void {
    for (const listener of [...(listeners.get(channel) ?? [])]) listener(body);
  },
  /**
   * The backend's jobs from now on: listJobs answers them (of the kind asked for, in this order)
   * and getJob the one asked for (rejecting, as the backend does, for an unknown id).
   */
  setJobs(jobs: Job[]): void {
    fakeRpc.api.listJobs.mockImplementation(async kind => jobs.filter(job => kind === undefined || job.kind === kind));
    fakeRpc.api.getJob.mockImplementation(async id => {
      const job = jobs.find(candidate => candidate.id === id);
      if (!job) throw new Error(`no job ${id}`);
      return job;
    });
  },
  /** The backend's image builds, pushes and pulls from now on, as the jobs that carry them. */
  setImageOperations(operations: ImageOperation[]): void {
    fakeRpc.setJobs(operations.map(operation => imageJob(operation)));
  },
  /** A log of `lines` as readJobLog serves it: from a line index on, `first` the oldest line still kept. */
  serveLog(lines: string[], first = 0): void {
    fakeRpc.api.readJobLog.mockImplementation(async (_id, from) => {
      const start = Math.max(from, first);
      return { lines: lines.slice(start), next: Math.max(start, lines.length), first };
    });
  },
  listenerCount(channel: PushChannel): number {
    return listeners.get(channel)?.size ?? 0;
  },
  reset(): void {
    listeners.clear();
    for (const fn of Object.values(fakeRpc.api)) fn.mockReset();
    fakeRpc.getState.mockReset();
    fakeRpc.setState.mockReset();
    fakeRpc.api.takePendingRoute.mockResolvedValue(undefined);
    fakeRpc.api.listEngines.mockResolvedValue([]);
    fakeRpc.api.listExamples.mockResolvedValue([]);
    fakeRpc.setJobs([]);
    fakeRpc.api.readJobLog.mockImplementation(async (_id, from) => ({ lines: [], next: from }));
    fakeRpc.api.checkOutputFolder.mockImplementation(async dir => ({ conflicts: [], suggestion: `${dir}/disk-image` }));
    fakeRpc.api.deleteDiskBuild.mockResolvedValue({ removed: [], kept: [] });
    fakeRpc.api.previewDiskBuild.mockResolvedValue({ configToml: '', command: '', warnings: [] });
    fakeRpc.api.listSshPublicKeys.mockResolvedValue([]);
    fakeRpc.api.lintImageForBuild.mockResolvedValue({ checked: true, errors: [], warnings: [] });
    fakeRpc.api.getBuildDefaults.mockResolvedValue({ builder: 'centos' });
    fakeRpc.api.listVms.mockResolvedValue({ vms: [], problems: [] });
    fakeRpc.api.listHypervisors.mockResolvedValue([
      { id: 'qemu', name: 'QEMU', injectsKey: true },
      { id: 'fusion', name: 'VMware Fusion', injectsKey: false, unavailable: 'VMware Fusion is not installed' },
      { id: 'hyperv', name: 'Hyper-V', injectsKey: false, unavailable: 'Hyper-V is not offered on this host' },
    ]);
    fakeRpc.api.readVmConsole.mockResolvedValue({ data: '', next: 0 });
    // An image answers with what the images list says about it (one architecture, its labels).
    fakeRpc.api.describeImageForBuild.mockImplementation(async (engineId, ref) => ({
      ref,
      engineId,
      architectures: ['amd64'],
      labels: { 'containers.bootc': '1' },
    }));
  },
};

const DAY = 24 * 60 * 60 * 1000;

/** A bootc image as the backend reports it; `overrides` for the fields a test cares about. */
export function bootcImage(overrides: Partial<BootcImage> = {}): BootcImage {
  const ref = overrides.ref ?? 'quay.io/fedora/fedora-bootc:42';
  return {
    tags: overrides.name === '<none>' ? [] : [ref],
    id: 'sha256:3f2b9c1d0e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c',
    engineId: 'podman.podman-machine-default',
    engineName: 'Podman',
    name: 'quay.io/fedora/fedora-bootc',
    tag: '42',
    ref: 'quay.io/fedora/fedora-bootc:42',
    architectures: ['amd64'],
    size: 1_834_567_890,
    created: Date.now() - 3 * DAY - 60 * 60 * 1000,
    digest: 'sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b',
    labels: { 'containers.bootc': '1', 'ostree.bootable': 'true' },
    isManifestList: false,
    ...overrides,
  };
}

export const centosManifestList = (): BootcImage =>
  bootcImage({
    id: 'sha256:7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d',
    engineId: 'docker.default',
    engineName: 'Docker',
    name: 'quay.io/centos-bootc/centos-bootc',
    tag: 'stream10',
    ref: 'quay.io/centos-bootc/centos-bootc:stream10',
    architectures: ['amd64', 'arm64', 'ppc64le'],
    size: 3_200_000_000,
    created: Date.now() - 5 * 60 * 1000 - 10_000,
    isManifestList: true,
  });

/** An image operation as the backend records it; `overrides` for the fields a test cares about. */
export function imageOperation(overrides: Partial<ImageOperation> = {}): ImageOperation {
  return {
    id: 'op-1',
    kind: 'build',
    status: 'running',
    ref: 'quay.io/me/my-os:1',
    engineId: 'podman.podman-machine-default',
    engineName: 'Podman',
    started: Date.now() - 60_000,
    warnings: [],
    layers: [],
    logLines: 0,
    ...overrides,
  };
}

export const fedoraExample = (): ExampleImage => ({
  id: 'fedora-bootc',
  name: 'Fedora bootc',
  description: 'The Fedora bootc base image.',
  category: 'base',
  image: 'quay.io/fedora/fedora-bootc:42',
  architectures: ['amd64', 'arm64'],
});

export const httpdExample = (): ExampleImage => ({
  id: 'httpd',
  name: 'httpd on Fedora bootc',
  description: 'A web server that starts at boot.',
  category: 'example',
  image: 'quay.io/bootc-examples/httpd:latest',
  architectures: ['amd64'],
  containerfile: 'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && systemctl enable httpd\n',
  sourceUrl: 'https://example.org/httpd',
});

/** A disk-build request as the form sends it; `overrides` for the fields a test cares about. */
export function diskBuildRequest(overrides: Partial<DiskBuildRequest> = {}): DiskBuildRequest {
  return {
    image: 'quay.io/fedora/fedora-bootc:42',
    engineId: 'podman.podman-machine-default',
    outputDir: '/home/me/disks',
    types: ['qcow2'],
    arch: 'amd64',
    rootfs: 'xfs',
    builder: 'centos',
    config: { users: [], groups: [], kernelArgs: [], filesystems: [] },
    ...overrides,
  };
}

/** A disk build as the backend records it; `overrides` for the fields a test cares about. */
export function diskBuildRecord(overrides: Partial<DiskBuildRecord> = {}): DiskBuildRecord {
  return {
    id: 'build-1',
    request: diskBuildRequest(),
    status: 'building',
    percent: 40,
    message: 'org.osbuild.rpm',
    created: Date.now() - 120_000,
    started: Date.now() - 110_000,
    engineId: 'podman.podman-machine-default',
    engineName: 'Podman',
    remote: false,
    builderImage: 'quay.io/centos-bootc/bootc-image-builder:latest',
    artifacts: [{ type: 'qcow2', path: '/home/me/disks/qcow2/disk.qcow2' }],
    logPath: '/home/me/disks/image-build.log',
    ...overrides,
  };
}

const IMAGE_JOB_TITLES = { build: 'Building', push: 'Pushing', pull: 'Pulling' } as const;

/**
 * An image operation as the job feed serves it: a job of kind `image-<kind>` whose subject is the
 * image reference and whose detail is the operation; `overrides` for the job's own fields.
 */
export function imageJob(operation: ImageOperation, overrides: Partial<Job<ImageOperation>> = {}): Job<ImageOperation> {
  return {
    id: operation.id,
    kind: `image-${operation.kind}`,
    title: `${IMAGE_JOB_TITLES[operation.kind]} ${operation.ref}`,
    subject: operation.ref,
    status: operation.status,
    percent: operation.percent,
    message: operation.message,
    steps: [],
    warnings: operation.warnings,
    error: operation.error === undefined ? undefined : { message: operation.error },
    created: operation.started,
    started: operation.started,
    ended: operation.ended,
    logLines: operation.logLines,
    runningHere: true,
    actions: [],
    detail: operation,
    ...overrides,
  };
}

/** An image operation record, as a job: `imageJob(imageOperation(overrides))`. */
export function imageOperationJob(overrides: Partial<ImageOperation> = {}): Job<ImageOperation> {
  return imageJob(imageOperation(overrides));
}

const DISK_BUILD_JOB_STATUS: Record<DiskBuildRecord['status'], JobStatus> = {
  queued: 'queued',
  preparing: 'running',
  building: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  lost: 'lost',
};

/**
 * A disk build as the job feed serves it: a job of kind `disk-build` whose id and subject are the
 * build id and whose detail is the build's record; `overrides` for the job's own fields (logLines).
 */
export function diskBuildJob(
  record: DiskBuildRecord,
  overrides: Partial<Job<DiskBuildRecord>> = {},
): Job<DiskBuildRecord> {
  return {
    id: record.id,
    kind: 'disk-build',
    title: `Building a disk image of ${record.request.image}`,
    subject: record.id,
    status: DISK_BUILD_JOB_STATUS[record.status],
    percent: record.percent,
    message: record.message,
    steps: [],
    warnings: [],
    error: record.error === undefined ? undefined : { message: record.error },
    created: record.created,
    started: record.started,
    ended: record.ended,
    logLines: 0,
    runningHere: true,
    actions: [],
    detail: record,
    ...overrides,
  };
}
