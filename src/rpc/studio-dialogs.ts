/** The host's dialogs (Podman Desktop's window.showOpenDialog), as plain functions. */
export interface StudioDialogs {
  /** A folder the user picks; undefined when cancelled. */
  selectFolder(title: string, defaultPath?: string): Promise<string | undefined>;
  /** A file to open; undefined when cancelled. `extensions` without dots, e.g. `['toml', 'json']`. */
  selectFile(title: string, filter?: { name: string; extensions: string[] }): Promise<string | undefined>;
  /** Where to save a file; undefined when cancelled. */
  saveFile(title: string, defaultPath?: string): Promise<string | undefined>;
}
