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
  },
});
