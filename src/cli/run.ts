import { parseArgs } from 'node:util';

import { errorMessage } from '../api/errors';
import type { ContainerEngine } from '../engine/container-engine';
import { defaultStoreDir } from '../platform/paths';
import type { CliCommand, CliContext, CliIo, OptionSpec } from './cli-context';
import { UsageError } from './cli-context';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    description:
      'Engine socket: unix:///path or ssh://user@host/path (default: CONTAINER_HOST, else the podman socket)',
  },
  store: {
    type: 'string',
    description: 'Folder for Bootc Studio records (default: $BOOTC_STUDIO_HOME, else the per-user data folder)',
  },
  json: { type: 'boolean', description: 'Machine-readable output (a followed job: JSON lines, the end last)' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
  version: { type: 'boolean', description: 'Show the version' },
};

export interface CliDeps {
  commands: CliCommand[];
  version: string;
  /** Connects to the engine named by `--url` (undefined: CONTAINER_HOST or the standard sockets). */
  /** The engine; `storeDir` keeps what is worth keeping between runs (a local service's info). */
  connect(url: string | undefined, env: NodeJS.ProcessEnv, storeDir?: string): Promise<ContainerEngine>;
  /** Starts `bootc-studio ARGS…` detached (for `disk build --detach`); its pid. */
  spawnDetached?(args: string[], env: NodeJS.ProcessEnv): number | undefined;
  /** Linux: runs the hand-off of builds on a rootless engine as root. */
  handoff?: CliContext['handoff'];
}

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 the operation failed, 2 bad
 * input (unknown command or flag, a missing or malformed value) — in which case nothing was started.
 */
export async function runCli(argv: string[], io: CliIo, deps: CliDeps): Promise<number> {
  let command: CliCommand | undefined;
  try {
    const words = leadingWords(argv, deps.commands);
    command = findCommand(words, deps.commands);
    const options = { ...GLOBAL_OPTIONS, ...command?.options };
    const parsed = parseOrThrow(argv, options);
    const values = parsed.values as Record<string, unknown>;
    const positionals = parsed.positionals.slice(command ? command.name.split(' ').length : 0);

    if (values.version) {
      io.stdout.write(`${deps.version}\n`);
      return EXIT_OK;
    }
    if (values.help || !command) {
      if (!command && parsed.positionals.length > 0) {
        const group = groupOf(parsed.positionals, deps.commands);
        // `bootc-studio disk`: the disk commands' help, as `bootc-studio disk --help` would show it.
        if (group && group.prefix.length === parsed.positionals.length) {
          io.stdout.write(groupHelp(group.prefix, group.commands));
          return EXIT_OK;
        }
        const hint = group ? `; the ${group.prefix.join(' ')} commands are:\n${commandList(group.commands)}` : '';
        throw new UsageError(`unknown command '${parsed.positionals.join(' ')}'${hint}`);
      }
      io.stdout.write(command ? commandHelp(command) : generalHelp(deps));
      return EXIT_OK;
    }
    const [min, max] = command.positionals ?? [0, 0];
    if (positionals.length < min)
      throw new UsageError(
        `${command.name}: missing argument (usage: bootc-studio ${command.name} ${command.usage ?? ''})`,
      );
    if (positionals.length > max) throw new UsageError(`${command.name}: unexpected argument '${positionals[max]}'`);

    const url = values.url as string | undefined;
    let engine: Promise<ContainerEngine> | undefined;
    const storeDir =
      (values.store as string | undefined) ??
      defaultStoreDir({ env: io.env, platform: process.platform, home: io.env.HOME ?? '' });
    const ctx: CliContext = {
      io,
      json: values.json === true,
      storeDir,
      ...(url !== undefined ? { url } : {}),
      ...(deps.spawnDetached ? { spawnDetached: (args: string[]) => deps.spawnDetached?.(args, io.env) } : {}),
      engine: () => (engine ??= deps.connect(url, io.env, storeDir)),
      ...(deps.handoff ? { handoff: deps.handoff } : {}),
    };
    return await command.run(ctx, values, positionals);
  } catch (err: unknown) {
    const bad = err instanceof UsageError;
    io.stderr.write(`bootc-studio: ${errorMessage(err)}\n`);
    if (bad) io.stderr.write(`Run 'bootc-studio ${command ? `${command.name} ` : ''}--help' for usage.\n`);
    return bad ? EXIT_BAD_INPUT : EXIT_FAILED;
  }
}

