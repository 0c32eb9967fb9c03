import type { BuildableImage } from '../../src/api/disk-builds';
import { errorMessage } from '../../src/api/errors';
import type { BootcImage, EngineSummary } from '../../src/api/models';
import { api } from '../rpc';

/** The key of an image on an engine, as the image dropdown knows it. */
export function imageKey(ref: string, engineId: string | undefined): string {
  return `${engineId ?? ''}\u0001${ref}`;
}

/**
 * The disk-image form's choice of image: the bootc images and engines to choose from, and what the
 * backend says about the chosen image (its architectures and labels), the latest ask winning.
 */
export class BuildImageChoice {
  images: BootcImage[] | undefined = $state();
  imagesError: string | undefined = $state();
  engines: EngineSummary[] = $state([]);
  described: BuildableImage | undefined = $state.raw();
  /** The image key `described` is about. */
  describedFor: string | undefined = $state();
  describing = $state(false);
  describeError: string | undefined = $state();
  #latest = 0;
  #enginesLoaded: Promise<void> | undefined;

  /** The engines, read once: the architecture to pre-select is the engine's own. */
  loadEngines(): Promise<void> {
    this.#enginesLoaded ??= api
      .listEngines()
      .then(list => {
        this.engines = list;
      })
      .catch((err: unknown) => console.warn('Could not list engines:', err));
    return this.#enginesLoaded;
  }

  async loadImages(): Promise<void> {
    try {
      this.images = await api.listBootcImages();
      this.imagesError = undefined;
    } catch (err: unknown) {
      this.imagesError = errorMessage(err);
    }
  }

  /** The dropdown's options; a chosen image the list does not have (yet) stays offered. */
  options(image: string, engineId: string | undefined): { value: string; label: string }[] {
    const selected = image ? imageKey(image, engineId) : '';
    const options = (this.images ?? []).map(candidate => ({
      value: imageKey(candidate.ref, candidate.engineId),
      label: this.engines.length > 1 ? `${candidate.ref} (${candidate.engineName})` : candidate.ref,
    }));
    if (image && !options.some(option => option.value === selected)) {
      // A recorded engine that is gone is said so; the image's rows on the running engines follow.
      const gone = engineId && this.engines.length > 0 && !this.engines.some(engine => engine.id === engineId);
      options.unshift({ value: selected, label: gone ? `${image} (on an engine that is not running)` : image });
    }
    if (!image) options.unshift({ value: '', label: 'Choose a bootc image' });
    return options;
  }

  /** Asks about the image; its facts once they came and this is still the latest ask, else undefined. */
  async describe(ref: string, engineId: string, key: string): Promise<BuildableImage | undefined> {
    const call = ++this.#latest;
    this.describing = true;
    this.describeError = undefined;
    try {
      const [image] = await Promise.all([api.describeImageForBuild(engineId, ref), this.loadEngines()]);
      if (call !== this.#latest) return undefined;
      this.described = image;
      this.describedFor = key;
      return image;
    } catch (err: unknown) {
      if (call !== this.#latest) return undefined;
      this.described = undefined;
      this.describedFor = undefined;
      this.describeError = errorMessage(err);
      return undefined;
    } finally {
      if (call === this.#latest) this.describing = false;
    }
  }

  /** Answers still on their way are dropped (the page went away). */
  forget(): void {
    this.#latest++;
  }
}
