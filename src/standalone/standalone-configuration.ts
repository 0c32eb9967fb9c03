import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { EventEmitter } from './pd-primitives';

interface ConfigurationProperty {
  default?: unknown;
}

/**
 * `configuration` of the API over a JSON file: defaults from the manifest's
 * `contributes.configuration.properties`, the user's values in `file` (written atomically).
 */
export class StandaloneConfiguration {
  readonly #values: Record<string, unknown>;
  readonly #changed = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
  readonly onDidChangeConfiguration = this.#changed.event;

  constructor(
    private readonly file: string,
    private readonly properties: Record<string, ConfigurationProperty>,
  ) {
    this.#values = readJson(file);
  }

  getConfiguration(section?: string) {
    const key = (name: string) => (section ? `${section}.${name}` : name);
    return {
      get: <T>(name: string, defaultValue?: T): T | undefined => {
        const full = key(name);
        if (full in this.#values) return this.#values[full] as T;
        if (this.properties[full] && 'default' in this.properties[full]) return this.properties[full].default as T;
        return defaultValue;
      },
      has: (name: string) => key(name) in this.#values || key(name) in this.properties,
      update: async (name: string, value: unknown) => {
        const full = key(name);
        if (value === undefined) delete this.#values[full];
        else this.#values[full] = value;
        this.#save();
        this.#changed.fire({ affectsConfiguration: (other: string) => full === other || full.startsWith(`${other}.`) });
      },
    };
  }

  #save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(this.#values, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const value = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new Error(`${file} is not a JSON object of settings; fix or delete it.`);
}
