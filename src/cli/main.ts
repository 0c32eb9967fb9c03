import { version } from '../../package.json';
import { diskAttachCommand } from './commands/disk-attach';
import { diskBuildCommand } from './commands/disk-build';
import { diskCancelCommand } from './commands/disk-cancel';
import { diskLogsCommand } from './commands/disk-logs';
import { diskLsCommand } from './commands/disk-ls';
import { diskRmCommand } from './commands/disk-rm';
import { diskShowCommand } from './commands/disk-show';
import { imageBuildCommand } from './commands/image-build';
import { imagePullCommand } from './commands/image-pull';
import { imagePushCommand } from './commands/image-push';
import { imagesCommand } from './commands/images';
import { vmConsoleCommand } from './commands/vm-console';
import { vmLsCommand } from './commands/vm-ls';
import { vmRmCommand } from './commands/vm-rm';
import { vmRunCommand } from './commands/vm-run';
import { vmSshCommand } from './commands/vm-ssh';
import { vmStartCommand } from './commands/vm-start';
import { vmStatusCommand } from './commands/vm-status';
import { vmStopCommand } from './commands/vm-stop';
import {
  vmApplyLiveCommand,
  vmRebuildCommand,
  vmResetCommand,
  vmRollbackCommand,
  vmSwitchCommand,
  vmUpgradeCommand,
} from './commands/vm-update';
import { processAdminRunner } from '../platform/admin';
import { startProcess } from '../platform/process';
import { connectEngine } from './connect';
import { runCli } from './run';

runCli(
  process.argv.slice(2),
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
    commands: [
      imagesCommand,
      imageBuildCommand,
      imagePushCommand,
      imagePullCommand,
      diskBuildCommand,
      diskLsCommand,
      diskShowCommand,
      diskLogsCommand,
      diskCancelCommand,
      diskRmCommand,
      diskAttachCommand,
      vmRunCommand,
      vmLsCommand,
      vmStartCommand,
      vmStopCommand,
      vmRmCommand,
      vmConsoleCommand,
      vmSshCommand,
      vmStatusCommand,
      vmUpgradeCommand,
      vmSwitchCommand,
      vmRollbackCommand,
      vmApplyLiveCommand,
      vmResetCommand,
      vmRebuildCommand,
    ],
    version,
    connect: connectEngine,
    spawnDetached(args, env) {
      // This very script, again, in its own session: it outlives this process and its terminal.
      const child = startProcess([process.execPath, process.argv[1], ...args], { detached: true, env, cleanEnv: true });
      child.unref();
      return child.pid;
    },
    ...(process.platform === 'linux'
      ? { handoff: { admin: processAdminRunner(message => process.stderr.write(`bootc-studio: ${message}\n`)) } }
      : {}),
  },
).then(code => {
  process.exitCode = code;
});
