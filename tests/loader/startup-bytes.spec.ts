/**
 * Size budgets of what loads at start, checked on the built dist/ and media/ (`npm run build`
 * first). Bytes, not times: they are the same on every machine, and they are what start-up time
 * grows with (a heavy package imported statically again shows here first). `npm run bench`
 * measures the times themselves.
 */
import { join, resolve } from 'node:path';

import { describe, expect, test } from 'vitest';

import { loadBytes, loadClosure } from '../bench/backend-bytes';
import { webviewBytes } from '../bench/webview-bytes';

const root = resolve(__dirname, '../..');
const KB = 1024;

/** Issue 12's goal for the webview: ≤ 90 KB gzip -9 loaded at start. */
const WEBVIEW_STARTUP_BUDGET = 90 * KB;
/**
 * Everything the webview holds, gzip -9 (209 KB, xterm.js 66 KB of it). Issue 12's goal is 135 KB,
 * not met yet: this is a guard against growth (the full zod build back in the webview is +15 KB).
 */
const WEBVIEW_TOTAL_BUDGET = 215 * KB;
/**
 * dist/extension.js and what it requires at load (735 KB); ssh2 (570 KB), dockerode (1.1 MB) or
 * js-yaml (90 KB, the cloud-init seed's) would burst it.
 */
const EXTENSION_LOAD_BUDGET = 800 * KB;
/** dist/cli.js before a command is chosen: what --help and --version load (140 KB). */
const CLI_LOAD_BUDGET = 200 * KB;

describe('start-up bytes', () => {
  test('the webview’s start-up JS and CSS stay within the budget (gzip -9)', () => {
    const bytes = webviewBytes(join(root, 'media'));
    expect(bytes.startup, JSON.stringify(bytes.startupFiles)).toBeLessThanOrEqual(WEBVIEW_STARTUP_BUDGET);
    // Pages load with their route: the start-up set is a part of the whole, not all of it.
    expect(bytes.startup).toBeLessThan(bytes.total / 2);
  });

  test('the webview’s JS and CSS in all do not grow past the budget (gzip -9)', () => {
    expect(webviewBytes(join(root, 'media')).total).toBeLessThanOrEqual(WEBVIEW_TOTAL_BUDGET);
  });

  test('dist/extension.js loads no heavy package at require()', () => {
    const closure = loadClosure(join(root, 'dist/extension.js'));
    expect(loadBytes(join(root, 'dist/extension.js')), JSON.stringify(closure)).toBeLessThanOrEqual(
      EXTENSION_LOAD_BUDGET,
    );
  });

  test('dist/cli.js loads no command before it knows which', () => {
    const closure = loadClosure(join(root, 'dist/cli.js'));
    expect(loadBytes(join(root, 'dist/cli.js')), JSON.stringify(closure)).toBeLessThanOrEqual(CLI_LOAD_BUDGET);
  });
});
