import { version } from '../../package.json';
import { imageBuildCommand } from './commands/image-build';
import { imagePullCommand } from './commands/image-pull';
import { imagePushCommand } from './commands/image-push';
import { imagesCommand } from './commands/images';
import { connectEngine } from './connect';
import { runCli } from './run';

runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.removeListener('SIGINT', handler);
    },
  },
  {
    commands: [imagesCommand, imageBuildCommand, imagePushCommand, imagePullCommand],
    version,
    connect: connectEngine,
  },
).then(code => {
  process.exitCode = code;
});
