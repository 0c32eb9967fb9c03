import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { BootcStudioApi } from '../api/bootc-studio-api';
import { BUILDER_PRESETS, type BuilderPreset, DISK_IMAGE_TYPES, type DiskImageType } from '../api/disk-build';
import type {
  BuildableImage,
  DiskBuildDeleteResult,
  DiskBuildPreview,
  ImportedBuildConfig,
  OutputFolderCheck,
} from '../api/disk-builds';
import type { ExampleImage } from '../api/image-operations';
import type { ImageDeleteResult } from '../api/image-delete';
import type { BootcImage, EngineSummary, Route } from '../api/models';
import { exportBuildConfigFile, importBuildConfigFile } from '../builds/build-config-import-export';
import type { DiskBuildService } from '../builds/disk-build-service';
import { listSshPublicKeys } from '../ssh/ssh-public-keys';
import type { ContainerEngine } from '../engine/container-engine';
import { listBootcImages } from '../images/bootc-images';
import { detectContainerfileIn } from '../images/containerfile';
import { deleteImageOrTag } from '../images/image-delete';
import { findExample, listExamples } from '../images/examples';
import { startBuild } from '../images/image-build';
import type { ImageOperations } from '../images/image-operations';
import type { Job, JobLogChunk } from '../api/jobs';
import type { JobRegistry } from '../jobs/job-registry';
import { startPull, startPush } from '../images/image-transfer';
import {
  checkAbsolutePath,
  checkBoolean,
  checkId,
  checkOptionalAbsolutePath,
  checkTagList,
  checkTagTarget,
  checkTitle,
} from './argument-checks';
import { JobsHandlers } from './jobs-handlers';
import type { RouteRegistry } from './route-registry';

/** The host's dialogs (Podman Desktop's window.showOpenDialog), as plain functions. */
export interface StudioDialogs {
  /** A folder the user picks; undefined when cancelled. */
  selectFolder(title: string, defaultPath?: string): Promise<string | undefined>;
  /** A file to open; undefined when cancelled. `extensions` without dots, e.g. `['toml', 'json']`. */
  selectFile(title: string, filter?: { name: string; extensions: string[] }): Promise<string | undefined>;
  /** Where to save a file; undefined when cancelled. */
  saveFile(title: string, defaultPath?: string): Promise<string | undefined>;
}

export interface StudioApiDeps {
  engine: ContainerEngine;
  routes: RouteRegistry;
  operations: ImageOperations;
  /** Every job of every kind (the image operations' registry, with the disk builds attached). */
  jobs: JobRegistry;
  builds: DiskBuildService;
  dialogs: StudioDialogs;
  /** The user's home, for `~/.ssh/*.pub`; default os.homedir(). */
  home?: string;
  openExternal(url: string): Promise<boolean>;
  /**
   * Opens a folder of this machine in its file manager; whether it did. A host that cannot says
   * so to the user itself, naming the folder.
   */
  openFolder(path: string): Promise<boolean>;
  /** The form's image facts, where the host remembers them (engine-facts-cache.ts); else asked of `builds`. */
  describeImage?(engineId: string, ref: string): Promise<BuildableImage>;
  /** Called after a tag or delete changed the engine's images (the wiring pushes `imagesChanged`). */
  imagesChanged?(): void;
  /** The builder preference; anything but a preset's name counts as unset. */
  defaultBuilder?(): unknown;
  /** Makes a podman machine rootful (asks first); whether it did. Absent where machines cannot be changed. */
  makeMachineRootful?(machine: { name: string; vmType: string }): Promise<boolean>;
}

/** The backend's implementation of the webview contract; it only checks arguments and delegates to the core. */
export class StudioApi implements BootcStudioApi {
  readonly #jobs: JobsHandlers;

  constructor(private readonly deps: StudioApiDeps) {
    this.#jobs = new JobsHandlers(deps.jobs);
  }

  listJobs(kind?: unknown): Promise<Job[]> {
    return this.#jobs.listJobs(kind);
  }

  getJob(jobId: unknown): Promise<Job> {
    return this.#jobs.getJob(jobId);
  }

  readJobLog(jobId: unknown, from: unknown): Promise<JobLogChunk> {
    return this.#jobs.readJobLog(jobId, from);
  }

  cancelJob(jobId: unknown): Promise<void> {
    return this.#jobs.cancelJob(jobId);
  }

  listBootcImages(): Promise<BootcImage[]> {
    return listBootcImages(this.deps.engine);
  }

  async listEngines(): Promise<EngineSummary[]> {
    return this.deps.engine.listEngines();
  }

  async takePendingRoute(): Promise<Route | undefined> {
    return this.deps.routes.take();
  }

  async openExternal(url: string): Promise<boolean> {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (parsed?.protocol !== 'https:')
      throw new Error(`url: only https links can be opened, got ${JSON.stringify(url)}`);
    return this.deps.openExternal(parsed.toString());
  }

  buildImage(request: unknown): Promise<string> {
    return startBuild(this.deps, request);
  }

  pushImage(request: unknown): Promise<string> {
    return startPush(this.deps, request);
  }

  pullImage(request: unknown): Promise<string> {
    return startPull(this.deps, request);
  }

  async tagImage(engineId: unknown, source: unknown, target: unknown): Promise<void> {
    const args = [checkId('engineId', engineId), checkId('source', source), checkTagTarget('target', target)] as const;
    await this.deps.engine.tagImage(...args);
    this.deps.imagesChanged?.();
  }

  async deleteImage(engineId: unknown, target: unknown, shownTags?: unknown): Promise<ImageDeleteResult> {
    const tags = shownTags === undefined ? undefined : checkTagList('shownTags', shownTags);
    const result = await deleteImageOrTag(
      this.deps.engine,
      checkId('engineId', engineId),
      checkId('imageId', target),
      tags,
    );
    this.deps.imagesChanged?.();
    return result;
  }

  async listExamples(): Promise<ExampleImage[]> {
    return listExamples();
  }

  async selectFolder(title: unknown, defaultPath?: unknown): Promise<string | undefined> {
    return this.deps.dialogs.selectFolder(
      checkTitle('title', title),
      checkOptionalAbsolutePath('defaultPath', defaultPath),
    );
  }

  async detectContainerfile(contextDir: unknown): Promise<string | undefined> {
    return detectContainerfileIn(checkAbsolutePath('contextDir', contextDir));
  }

  async saveExampleContainerfile(exampleId: unknown): Promise<string | undefined> {
    const id = checkId('exampleId', exampleId);
    const example = findExample(id);
    if (!example) throw new Error(`exampleId: no example ${JSON.stringify(id)}`);
    if (!example.containerfile) throw new Error(`exampleId: ${example.name} has no Containerfile to save`);
    const folder = await this.deps.dialogs.selectFolder(`Choose a folder for the Containerfile of ${example.name}`);
    if (folder === undefined) return undefined;
    const path = join(checkAbsolutePath('folder', folder), 'Containerfile');
    // Never overwrite: a folder that has a Containerfile is someone's build.
    await writeFile(path, example.containerfile, { flag: 'wx', mode: 0o644 }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`${folder} already has a Containerfile; choose an empty folder`);
      }
      throw error;
    });
    return path;
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
    if (typeof image !== 'string') throw new Error('image: an image reference is required');
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
