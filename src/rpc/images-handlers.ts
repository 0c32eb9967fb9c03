/**
 * The images room of the bridge: the bootc images, builds, pushes and pulls (each a job, its id
 * answered at once), tags, deletes and the examples. Arguments are checked here; the images room
 * does the work.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ExampleImage } from '../api/image-operations';
import type { ImageDeleteResult } from '../api/image-delete';
import { packImageRows } from '../api/image-rows';
import type { ImagesApi } from '../api/images-api';
import type { BootcImage } from '../api/models';
import type { ContainerEngine } from '../engine/container-engine';
import { listBootcImages } from '../images/bootc-images';
import { detectContainerfileIn } from '../images/containerfile';
import { deleteImageOrTag } from '../images/image-delete';
import type { ImageOperations } from '../images/image-operations';
import type * as Examples from '../images/examples';
import { checkAbsolutePath, checkId, checkTagList, checkTagTarget } from './argument-checks';
import type { StudioDialogs } from './studio-dialogs';

export interface ImagesHandlersDeps {
  engine: ContainerEngine;
  operations: ImageOperations;
  dialogs: StudioDialogs;
  /** Called after a tag or delete changed the engine's images (the wiring pushes `imagesChanged`). */
  imagesChanged?(): void;
}

export class ImagesHandlers implements ImagesApi {
  constructor(private readonly deps: ImagesHandlersDeps) {}

  /** The rows with each image's tags on its first row only (src/api/image-rows.ts). */
  async listBootcImages(): Promise<BootcImage[]> {
    return packImageRows(await listBootcImages(this.deps.engine));
  }

  // Builds, pushes and pulls load their modules at the first one, not at activation (issue 12).
  async buildImage(request: unknown): Promise<string> {
    return (await import('../images/image-build')).startBuild(this.deps, request);
  }

  async pushImage(request: unknown): Promise<string> {
    return (await import('../images/image-transfer')).startPush(this.deps, request);
  }

  async pullImage(request: unknown): Promise<string> {
    return (await import('../images/image-transfer')).startPull(this.deps, request);
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
    return (await loadExamples()).listExamples();
  }

  async detectContainerfile(contextDir: unknown): Promise<string | undefined> {
    return detectContainerfileIn(checkAbsolutePath('contextDir', contextDir));
  }

  async saveExampleContainerfile(exampleId: unknown): Promise<string | undefined> {
    const id = checkId('exampleId', exampleId);
    const example = (await loadExamples()).findExample(id);
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
}

/** The examples catalog (its YAML, js-yaml and its schema) loads with the first visit of Examples, not at activation. */
function loadExamples(): Promise<typeof Examples> {
  return import('../images/examples');
}
