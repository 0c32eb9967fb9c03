import type { ExtensionContext } from '@podman-desktop/api';

import { activateStudio } from './pd/studio';

export async function activate(context: ExtensionContext): Promise<void> {
  await activateStudio(context);
}

export async function deactivate(): Promise<void> {
  // Everything activate() created is in context.subscriptions, which Podman Desktop disposes.
}
