import type { ImageDeleteResult } from './image-delete';
import type { ExampleImage, ImageBuildRequest, ImagePullRequest, ImagePushRequest } from './image-operations';
import type { BootcImage } from './models';

/**
 * What the webview may ask of the images room: the bootc images, and builds, pushes and pulls —
 * which answer with their job id at once (see JobsApi) — tags, deletes and the examples.
 */
export interface ImagesApi {
  /**
   * Bootc images of every running engine, one row per tag. Engines that fail to answer are skipped,
   * not fatal. On the bridge an image's later rows carry `tags: []` (image-rows.ts): read the answer
   * through unpackImageRows.
   */
  listBootcImages(): Promise<BootcImage[]>;
  /** Starts a build from a Containerfile; rejects (nothing started) when a field is invalid, naming it. */
  buildImage(request: ImageBuildRequest): Promise<string>;
  /** Starts a push of a full reference to its registry. */
  pushImage(request: ImagePushRequest): Promise<string>;
  /** Starts a pull. */
  pullImage(request: ImagePullRequest): Promise<string>;
  /** Tags an image with another full reference (e.g. for a registry, before pushing a localhost/ image). */
  tagImage(engineId: string, source: string, target: string): Promise<void>;
  /**
   * Deletes one tag (`target` a tag: the image stays while it has others) or a whole image with all
   * its tags (`target` its id, or its last tag); answers what went. `shownTags`, the image's tags as
   * the user saw them: when the engine's differ, nothing is deleted. Refuses, saying why, when a
   * container uses the image. The page confirms first.
   */
  deleteImage(engineId: string, target: string, shownTags?: string[]): Promise<ImageDeleteResult>;
  /** The examples catalog, which ships with the extension (works offline). */
  listExamples(): Promise<ExampleImage[]>;
  /** The Containerfile the build would use in `contextDir` (`Containerfile`, then `Dockerfile`), if any. */
  detectContainerfile(contextDir: string): Promise<string | undefined>;
  /** Saves an example's Containerfile into a folder the user picks; the path written, or undefined if cancelled. */
  saveExampleContainerfile(exampleId: string): Promise<string | undefined>;
}
