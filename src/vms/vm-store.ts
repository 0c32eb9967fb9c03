/**
 * The VM records: `<store>/vms/<id>/vm.json`, one folder per VM on the job model's record store
 * (atomic writes, a damaged record reported and skipped). The folder also holds what is the VM's
 * own: its overlay disk, firmware variables, SSH key pair, cloud-init seed, console log and QEMU's
 * log; its sockets live there too when the path is short enough for a UNIX socket, else in a
 * private runtime folder.
 */

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod/mini';

import type { VmRecord } from '../api/vms';
import { RecordStore, type StoreProblem } from '../jobs/record-store';

/** VM ids: 12 lower-case hex digits. Nothing else reaches a path. */
const VM_ID = /^[0-9a-f]{12}$/;

export function newVmId(): string {
  return randomBytes(6).toString('hex');
}

export function isVmId(value: unknown): value is string {
  return typeof value === 'string' && VM_ID.test(value);
}

/** Where the VM's hypervisor has it, while it may run: QEMU's process and sockets, Fusion's .vmx, Hyper-V's VM name. */
export interface VmRuntime {
  pid?: number;
  qmpSocket?: string;
  consoleSocket?: string;
  vmx?: string;
  hypervName?: string;
}

/** The record as stored: what the pages see, and the running process's whereabouts. */
export interface StoredVm extends VmRecord {
  runtime?: VmRuntime;
  /** The process running a start or stop of the VM: when it is gone, the VM's state is QEMU's. */
  transition?: { by: number };
}

const optional = z.optional;
const positiveInt = () => z.int().check(z.positive());

const sourceSchema = z.union([
  z.object({
    kind: z.literal('build'),
    buildId: z.string(),
    diskPath: z.string(),
    imageRef: optional(z.string()),
    imageId: optional(z.string()),
    installer: optional(z.boolean()),
  }),
  z.object({ kind: z.literal('disk'), diskPath: z.string(), installer: optional(z.boolean()) }),
]);

const recordSchema = z.object({
  id: z.string(),
  name: z.string(),
  source: sourceSchema,
  hypervisor: z.enum(['qemu', 'fusion', 'hyperv']),
  architecture: z.enum(['amd64', 'arm64']),
  memoryMiB: positiveInt(),
  cpus: positiveInt(),
  sshPort: optional(z.int()),
  sshHost: optional(z.string()),
  sshUser: z.string(),
  keyAtBoot: optional(z.boolean()),
  authorizedKeys: optional(z.array(z.string())),
  hostKeyFingerprint: optional(z.string()),
  state: z.enum(['starting', 'running', 'stopping', 'stopped']),
  acceleration: optional(z.enum(['kvm', 'hvf', 'tcg'])),
  created: z.number(),
  started: optional(z.number()),
  stopped: optional(z.number()),
  lastError: optional(z.string()),
  warnings: z.array(z.string()),
  diskGiB: optional(positiveInt()),
  installed: optional(z.number()),
  updateFrom: optional(z.object({ contextDir: z.string(), containerfile: optional(z.string()) })),
  cloudInit: optional(
    z.object({ seed: z.boolean(), decidedBy: z.enum(['user', 'image', 'default']), reason: z.string() }),
  ),
  cloudInitSeed: optional(z.string()),
  runtime: optional(
    z.object({
      pid: optional(z.int()),
      qmpSocket: optional(z.string()),
      consoleSocket: optional(z.string()),
      vmx: optional(z.string()),
      hypervName: optional(z.string()),
    }),
  ),
  transition: optional(z.object({ by: z.int() })),
});

export class VmNotFoundError extends Error {
  constructor(id: string) {
    super(`no VM ${JSON.stringify(id)}`);
    this.name = 'VmNotFoundError';
  }
}

/** The files of a VM, by name. */
export interface VmPaths {
  dir: string;
  disk: string;
  vars: string;
  key: string;
  /** The cloud-init NoCloud seed (`cidata`), made at each start of a VM that gets one. */
  seed: string;
  consoleLog: string;
  qemuLog: string;
  pidFile: string;
  /** Where the sockets go (the VM's folder, or a private runtime folder when that path is too long). */
  socketDir: string;
  consoleSocket: string;
  qmpSocket: string;
}

/** macOS allows 104 bytes for a UNIX socket's path, Linux 108; leave room for the longest name. */
const MAX_SOCKET_PATH = 100;

export class VmStore {
  readonly vmsDir: string;
  readonly #records: RecordStore<StoredVm>;

  constructor(readonly storeDir: string) {
    this.vmsDir = join(storeDir, 'vms');
    this.#records = new RecordStore<StoredVm>({
      dir: this.vmsDir,
      file: 'vm.json',
      isId: isVmId,
      validate: (id, value) => {
        const parsed = recordSchema.safeParse(value);
        if (!parsed.success)
          return parsed.error.issues.map(issue => `${issue.path.join('.')}: ${issue.message}`).join('; ');
        if (parsed.data.id !== id) return `its id is ${JSON.stringify(parsed.data.id)}, not the folder's`;
        return parsed.data;
      },
      notFound: id => new VmNotFoundError(id),
      noun: 'VM',
    });
  }

  pathsOf(id: string): VmPaths {
    const dir = this.#records.dirOf(id);
    const socketDir =
      join(dir, 'console.sock').length <= MAX_SOCKET_PATH ? dir : join(tmpdir(), `bootc-studio-vm-${id}`);
    return {
      dir,
      disk: join(dir, 'disk.qcow2'),
      vars: join(dir, 'efi-vars.fd'),
      key: join(dir, 'id_rsa'),
      seed: join(dir, 'cidata.img'),
      consoleLog: join(dir, 'console.log'),
      qemuLog: join(dir, 'qemu.log'),
      pidFile: join(dir, 'qemu.pid'),
      socketDir,
      consoleSocket: join(socketDir, 'console.sock'),
      qmpSocket: join(socketDir, 'qmp.sock'),
    };
  }

  /** Makes the VM's folder (0700), and its socket folder when that is elsewhere. */
  async makeDirs(id: string): Promise<VmPaths> {
    const paths = this.pathsOf(id);
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    await mkdir(paths.socketDir, { recursive: true, mode: 0o700 });
    return paths;
  }

  write(record: StoredVm): Promise<void> {
    return this.#records.write(record.id, record);
  }

  read(id: string): Promise<StoredVm> {
    return this.#records.read(id);
  }

  /** Every readable record, newest first, and one problem per record that could not be read. */
  async list(): Promise<{ records: StoredVm[]; problems: StoreProblem[] }> {
    const { records, problems } = await this.#records.list();
    records.sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
    return { records, problems };
  }

  remove(id: string): Promise<void> {
    return this.#records.remove(id);
  }

  /** Runs `work` alone among every process on this store (e.g. choosing a new VM's unique name). */
  exclusive<R>(work: () => Promise<R>): Promise<R> {
    return this.#records.exclusive('create', work);
  }
}
