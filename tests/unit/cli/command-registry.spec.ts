import { describe, expect, test, vi } from 'vitest';

import type { CliCommand } from '../../../src/cli/cli-context';
import type { CommandEntry } from '../../../src/cli/command-registry';
import { COMMANDS, commandsFor } from '../../../src/cli/command-registry';

function fakeEntry(name: string): CommandEntry & { load: ReturnType<typeof vi.fn> } {
  const command: CliCommand = {
    name,
    summary: `${name} summary`,
    options: { x: { type: 'string', description: 'x' } },
    run: async () => 0,
  };
  return { name, summary: command.summary, load: vi.fn(async () => command) };
}

describe('the command registry', () => {
  test('names, summaries and hidden flags are the commands’ own, each loaded once and distinct', async () => {
    const loaded = await Promise.all(COMMANDS.map(entry => entry.load()));
    expect(loaded.map(command => [command.name, command.summary, command.hidden === true])).toEqual(
      COMMANDS.map(entry => [entry.name, entry.summary, entry.hidden === true]),
    );
    expect(new Set(loaded).size).toBe(COMMANDS.length);
  });

  test('help and version load no command', async () => {
    const entries = [fakeEntry('images'), fakeEntry('disk build'), fakeEntry('disk ls')];
    for (const argv of [[], ['--help'], ['--version'], ['--url', 'unix:///x.sock', '-h']]) {
      const commands = await commandsFor(argv, entries);
      expect(commands.map(command => command.name)).toEqual(['images', 'disk build', 'disk ls']);
      expect(commands.map(command => command.summary)).toEqual(entries.map(entry => entry.summary));
    }
    for (const entry of entries) expect(entry.load).not.toHaveBeenCalled();
  });

  test('a command loads alone, after global options too; the others are listed, not run', async () => {
    const entries = [fakeEntry('images'), fakeEntry('disk build'), fakeEntry('disk ls')];
    const commands = await commandsFor(
      ['--url', 'unix:///x.sock', 'disk', 'build', 'quay.io/a/b:1', '--help'],
      entries,
    );
    expect(entries.map(entry => entry.load.mock.calls.length)).toEqual([0, 1, 0]);
    expect(commands[1].options).toBeDefined();
    expect(commands[0].options).toBeUndefined();
    await expect(commands[0].run({} as never, {}, [])).rejects.toThrow('images was not loaded');
  });

  test('words that name no command (a group, an unknown one) load every command', async () => {
    for (const argv of [['disk'], ['nope', '--json']]) {
      const entries = [fakeEntry('images'), fakeEntry('disk build')];
      const commands = await commandsFor(argv, entries);
      expect(entries.map(entry => entry.load.mock.calls.length)).toEqual([1, 1]);
      expect(commands.every(command => command.options)).toBe(true);
    }
  });
});
