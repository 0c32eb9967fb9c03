// `npm start`: builds when needed, then says how to load the extension. Standalone mode (the
// extension served to a browser against the local podman) replaces this next.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('dist/extension.js') || !existsSync('media/index.html')) {
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
}
console.log(`Built. Load ${process.cwd()} into Podman Desktop (Settings → Extensions → Development Mode),`);
console.log('or list the bootc images of the local podman: node dist/cli.js images');
