import { svelte } from '@sveltejs/vite-plugin-svelte';
import tailwindcss from '@tailwindcss/vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The webview bundle. `base: ''` keeps asset URLs relative in media/index.html: the backend
// rewrites every src=/href= through `asWebviewUri`, and Podman Desktop resolves relative URLs
// against the extension root rather than media/.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '',
  plugins: [tailwindcss(), svelte()],
  build: {
    outDir: '../media',
    emptyOutDir: true,
    assetsDir: '.',
    target: 'es2022',
    // media/.vite/manifest.json: which chunks the start page needs (the size check and `npm run bench`).
    manifest: true,
    rollupOptions: {
      treeshake: {
        // @podman-desktop/ui-svelte declares no `sideEffects`, so every component its index
        // re-exports would stay, with what they import: moment and humanize-duration (for a table
        // column we never show). Its modules have no effects of their own beyond their exports.
        moduleSideEffects: id =>
          !/node_modules\/(@podman-desktop\/ui-svelte\/dist\/.*\.(js|svelte)$|moment\/|humanize-duration\/)/.test(id),
      },
    },
  },
});
