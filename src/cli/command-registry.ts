/**
 * The CLI's commands by name and summary, each module imported only when its command runs: a
 * command's module brings what it needs (the disk build form's schemas, the VM launchers, the
 * engine client), and `--help`, `--version` or `images` should not load what the others need.
 * The names and summaries here are what the help lists; a unit test holds them equal to the
 * commands' own.
 */
import { parseArgs } from 'node:util';

import type { CliCommand } from './cli-context';
import { GLOBAL_OPTIONS } from './run';

export interface CommandEntry {
  /** Words of the command, as its CliCommand names it. */
  name: string;
  summary: string;
  hidden?: boolean;
  load(): Promise<CliCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'images',
    summary: 'List the bootc images (labelled containers.bootc or ostree.bootable) of the engine, one row per tag',
    load: async () => (await import('./commands/images')).imagesCommand,
  },
  {
    name: 'image build',
    summary: 'Build an image from a Containerfile (default Containerfile, then Dockerfile, in CONTEXT)',
    load: async () => (await import('./commands/image-build')).imageBuildCommand,
  },
  {
    name: 'image push',
    summary: 'Push an image to the registry its full reference names',
    load: async () => (await import('./commands/image-push')).imagePushCommand,
  },
  {
    name: 'image pull',
    summary: 'Pull an image from a registry',
    load: async () => (await import('./commands/image-pull')).imagePullCommand,
  },
  {
    name: 'disk build',
    summary: 'Turn a bootc image into disk images (qcow2, raw, vmdk, vhd, ami, gce, anaconda-iso…)',
    load: async () => (await import('./commands/disk-build')).diskBuildCommand,
  },
  {
    name: 'disk ls',
    summary: 'List the disk image builds, newest first',
    load: async () => (await import('./commands/disk-ls')).diskLsCommand,
  },
  {
    name: 'disk show',
    summary: 'Show one disk image build: status, request, artifacts with sizes, log path',
    load: async () => (await import('./commands/disk-show')).diskShowCommand,
  },
  {
    name: 'disk logs',
    summary: "Print a disk image build's log (--follow: until the build ends)",
    load: async () => (await import('./commands/disk-logs')).diskLogsCommand,
  },
  {
    name: 'disk cancel',
    summary: 'Cancel a running disk image build (its partial disk images are removed)',
    load: async () => (await import('./commands/disk-cancel')).diskCancelCommand,
  },
  {
    name: 'disk rm',
    summary: 'Delete a disk image build: its record, disk images and log (a running build is cancelled first)',
    load: async () => (await import('./commands/disk-rm')).diskRmCommand,
  },
  {
    name: 'disk attach',
    summary: 'Run a detached build to its end (started by disk build --detach)',
    hidden: true,
    load: async () => (await import('./commands/disk-attach')).diskAttachCommand,
  },
  {
    name: 'vm run',
    summary: 'Boot a bootc image, a finished disk build or a disk file as a new VM, then open SSH into it',
    load: async () => (await import('./commands/vm-run')).vmRunCommand,
  },
  {
    name: 'vm ls',
    summary: 'List the virtual machines, newest first',
    load: async () => (await import('./commands/vm-ls')).vmLsCommand,
  },
  {
    name: 'vm start',
    summary: 'Start a stopped VM; its disk keeps what it wrote before',
    load: async () => (await import('./commands/vm-start')).vmStartCommand,
  },
  {
    name: 'vm stop',
    summary: 'Stop VMs cleanly (the guest powers off; QEMU is made to quit only if it does not)',
    load: async () => (await import('./commands/vm-stop')).vmStopCommand,
  },
  {
    name: 'vm rm',
    summary: 'Delete VMs: a running one is stopped first; the built disk is left as it is',
    load: async () => (await import('./commands/vm-rm')).vmRmCommand,
  },
  {
    name: 'vm console',
    summary: "Attach this terminal to a running VM's serial console (~. detaches)",
    load: async () => (await import('./commands/vm-console')).vmConsoleCommand,
  },
  {
    name: 'vm ssh',
    summary: 'Open SSH into a running VM (or run COMMAND there); its host key is checked',
    load: async () => (await import('./commands/vm-ssh')).vmSshCommand,
  },
  {
    name: 'vm status',
    summary:
      'Show what manages a running VM (bootc, rpm-ostree or neither) and its image: booted, staged, rollback, what it tracks, layered packages',
    load: async () => (await import('./commands/vm-status')).vmStatusCommand,
  },
  {
    name: 'vm upgrade',
    summary: 'Update a running VM to the newest push of the image it tracks (bootc upgrade, rpm-ostree upgrade)',
    load: async () => (await import('./commands/vm-update')).vmUpgradeCommand,
  },
  {
    name: 'vm switch',
    summary: 'Make a running VM follow another image and stage it (bootc switch, rpm-ostree rebase)',
    load: async () => (await import('./commands/vm-update')).vmSwitchCommand,
  },
  {
    name: 'vm rollback',
    summary: 'Boot the previous deployment of a running VM at its next reboot (bootc rollback, rpm-ostree rollback)',
    load: async () => (await import('./commands/vm-update')).vmRollbackCommand,
  },
  {
    name: 'vm apply-live',
    summary:
      "Apply a running VM's pending deployment to the running system without a reboot (rpm-ostree apply-live; rpm-ostree hosts)",
    load: async () => (await import('./commands/vm-update')).vmApplyLiveCommand,
  },
  {
    name: 'vm reset',
    summary:
      'Reset a running VM to its image: drop its layered packages, overrides and removals (rpm-ostree reset; rpm-ostree hosts)',
    load: async () => (await import('./commands/vm-update')).vmResetCommand,
  },
  {
    name: 'vm rebuild',
    summary:
      "Rebuild a running VM's image from its Containerfile folder, push it to the reference the VM tracks, then upgrade and reboot the VM into it",
    load: async () => (await import('./commands/vm-update')).vmRebuildCommand,
  },
];

/**
 * The commands runCli needs for `argv`: the one its leading words name, loaded, and the others as
 * their name and summary only (what the help and the group lists show). Leading words that name
 * no command (an unknown one, a group such as `disk`, or a command flag given before the command)
 * load every command, so runCli answers exactly as with all of them.
 */
export async function commandsFor(argv: string[], entries: readonly CommandEntry[] = COMMANDS): Promise<CliCommand[]> {
  const words = leadingWords(argv);
  if (words.length === 0) return entries.map(listed);
  const named = entries
    .filter(entry => entry.name.split(' ').every((word, i) => words[i] === word))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!named) return Promise.all(entries.map(entry => entry.load()));
  const command = await named.load();
  return entries.map(entry => (entry === named ? command : listed(entry)));
}

/** The positional words of argv, reading the global options' values as values. */
function leadingWords(argv: string[]): string[] {
  const options = Object.fromEntries(
    Object.entries(GLOBAL_OPTIONS).map(([name, { type, short }]) => [name, { type, ...(short ? { short } : {}) }]),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string }>;
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  return tokens.filter(token => token.kind === 'positional').map(token => token.value);
}

/** A command known by its name and summary only: runCli lists it but never runs it. */
function listed(entry: CommandEntry): CliCommand {
  return {
    name: entry.name,
    summary: entry.summary,
    ...(entry.hidden ? { hidden: true } : {}),
    run: () => Promise.reject(new Error(`bootc-studio: ${entry.name} was not loaded`)),
  };
}
