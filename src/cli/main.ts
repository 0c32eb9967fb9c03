import { version } from '../../package.json';
import { imagesCommand } from './commands/images';
import { connectEngine } from './connect';
import { runCli } from './run';

runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  {
    commands: [imagesCommand],
    version,
    connect: connectEngine,
  },
).then(code => {
  process.exitCode = code;
});
