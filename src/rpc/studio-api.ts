import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { BootcStudioApi } from '../api/bootc-studio-api';
import type { ExampleImage, ImageOperation } from '../api/image-operations';
import type { BootcImage, EngineSummary, Route } from '../api/models';
import type { ContainerEngine } from '../engine/container-engine';
import { listBootcImages } from '../images/bootc-images';
import { detectContainerfile } from '../images/containerfile';
import { findExample, listExamples } from '../images/examples';
import { startBuild } from '../images/image-build';
import type { ImageOperations } from '../images/image-operations';
import { startPull, startPush } from '../images/image-transfer';
import {
  checkAbsolutePath,
  checkId,
  checkLogIndex,
  checkOptionalAbsolutePath,
  checkTagTarget,
  checkTitle,
} from './argument-checks';
import type { RouteRegistry } from './route-registry';

/** The host's dialogs (Podman Desktop's window.showOpenDialog), as plain functions. */
export interface StudioDialogs {
  /** A folder the user picks; undefined when cancelled. */
  selectFolder(title: string, defaultPath?: string): Promise<string | undefined>;
}

export interface StudioApiDeps {
  engine: ContainerEngine;
  routes: RouteRegistry;
  operations: ImageOperations;
  dialogs: StudioDialogs;
  openExternal(url: string): Promise<boolean>;
  /** Called after a tag or delete changed the engine's images (the wiring pushes `imagesChanged`). */
  imagesChanged?(): void;
}

/** The backend's implementation of the webview contract; it only checks arguments and delegates to the core. */
export class StudioApi implements BootcStudioApi {
  constructor(private readonly deps: StudioApiDeps) {}

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

  async cancelImageOperation(operationId: unknown): Promise<void> {
    this.deps.operations.cancel(checkId('operationId', operationId));
  }

  async listImageOperations(): Promise<ImageOperation[]> {
    return this.deps.operations.list();
  }

  async readImageOperationLog(operationId: unknown, from: unknown): Promise<{ lines: string[]; next: number }> {
    return this.deps.operations.readLog(checkId('operationId', operationId), checkLogIndex('from', from));
  }

  async tagImage(engineId: unknown, source: unknown, target: unknown): Promise<void> {
    const args = [checkId('engineId', engineId), checkId('source', source), checkTagTarget('target', target)] as const;
    await this.deps.engine.tagImage(...args);
    this.deps.imagesChanged?.();
  }

  async deleteImage(engineId: unknown, imageId: unknown): Promise<void> {
    await this.deps.engine.deleteImage(checkId('engineId', engineId), checkId('imageId', imageId));
    this.deps.imagesChanged?.();
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
    return detectContainerfile(checkAbsolutePath('contextDir', contextDir));
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
}
