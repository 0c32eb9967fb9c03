import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

// The backend bundle: CommonJS, as Podman Desktop require()s `main`. `@podman-desktop/api` must stay
// external, since Podman Desktop answers that require() itself; runtime dependencies are bundled.
export default defineConfig({
  ssr: { noExternal: true, target: 'node' },
  build: {
    target: 'node20',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    ssr: true,
    lib: {
      entry: {
        extension: 'src/extension.ts',
        cli: 'src/cli/main.ts',
        standalone: 'src/standalone/main.ts',
      },
      formats: ['cjs'],
      fileName: (_format, name) => `${name}.js`,
    },
    rollupOptions: {
      external: [
        '@podman-desktop/api',
        ...builtinModules,
        /^node:/,
        'cpu-features',
        'bufferutil',
        'utf-8-validate',
        /\.node$/,
      ],
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        banner: chunk => (chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
      },
    },
  },
});
