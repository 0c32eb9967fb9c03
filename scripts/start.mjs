// `npm start`: builds when the bundles are missing or older than the sources, then runs standalone
// mode (dist/standalone.js) with the arguments given after `--`.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map(name => newest(join(path, name))));
}

const outputs = ['dist/extension.js', 'dist/standalone.js', 'media/index.html'].map(file => newest(join(root, file)));
const sources = Math.max(...['src', 'frontend', 'package.json'].map(path => newest(join(root, path))));
if (outputs.includes(0) || Math.min(...outputs) < sources) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, [join(root, 'dist/standalone.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  // Standalone mode ends with this process, however this one ends (see main.ts).
  env: { ...process.env, BOOTC_STUDIO_STOP_WITH_PARENT: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
// `npm start` stopped by SIGTERM: npm and its `sh -c` end without passing the signal on, and this
// process is left to init. Noticing that is the only way to hear of it: stop standalone mode (and
// with it the podman service it started) as if the signal had come here. Run by hand (`nohup node
// scripts/start.mjs &`), it keeps running when its shell goes.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  const orphaned = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(orphaned);
      child.kill('SIGTERM');
    }
  }, 500);
  orphaned.unref();
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
