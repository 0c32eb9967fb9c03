import { version } from '../../package.json';
import { processAdminRunner } from '../platform/admin';
import { startProcess } from '../platform/process';
import { connectEngine } from './connect';
import { commandsFor } from './command-registry';
import { runCli } from './run';

const argv = process.argv.slice(2);

// A reader that stopped reading (`| head`): what is left to print has nowhere to go. The command
// ends quietly with its own exit status, rather than with a stack trace of the failed write.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

// Only the module of the command that argv names is loaded (command-registry.ts).
void commandsFor(argv).then(commands =>
  runCli(
    argv,
    {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      cwd: process.cwd(),
      onInterrupt(handler) {
        process.on('SIGINT', handler);
        return () => process.removeListener('SIGINT', handler);
      },
    },
    {
      commands,
      version,
      connect: connectEngine,
      spawnDetached(args, env) {
        // This very script, again, in its own session: it outlives this process and its terminal.
        const child = startProcess([process.execPath, process.argv[1], ...args], {
          detached: true,
          env,
          cleanEnv: true,
        });
        child.unref();
        return child.pid;
      },
      ...(process.platform === 'linux'
        ? { handoff: { admin: processAdminRunner(message => process.stderr.write(`bootc-studio: ${message}\n`)) } }
        : {}),
    },
  ).then(code => {
    process.exitCode = code;
  }),
);
