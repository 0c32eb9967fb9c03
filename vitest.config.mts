import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

const apiMock = new URL('./tests/mocks/podman-desktop-api.ts', import.meta.url).pathname;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'backend',
          environment: 'node',
          // The backend's specs mirror its rooms: tests/unit/<room>/ (the webview's are frontend/).
          include: ['tests/unit/**/*.spec.ts'],
          exclude: ['tests/unit/frontend/**'],
        },
        resolve: { alias: { '@podman-desktop/api': apiMock } },
      },
      {
        plugins: [svelte({ configFile: false }), svelteTesting()],
        test: {
          name: 'frontend',
          environment: 'jsdom',
          include: ['tests/unit/frontend/**/*.spec.ts'],
          setupFiles: ['tests/unit/frontend/setup.ts'],
        },
      },
      {
        // Loads the built dist/ the way Podman Desktop does: run after `npm run build`.
        test: {
          name: 'loader',
          environment: 'node',
          include: ['tests/loader/**/*.spec.ts'],
        },
      },
      {
        // Real podman, registry, qemu, sshd, started by the tests themselves.
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/integration/**/*.spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // The hardening suite: hostile input, crashes, concurrency, secrets, exposure and load,
        // against the real components; prints what it proved at the end (`npm run test:hardening`).
        test: {
          name: 'hardening',
          environment: 'node',
          include: ['tests/hardening/**/*.spec.ts'],
          globalSetup: ['tests/hardening/support/print-counts.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Figures, never pass/fail: `npm run bench`.
        test: {
          name: 'bench',
          environment: 'node',
          include: [],
          benchmark: { include: ['tests/bench/**/*.bench.ts'] },
        },
      },
      {
        // Standalone mode driven by Debian's Chromium.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['tests/e2e/**/*.spec.ts'],
          // A page answers through the bridge and the engine: poll for seconds, not vitest's 1 s.
          expect: { poll: { timeout: 15_000, interval: 100 } },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
