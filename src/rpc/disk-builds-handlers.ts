/**
 * The disk-builds room of the bridge: start a build (a job, its id answered at once), the form's
 * preview, defaults and image facts, the output folder's check, delete and open, the config file's
 * import and export, the user's SSH keys, and the podman machine fix. Arguments are checked here;
 * the builds room does the work.
 */

import { stat } from 'node:fs/promises';

import { BUILDER_PRESETS, DISK_IMAGE_TYPES, type BuilderPreset, type DiskImageType } from '../api/disk-build';
import type {
  BuildableImage,
  DiskBuildDeleteResult,
  DiskBuildPreview,
  ImportedBuildConfig,
  LintFindings,
  OutputFolderCheck,
} from '../api/disk-builds';
import type { DiskBuildsApi } from '../api/disk-builds-api';
import { exportBuildConfigFile, importBuildConfigFile } from '../builds/build-config-import-export';
import type { DiskBuildService } from '../builds/disk-build-service';
import type { ContainerEngine } from '../engine/container-engine';
import { LintCache, lintImage } from '../images/image-lint';
import { listSshPublicKeys } from '../ssh/ssh-public-keys';
import { checkAbsolutePath, checkBoolean, checkId, refuse } from './argument-checks';
import type { StudioDialogs } from './studio-dialogs';

export interface DiskBuildsHandlersDeps {
  engine: ContainerEngine;
  builds: DiskBuildService;
  dialogs: StudioDialogs;
  /** The user's home, for `~/.ssh/*.pub`; default os.homedir(). */
  home?: string;
  /**
   * Opens a folder of this machine in its file manager; whether it did. A host that cannot says
   * so to the user itself, naming the folder.
   */
  openFolder(path: string): Promise<boolean>;
  /** The form's image facts, where the host remembers them (engine-facts-cache.ts); else asked of `builds`. */
  describeImage?(engineId: string, ref: string): Promise<BuildableImage>;
  /** The builder preference; anything but a preset's name counts as unset. */
  defaultBuilder?(): unknown;
  /** Makes a podman machine rootful (asks first); whether it did. Absent where machines cannot be changed. */
  makeMachineRootful?(machine: { name: string; vmType: string }): Promise<boolean>;
}

export class DiskBuildsHandlers implements DiskBuildsApi {
  readonly #lints = new LintCache();

  constructor(private readonly deps: DiskBuildsHandlersDeps) {}

  async lintImageForBuild(engineId: unknown, ref: unknown): Promise<LintFindings> {
    const [engine, image] = [checkId('engineId', engineId), checkId('ref', ref)];
    const { id } = await this.deps.engine.inspectImage(engine, image);
    const { checked, errors, warnings } = await this.#lints.get(`${engine}\n${id}`, () =>
      lintImage(this.deps.engine, engine, image),
    );
    return { checked, errors, warnings };
  }

  async startDiskBuild(request: unknown, options?: unknown): Promise<string> {
    const given = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
    const flag = (name: string) => (given[name] === undefined ? false : checkBoolean(name, given[name]));
    // overwrite: the user confirmed writing over the folder's files. A missing folder is created unless
    // createOutputDir is false (the form says beforehand that it will be).
    const create =
      given.createOutputDir === undefined ? undefined : checkBoolean('createOutputDir', given.createOutputDir);
    return this.deps.builds.start(request, { overwrite: flag('overwrite'), createOutputDir: create });
  }

  async checkOutputFolder(dir: unknown, image: unknown, types: unknown): Promise<OutputFolderCheck> {
    const folder = checkAbsolutePath('outputDir', dir);
    if (typeof image !== 'string') refuse('image', 'an image reference is required');
    const known = Array.isArray(types)
      ? types.filter((type): type is DiskImageType => (DISK_IMAGE_TYPES as readonly unknown[]).includes(type))
      : [];
    return this.deps.builds.checkOutputFolder(folder, image, known);
  }

  async deleteDiskBuild(buildId: unknown, keepFiles: unknown): Promise<DiskBuildDeleteResult> {
    return this.deps.builds.delete(checkId('buildId', buildId), checkBoolean('keepFiles', keepFiles));
  }

  async openDiskBuildFolder(buildId: unknown): Promise<boolean> {
    // The folder comes from the record, never from the page.
    const record = await this.deps.builds.get(checkId('buildId', buildId));
    const folder = record.request.outputDir;
    if (record.remote) {
      throw new Error(
        `The output folder ${folder} is on the machine of ${record.engineName}, not this one; open it there.`,
      );
    }
    const folderStats = await stat(folder).catch(() => undefined);
    if (!folderStats?.isDirectory()) throw new Error(`The output folder ${folder} no longer exists.`);
    return this.deps.openFolder(folder);
  }

  async previewDiskBuild(request: unknown): Promise<DiskBuildPreview> {
    return this.deps.builds.preview(request);
  }

  async getBuildDefaults(): Promise<{ builder: BuilderPreset }> {
    const chosen = this.deps.defaultBuilder?.();
    const builder = typeof chosen === 'string' && Object.hasOwn(BUILDER_PRESETS, chosen) ? chosen : 'centos';
    return { builder: builder as BuilderPreset };
  }

  async makeMachineRootful(engineId: unknown): Promise<boolean> {
    const id = checkId('engineId', engineId);
    const engine = (await this.deps.engine.listEngines()).find(candidate => candidate.id === id);
    if (!engine) throw new Error(`No running engine ${id}`);
    if (!engine.machine || !this.deps.makeMachineRootful) {
      throw new Error(`${engine.name} is not a podman machine Bootc Studio can change: make it rootful yourself`);
    }
    return this.deps.makeMachineRootful(engine.machine);
  }

  async describeImageForBuild(engineId: unknown, ref: unknown): Promise<BuildableImage> {
    const args = [checkId('engineId', engineId), checkId('ref', ref)] as const;
    return this.deps.describeImage ? this.deps.describeImage(...args) : this.deps.builds.describeImage(...args);
  }

  async importBuildConfig(): Promise<ImportedBuildConfig | undefined> {
    const path = await this.deps.dialogs.selectFile('Import a build config', {
      name: 'Build config (config.toml, config.json)',
      extensions: ['toml', 'json'],
    });
    return path === undefined ? undefined : importBuildConfigFile(checkAbsolutePath('file', path));
  }

  async exportBuildConfig(config: unknown): Promise<string | undefined> {
    const path = await this.deps.dialogs.saveFile('Export the build config as config.toml');
    if (path === undefined) return undefined;
    await exportBuildConfigFile(config, checkAbsolutePath('file', path));
    return path;
  }

  async listSshPublicKeys(): Promise<{ path: string; key: string }[]> {
    return listSshPublicKeys(this.deps.home);
  }
}
