import { describe, expect, test } from 'vitest';

import type { HostEvent, HostToast } from '../../../src/standalone/host-ui';
import { HostUi, INFO_TOAST_MS, WARNING_TOAST_MS } from '../../../src/standalone/host-ui';

/** The toasts the host page is sent, in order. */
function recorded(): { ui: HostUi; toasts: HostToast[] } {
  const ui = new HostUi();
  const toasts: HostToast[] = [];
  ui.attach((event: HostEvent) => {
    if (event.type === 'toast') toasts.push(event.toast);
  });
  return { ui, toasts };
}

describe('toasts close by themselves for news, and stay for trouble', () => {
  test('a success (information), with or without an "Open folder" button, closes after a few seconds', () => {
    const { ui, toasts } = recorded();
    ui.notify('info', 'Image pushed', '127.0.0.1:5000/demo:1');
    void ui.showMessage('info', 'Disk image of quay.io/demo/os:1 built in /tmp/out: qcow2/disk.qcow2', ['Open folder']);
    expect(toasts.map(toast => toast.closeAfterMs)).toEqual([INFO_TOAST_MS, INFO_TOAST_MS]);
    expect(INFO_TOAST_MS).toBeGreaterThanOrEqual(4_000);
    expect(INFO_TOAST_MS).toBeLessThanOrEqual(10_000);
  });

  test('a success with a warning closes too, a little later', () => {
    const { ui, toasts } = recorded();
    ui.notify('warning', 'Image pushed', '127.0.0.1:5000/demo:1\nthe registry is on this machine only');
    expect(toasts[0].closeAfterMs).toBe(WARNING_TOAST_MS);
    expect(WARNING_TOAST_MS).toBeGreaterThan(INFO_TOAST_MS);
  });

  test('errors stay, and so does a warning that asks a question', () => {
    const { ui, toasts } = recorded();
    ui.notify('error', 'Image push failed', 'denied');
    void ui.showMessage('error', 'The disk image build failed', ['Show log']);
    void ui.showMessage('warning', 'Make the podman machine rootful?', ['Make rootful', 'Cancel']);
    expect(toasts.map(toast => toast.closeAfterMs)).toEqual([undefined, undefined, undefined]);
  });

  test('a page that connects later gets the same lifetimes in its snapshot', () => {
    const { ui } = recorded();
    ui.notify('info', 'Image built', 'localhost/demo:1');
    const snapshot = ui.snapshot();
    expect(snapshot.type === 'snapshot' && snapshot.toasts[0].closeAfterMs).toBe(INFO_TOAST_MS);
  });
});
