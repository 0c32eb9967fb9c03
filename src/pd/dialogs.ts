import type * as pd from '@podman-desktop/api';

import type { StudioDialogs } from '../rpc/studio-dialogs';

type DialogApi = Pick<typeof pd.window, 'showOpenDialog' | 'showSaveDialog'>;
type UriApi = Pick<typeof pd.Uri, 'file'>;

/** Podman Desktop's open and save dialogs as the core's StudioDialogs. */
export function pdDialogs(window: DialogApi, uri: UriApi): StudioDialogs {
  return {
    async selectFolder(title, defaultPath) {
      const picked = await window.showOpenDialog({
        title,
        openLabel: 'Select',
        selectors: ['openDirectory'],
        defaultUri: defaultPath ? uri.file(defaultPath) : undefined,
      });
      return picked?.[0]?.fsPath;
    },
    async selectFile(title, filter) {
      const picked = await window.showOpenDialog({
        title,
        openLabel: 'Open',
        selectors: ['openFile'],
        ...(filter ? { filters: [filter] } : {}),
      });
      return picked?.[0]?.fsPath;
    },
    async saveFile(title, defaultPath) {
      const picked = await window.showSaveDialog({
        title,
        saveLabel: 'Save',
        defaultUri: defaultPath ? uri.file(defaultPath) : undefined,
      });
      return picked?.fsPath;
    },
  };
}
