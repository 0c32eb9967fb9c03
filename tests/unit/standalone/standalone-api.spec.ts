import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, test, vi } from 'vitest';

import type { HostEvent } from '../../../src/standalone/host-ui';
import { HostUi } from '../../../src/standalone/host-ui';
import { createStandaloneApi } from '../../../src/standalone/standalone-api';
import { StandaloneProviders } from '../../../src/standalone/standalone-providers';
import { StandaloneConfiguration } from '../../../src/standalone/standalone-configuration';
import type { StandaloneContainerEngine } from '../../../src/standalone/standalone-container-engine';
import { exec, RunError } from '../../../src/standalone/standalone-process';
import { WebviewRegistry } from '../../../src/standalone/webview-host';

const dir = mkdtempSync(join(tmpdir(), 'standalone-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The API as the extension sees it, with a recording page attached to the host UI. */
function setup() {
  const ui = new HostUi();
  const events: HostEvent[] = [];
  ui.attach(event => events.push(event));
  const configuration = new StandaloneConfiguration(join(dir, `settings-${Math.random()}.json`), {
    'bootc-studio.build.timeout': { default: 30 },
  });
  const openExternal = vi.fn(async (_url: string) => true);
  const openPath = vi.fn(async (_path: string) => false);
  const webviews = new WebviewRegistry({ origin: () => 'http://127.0.0.1:1', extensionRoot: dir, changed: () => {} });
  const { api } = createStandaloneApi({
    ui,
    providers: new StandaloneProviders(event => ui.broadcast(event), []),
    webviews,
    containerEngine: {} as StandaloneContainerEngine,
    connections: [],
    configuration,
    openExternal,
    openPath,
  });
  const last = <T extends HostEvent['type']>(type: T) =>
    events.filter((event): event is Extract<HostEvent, { type: T }> => event.type === type).at(-1)!;
  return { ui, api, events, last, configuration, openExternal, openPath };
}

describe('standalone @podman-desktop/api', () => {
  test('withProgress shows a task with its real percentage, then its outcome', async () => {
    const { api, last } = setup();
    let report!: (value: { message?: string; increment?: number }) => void;
    let finish!: () => void;
    const done = api.window.withProgress({ location: 2, title: 'Building disk image' }, async progress => {
      report = progress.report;
      await new Promise<void>(resolve => (finish = resolve));
      return 'ok';
    });
    await Promise.resolve();
    report({ message: 'osbuild stage 3/10', increment: 30 });
    expect(last('task').task.percent).toBe(30);
    // Like Podman Desktop: `increment` is the percentage itself, not added to the last one.
    report({ increment: 55 });
    expect(last('task').task).toMatchObject({
      title: 'Building disk image',
      state: 'running',
      percent: 55,
      message: 'osbuild stage 3/10',
    });
    report({ increment: 120 });
    expect(last('task').task.percent).toBe(100);
    finish();
    await expect(done).resolves.toBe('ok');
    expect(last('task').task.state).toBe('succeeded');
  });

  test('a failing task is marked failed with its message and the error reaches the caller', async () => {
    const { api, last } = setup();
    await expect(
      api.window.withProgress({ location: 2, title: 'Push' }, async () => {
        throw new Error('denied: requested access to the resource is denied');
      }),
    ).rejects.toThrow('denied');
    expect(last('task').task).toMatchObject({
      state: 'failed',
      error: 'denied: requested access to the resource is denied',
    });
  });

  test('Cancel in the task list cancels the token of a cancellable task', async () => {
    const { api, ui, last } = setup();
    const done = api.window.withProgress({ location: 2, title: 'Pull', cancellable: true }, (_progress, token) => {
      const cancellation = token as { onCancellationRequested(listener: () => void): unknown };
      return new Promise<string>((_resolve, reject) =>
        cancellation.onCancellationRequested(() => reject(new Error('cancelled'))),
      );
    });
    await Promise.resolve();
    await ui.handle({ type: 'task-cancel', id: last('task').task.id }, () => {});
    await expect(done).rejects.toThrow('cancelled');
    expect(last('task').task.state).toBe('cancelled');
  });

  test('messages resolve with the action the user picks, or undefined when dismissed', async () => {
    const { api, ui, last } = setup();
    const picked = api.window.showInformationMessage('Build finished', 'Open folder', 'Launch VM');
    const toast = last('toast').toast;
    expect(toast).toMatchObject({ kind: 'info', message: 'Build finished', actions: ['Open folder', 'Launch VM'] });
    await ui.handle({ type: 'toast-action', id: toast.id, action: 'Launch VM' }, () => {});
    await expect(picked).resolves.toBe('Launch VM');

    const dismissed = api.window.showErrorMessage('Push failed', 'Retry');
    await ui.handle({ type: 'toast-action', id: last('toast').toast.id }, () => {});
    await expect(dismissed).resolves.toBeUndefined();

    const forged = api.window.showWarningMessage('Disk almost full', 'OK');
    await ui.handle({ type: 'toast-action', id: last('toast').toast.id, action: 'Delete everything' }, () => {});
    await expect(forged).resolves.toBeUndefined();
  });

  test('open and save dialogs ask for a path and answer with file URIs', async () => {
    const { api, ui, last } = setup();
    const opened = api.window.showOpenDialog({ selectors: ['openDirectory'], title: 'Output folder' });
    expect(last('dialog').dialog).toMatchObject({ kind: 'open', title: 'Output folder', folders: true });
    await ui.handle({ type: 'dialog-answer', id: last('dialog').dialog.id, value: ' /home/u/out ' }, () => {});
    expect((await opened)?.map(uri => uri.fsPath)).toEqual(['/home/u/out']);

    const saved = api.window.showSaveDialog({ defaultUri: { fsPath: '/home/u/config.toml' } });
    expect(last('dialog').dialog).toMatchObject({ kind: 'save', defaultPath: '/home/u/config.toml' });
    await ui.handle({ type: 'dialog-answer', id: last('dialog').dialog.id }, () => {});
    await expect(saved).resolves.toBeUndefined();
  });

  test('configuration: manifest defaults, user values written to a private file, change events', async () => {
    const file = join(dir, 'settings.json');
    const configuration = new StandaloneConfiguration(file, { 'bootc-studio.build.timeout': { default: 30 } });
    const changes: boolean[] = [];
    configuration.onDidChangeConfiguration(event => changes.push(event.affectsConfiguration('bootc-studio.build')));
    const section = configuration.getConfiguration('bootc-studio');
    expect(section.get('build.timeout')).toBe(30);
    await section.update('build.timeout', 45);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'bootc-studio.build.timeout': 45 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(changes).toEqual([true]);
    expect(new StandaloneConfiguration(file, {}).getConfiguration('bootc-studio').get('build.timeout')).toBe(45);
  });

  test('env.openExternal: a file URI goes to the desktop opener as a path, a link to the host page', async () => {
    const { api, openExternal, openPath } = setup();
    expect(await api.env.openExternal(api.Uri.file('/home/me/disks with space'))).toBe(false);
    expect(openPath).toHaveBeenCalledWith('/home/me/disks with space');
    expect(openExternal).not.toHaveBeenCalled();
    expect(await api.env.openExternal(api.Uri.parse('https://docs.fedoraproject.org/en-US/bootc/'))).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://docs.fedoraproject.org/en-US/bootc/');
    expect(openPath).toHaveBeenCalledTimes(1);
  });

  test('anything the stand-in does not implement fails loudly, naming it', () => {
    const { api } = setup();
    expect(() => (api as unknown as Record<string, unknown>).kubernetes).toThrow('does not implement kubernetes');
    expect(() => (api.window as unknown as Record<string, unknown>).showQuickPick).toThrow(
      'does not implement window.showQuickPick',
    );
  });
});

describe('standalone process.exec', () => {
  test('runs argv without a shell and trims the output', async () => {
    const result = await exec('echo', ['$(id)', '`whoami`', 'a b;c']);
    expect(result.stdout).toBe('$(id) `whoami` a b;c');
  });

  test('a non-zero exit rejects with the exit code and both outputs', async () => {
    const err = await exec('sh', ['-c', 'echo out; echo err >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect(err).toMatchObject({ exitCode: 3, stdout: 'out', stderr: 'err', cancelled: false });
  });

  test('cancelling the token kills the process', async () => {
    let cancel!: () => void;
    const token = {
      isCancellationRequested: false,
      onCancellationRequested: (listener: () => void) => {
        cancel = listener;
        return { dispose() {} };
      },
    };
    const running = exec('sleep', ['30'], { token: token as never });
    setTimeout(() => cancel(), 50);
    await expect(running).rejects.toMatchObject({ cancelled: true });
  });
});
