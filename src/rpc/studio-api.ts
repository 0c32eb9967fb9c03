import type { BootcStudioApi } from '../api/bootc-studio-api';
import type { BootcImage, EngineSummary, Route } from '../api/models';
import type { ContainerEngine } from '../engine/container-engine';
import { listBootcImages } from '../images/bootc-images';
import type { RouteRegistry } from './route-registry';

export interface StudioApiDeps {
  engine: ContainerEngine;
  routes: RouteRegistry;
  openExternal(url: string): Promise<boolean>;
}

/** The backend's implementation of the webview contract; it only delegates to the core. */
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
}
