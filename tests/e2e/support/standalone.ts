import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// import.meta.url rather than __dirname: the benchmarks load this file as an ES module too.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ENTRY = resolve(ROOT, 'dist/standalone.js');

export interface StandaloneProcess {
  /** The printed URL, with the session token. */
  url: string;
  origin: string;
  /** The process id of standalone mode (its backend): what the benchmarks read its CPU time of. */
  pid: number;
  output(): string;
  /** SIGTERM, then the exit code (standalone stops the extension and its own podman service). */
  stop(): Promise<number | null>;
}

/** Runs `node dist/standalone.js` — what `npm start` runs — and waits for the URL it prints. */
export async function startStandaloneProcess(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<StandaloneProcess> {
  if (!existsSync(ENTRY)) throw new Error('dist/standalone.js is missing: run `npm run build` first');
  const child: ChildProcess = spawn(process.execPath, [ENTRY, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>(done => child.once('exit', code => done(code)));

  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`standalone mode printed no URL within 30 s:\n${output}`)), 30_000);
    const check = () => {
      const match = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(code => {
      clearTimeout(timer);
      fail(new Error(`standalone mode exited with ${code} before printing its URL:\n${output}`));
    });
  });

  return {
    url,
    origin: new URL(url).origin,
    pid: child.pid!,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