/** The positional words at the start of argv (before the first flag value could be mistaken). */
function leadingWords(argv: string[], commands: CliCommand[]): string[] {
  const allOptions: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const command of commands) Object.assign(allOptions, command.options);
  const { tokens } = parseArgs({
    args: argv,
    options: toParseArgs(allOptions),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.filter(token => token.kind === 'positional').map(token => token.value);
}

function findCommand(words: string[], commands: CliCommand[]): CliCommand | undefined {
  const candidates = commands
    .filter(command => {
      const name = command.name.split(' ');
      return name.every((word, i) => words[i] === word);
    })
    .sort((a, b) => b.name.length - a.name.length);
  return candidates[0];
}

function parseOrThrow(argv: string[], options: Record<string, OptionSpec>) {
  try {
    return parseArgs({ args: argv, options: toParseArgs(options), strict: true, allowPositionals: true });
  } catch (err: unknown) {
    // node's messages name the flag ("Unknown option '--x'"); keep them, drop its advice about '--'.
    throw new UsageError(errorMessage(err).replace(/\. To specify a positional argument.*$/s, ''));
  }
}

function toParseArgs(options: Record<string, OptionSpec>) {
  return Object.fromEntries(
    Object.entries(options).map(([name, { type, short, multiple }]) => [
      name,
      { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) },
    ]),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
}

function optionLines(options: Record<string, OptionSpec>): string {
  return Object.entries(options)
    .map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
      return `  ${flag.padEnd(24)} ${spec.description}`;
    })
    .join('\n');
}

/** The commands that share the longest leading words with `words` (`disk` → disk build, disk ls…). */
function groupOf(words: string[], commands: CliCommand[]): { prefix: string[]; commands: CliCommand[] } | undefined {
  for (let length = words.length; length > 0; length--) {
    const prefix = words.slice(0, length);
    const members = commands.filter(command => {
      const name = command.name.split(' ');
      return !command.hidden && name.length > length && prefix.every((word, i) => name[i] === word);
    });
    if (members.length > 0) return { prefix, commands: members };
  }
  return undefined;
}

function commandList(commands: CliCommand[]): string {
  const width = Math.max(...commands.map(command => command.name.length));
  return commands.map(command => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
}

function groupHelp(prefix: string[], commands: CliCommand[]): string {
  const name = prefix.join(' ');
  return [
    `Usage: bootc-studio ${name} COMMAND [options]`,
    '',
    'Commands:',
    commandList(commands),
    '',
    `Run 'bootc-studio ${name} COMMAND --help' for the options of one.`,
    '',
  ].join('\n');
}

function generalHelp(deps: CliDeps): string {
  const listed = deps.commands.filter(command => !command.hidden);
  const width = Math.max(...listed.map(command => command.name.length));
  return [
    'bootc-studio — bootable containers from Containerfile to running VM',
    '',
    'Usage: bootc-studio [global options] COMMAND [options]',
    '',
    'Commands:',
    ...listed.map(command => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Global options:',
    optionLines(GLOBAL_OPTIONS),
    '',
    'Exit codes: 0 success, 1 the operation failed, 2 bad input.',
    '',
  ].join('\n');
}

function commandHelp(command: CliCommand): string {
  return [
    `Usage: bootc-studio ${command.name}${command.usage ? ` ${command.usage}` : ''} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}
